#!/usr/bin/env bash
# Idempotent bootstrap: installs what the build and the tests need, skipping
# whatever is already present at the right version. Called by `make demo` and
# `make test`. Downloads only from the package registries (crates.io, npm,
# Debian); never a browser or a prebuilt binary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CARGO_LEPTOS_VERSION=0.3.11
WASM_OPT_VERSION=0.116.1
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1mbootstrap:\033[0m %s\n' "$*"; }

# The wasm-bindgen CLI must match the crate Cargo.lock resolves, exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' "$ROOT/Cargo.lock"
}

registry_src() { ls -d "$HOME"/.cargo/registry/src/*/"$1" 2>/dev/null | head -n1; }

# 1. Rust target for the browser half.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. Debian packages: Chromium for Playwright, brotli for the page-weight figures.
missing_debs=()
command -v chromium >/dev/null 2>&1 || missing_debs+=(chromium)
command -v brotli >/dev/null 2>&1 || missing_debs+=(brotli)
command -v npm >/dev/null 2>&1 || missing_debs+=(nodejs npm)
if [ ${#missing_debs[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing_debs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing_debs[@]}"
fi

# Install a crate whose published lock file no longer resolves here: copy its
# source, pin one dependency, and install from the copy.
install_patched() { # crate version pin-crate pin-version [cargo install args...]
  local crate=$1 version=$2 pin=$3 pin_version=$4; shift 4
  local src
  src=$(registry_src "$crate-$version")
  if [ -z "$src" ]; then
    # Puts the source into ~/.cargo/registry/src (the install itself may fail).
    cargo install "$crate" --version "=$version" --locked "$@" >/dev/null 2>&1 || true
    src=$(registry_src "$crate-$version")
  fi
  if [ -z "$src" ]; then
    # Last resort: fetch the source through a throwaway crate depending on it.
    local probe; probe=$(mktemp -d)
    (cd "$probe" && cargo init -q --name fetchprobe && cargo add -q "$crate@=$version" --no-default-features && cargo fetch -q) || true
    src=$(registry_src "$crate-$version")
    rm -rf "$probe"
  fi
  [ -n "$src" ] || { echo "bootstrap: could not get the source of $crate $version" >&2; exit 1; }
  local work; work=$(mktemp -d)
  cp -r "$src" "$work/src"
  (cd "$work/src" && cargo update -q -p "$pin" --precise "$pin_version" && cargo install --path . --locked "$@")
  rm -rf "$work"
}

# 3. cargo-leptos (pinned).
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 11 minutes on 2 cores)"
  install_patched cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-util-schemas 0.14.1 --features no_downloads
fi

# 4. wasm-bindgen CLI at exactly Cargo.lock's version.
WB_VERSION=$(wasm_bindgen_version)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  say "installing wasm-bindgen-cli $WB_VERSION"
  install_patched wasm-bindgen-cli "$WB_VERSION" webpki-roots 1.0.10
fi

# 5. wasm-opt from crates.io (Debian's binaryen 108 breaks the wasm).
if ! "$HOME/.cargo/bin/wasm-opt" --version 2>/dev/null | grep -q "version 116"; then
  say "installing wasm-opt $WASM_OPT_VERSION"
  cargo install wasm-opt --version "$WASM_OPT_VERSION" --locked
fi

# 6. npm packages: GOV.UK Frontend (root) and Playwright + axe (end2end).
npm_ci_if_needed() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm ci in ${dir#$ROOT/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_ci_if_needed "$ROOT"
npm_ci_if_needed "$ROOT/end2end"

# 7. GOV.UK Frontend's compiled CSS and assets into public/ (copies: cargo-leptos
#    cannot mirror symlinked folders).
GOVUK=$ROOT/node_modules/govuk-frontend/dist/govuk
if [ ! -f "$ROOT/public/css/govuk-frontend.min.css" ] || [ "$GOVUK/govuk-frontend.min.css" -nt "$ROOT/public/css/govuk-frontend.min.css" ]; then
  say "copying GOV.UK Frontend assets into public/"
  rm -rf "$ROOT/public/assets" "$ROOT/public/css"
  mkdir -p "$ROOT/public/css"
  cp -r "$GOVUK/assets" "$ROOT/public/assets"
  cp "$GOVUK/govuk-frontend.min.css" "$ROOT/public/css/"
  touch "$ROOT/public/css/govuk-frontend.min.css"
fi
say "ready"
