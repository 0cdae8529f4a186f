#!/usr/bin/env bash
# Installs what the build and the tests need, skipping whatever is already
# present at the right version. Called by `make demo` and `make test`.
# Downloads only from the package registries (crates.io, npm, Debian, PyPI);
# never a browser or a prebuilt binary.
#
# Every step names itself; if one fails, the trap below says which step, what
# command, and what to do. Nothing exits silently.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CARGO_LEPTOS_VERSION=0.3.11
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$ROOT/node_modules/.bin:$CARGO_HOME/bin:$PATH"
LOGS="$ROOT/target/bootstrap"
mkdir -p "$LOGS"

say() { printf '\033[1mbootstrap:\033[0m %s\n' "$*"; }
STEP="start"
HINT=""
step() { STEP=$1; HINT=$2; }
FAILED_LINE=""
FAILED_COMMAND=""
# ERR records the failing command (in functions too, with errtrace); EXIT
# reports it, once, whatever made the script stop.
set -o errtrace
trap 'FAILED_LINE=$LINENO; FAILED_COMMAND=$BASH_COMMAND' ERR
on_exit() {
  local status=$?
  [ "$status" = 0 ] && return 0
  {
    printf '\n\033[1;31mbootstrap failed\033[0m at step: %s (exit status %s)\n' "$STEP" "$status"
    [ -n "$FAILED_COMMAND" ] && printf '  command (scripts/bootstrap.sh line %s): %s\n' "$FAILED_LINE" "$FAILED_COMMAND"
    [ -n "$HINT" ] && printf '  what to do: %s\n' "$HINT"
    printf '  then run the same make command again: finished steps are skipped.\n'
  } >&2
  exit "$status"
}
trap on_exit EXIT

# Runs a long command with its output in a log; on failure shows the end of
# the log (the error is there) before the trap names the step.
logged() { # name command...
  local name=$1; shift
  local log="$LOGS/$name.log"
  if ! "$@" >"$log" 2>&1; then
    echo "---- last 30 lines of $log ----" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
}

# Installing the tools is the slow part of a fresh machine. They are build
# tools, so how fast they run hardly matters: build them without LTO, with
# many codegen units and little optimisation (measured in README, "Set-up").
tool_profile() {
  env CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_INCREMENTAL=false "$@"
}

# ---------------------------------------------------------------------------
step "checking the Rust toolchain" "install Rust with rustup (https://rustup.rs), then open a new shell so cargo is on PATH"
command -v cargo >/dev/null || { echo "bootstrap: cargo is not on PATH" >&2; false; }
command -v rustup >/dev/null || { echo "bootstrap: rustup is not on PATH (the wasm target is added with it)" >&2; false; }

step "adding the wasm32-unknown-unknown target" "run: rustup target add wasm32-unknown-unknown"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# ---------------------------------------------------------------------------
# Steps that wait on the network or the disk rather than the CPU run in the
# background while the cargo tools compile; wait_background collects them.
bg_pids=()
bg_steps=()
bg_hints=()
background() { # step hint log-name command...
  bg_steps+=("$1")
  bg_hints+=("$2")
  shift 2
  logged "$@" &
  bg_pids+=($!)
}
wait_background() {
  local i
  for i in "${!bg_pids[@]}"; do
    step "${bg_steps[$i]}" "${bg_hints[$i]}"
    wait "${bg_pids[$i]}"
  done
  bg_pids=()
  bg_steps=()
  bg_hints=()
}

# Debian packages: Chromium for Playwright, brotli for the page-weight figures,
# Node.js and npm for GOV.UK Frontend and the browser tests, python3-venv for
# the compatibility suite, PostgreSQL for the PostgreSQL store's tests (they
# start their own throwaway cluster; no service is enabled or used), HAProxy
# for the test of several instances behind a load balancer (started by the
# test with its own configuration on loopback), OpenSSL's headers for the test
# SMTP server.
step "installing Debian packages" "install them yourself (as root: apt-get install -y chromium brotli nodejs npm python3-venv postgresql haproxy libssl-dev pkg-config), or run this as root or with sudo available"
missing_debs=()
command -v chromium >/dev/null 2>&1 || missing_debs+=(chromium)
command -v brotli >/dev/null 2>&1 || missing_debs+=(brotli)
command -v npm >/dev/null 2>&1 || missing_debs+=(nodejs npm)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing_debs+=(python3-venv)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null 2>&1 || missing_debs+=(postgresql)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing_debs+=(haproxy)
# OpenSSL's headers for the SMTP server the email tests start (mailin-embedded).
pkg-config --exists openssl >/dev/null 2>&1 || missing_debs+=(libssl-dev pkg-config)
if [ ${#missing_debs[@]} -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "bootstrap: need root or sudo to install: ${missing_debs[*]}" >&2; false; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_install() {
    "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
  }
  if command -v npm >/dev/null 2>&1; then
    say "installing Debian packages in the background: ${missing_debs[*]} (log: target/bootstrap/apt-get.log)"
    background "installing Debian packages: ${missing_debs[*]}" "$HINT" apt-get apt_install "${missing_debs[@]}"
  else
    say "installing Debian packages: ${missing_debs[*]} (log: target/bootstrap/apt-get.log)"
    logged apt-get apt_install "${missing_debs[@]}"
  fi
fi

# The project's own crates download while the tools compile.
background "downloading the project's crates (cargo fetch)" "check that crates.io is reachable, then run make again" \
  cargo-fetch cargo fetch --locked

# ---------------------------------------------------------------------------
# npm packages first (seconds): GOV.UK Frontend and wasm-opt (the npm package
# `binaryen`, pinned to 116: Debian's binaryen 108 breaks the wasm) at the
# root; Playwright and axe-core in end2end/.
npm_ci_if_needed() {
  local dir=$1 name
  name=${dir#"$ROOT"}; name=${name#/}; name=${name:-the project folder}
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    step "npm ci in $name" "check that the npm registry is reachable (npm ping), then run make again"
    say "npm ci in $name"
    (cd "$dir" && logged "npm-${dir##*/}" npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_ci_if_needed "$ROOT"
npm_ci_if_needed "$ROOT/end2end"

step "checking wasm-opt" "delete node_modules and run make again (npm ci installs binaryen 116)"
wasm-opt --version | grep -q "version 116" \
  || { echo "bootstrap: wasm-opt on PATH is $(command -v wasm-opt), not binaryen 116 from node_modules" >&2; false; }

# GOV.UK Frontend's compiled CSS and assets into public/ (copies: cargo-leptos
# cannot mirror symlinked folders).
step "copying GOV.UK Frontend assets" "check that node_modules/govuk-frontend exists (npm ci), then run make again"
GOVUK=$ROOT/node_modules/govuk-frontend/dist/govuk
if [ ! -f "$ROOT/public/css/govuk-frontend.min.css" ] || [ "$GOVUK/govuk-frontend.min.css" -nt "$ROOT/public/css/govuk-frontend.min.css" ]; then
  say "copying GOV.UK Frontend assets into public/"
  rm -rf "$ROOT/public/assets" "$ROOT/public/css"
  mkdir -p "$ROOT/public/css"
  cp -r "$GOVUK/assets" "$ROOT/public/assets"
  cp "$GOVUK/govuk-frontend.min.css" "$ROOT/public/css/"
  touch "$ROOT/public/css/govuk-frontend.min.css"
fi
NEUTRAL=$ROOT/public/css/govuk-frontend-neutral.min.css
if [ ! -f "$NEUTRAL" ] || [ "$ROOT/public/css/govuk-frontend.min.css" -nt "$NEUTRAL" ] || [ "$ROOT/scripts/neutral-css.sh" -nt "$NEUTRAL" ]; then
  say "making the neutral brand's stylesheet (no GDS Transport, no crown)"
  "$ROOT/scripts/neutral-css.sh" "$ROOT/public/css/govuk-frontend.min.css" "$NEUTRAL"
fi

# ---------------------------------------------------------------------------
# Cargo tools. Their published lock files no longer resolve here, so each is
# installed from its source with one dependency pinned.

# Unpacks a crate's source from crates.io into a new folder and prints the
# folder. The .crate file is checked against the registry index's SHA-256.
crate_source() { # crate version
  local crate=$1 version=$2 work prefix sum
  work=$(mktemp -d)
  case ${#crate} in
    1) prefix=1 ;; 2) prefix=2 ;; 3) prefix="3/${crate:0:1}" ;;
    *) prefix="${crate:0:2}/${crate:2:2}" ;;
  esac
  if sum=$(curl -sSfL --retry 3 "https://index.crates.io/$prefix/$crate" \
      | python3 -c 'import json,sys; v=sys.argv[1]; print(next(json.loads(l)["cksum"] for l in sys.stdin if json.loads(l)["vers"]==v))' "$version") \
    && curl -sSfL --retry 3 -o "$work/src.crate" "https://static.crates.io/crates/$crate/$crate-$version.crate" \
    && echo "$sum  $work/src.crate" | sha256sum -c --quiet - >&2; then
    tar xzf "$work/src.crate" -C "$work"
  else
    # A machine that reaches crates.io only through cargo (a mirror or proxy
    # in cargo's configuration): let cargo fetch it into its registry.
    echo "bootstrap: direct download of $crate $version failed; fetching it through cargo" >&2
    (cd "$work" && cargo init -q --name fetchprobe && cargo add -q "$crate@=$version" --no-default-features && cargo fetch -q) >&2
    cp -r "$(find "$CARGO_HOME/registry/src" -maxdepth 2 -type d -name "$crate-$version" -print -quit)" "$work/"
  fi
  [ -f "$work/$crate-$version/Cargo.toml" ] || { echo "bootstrap: no source for $crate $version" >&2; return 1; }
  echo "$work/$crate-$version"
}

install_patched() { # crate version pin-crate pin-version [cargo install args...]
  local crate=$1 version=$2 pin=$3 pin_version=$4; shift 4
  local src
  src=$(crate_source "$crate" "$version")
  (
    cd "$src"
    cargo update -q -p "$pin" --precise "$pin_version"
    # Installed into a root of its own, then copied: two installs at once
    # never wait on the lock of CARGO_HOME's install records.
    CARGO_TARGET_DIR="$src/target" logged "$crate" tool_profile cargo install --path . --locked --force \
      --root "$src/root" "$@"
    mkdir -p "$CARGO_HOME/bin"
    cp "$src"/root/bin/* "$CARGO_HOME/bin/"
  )
  rm -rf "$(dirname "$src")"
}

# The wasm-bindgen CLI must match the crate Cargo.lock resolves, exactly.
step "reading wasm-bindgen's version from Cargo.lock" "Cargo.lock must list the wasm-bindgen crate; restore it from git"
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' "$ROOT/Cargo.lock")
[ -n "$WB_VERSION" ]
# It builds beside cargo-leptos: each leaves the other's single-threaded
# stretches (build scripts, the final link) a core to use.
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  say "installing wasm-bindgen-cli $WB_VERSION in the background (about 1 minute; log: target/bootstrap/wasm-bindgen-cli.log)"
  background "installing wasm-bindgen-cli $WB_VERSION" "read the log named above; a network error: check crates.io is reachable, then run make again" \
    wasm-bindgen-install install_patched wasm-bindgen-cli "$WB_VERSION" webpki-roots 1.0.10
fi

step "installing cargo-leptos $CARGO_LEPTOS_VERSION" "read the log named above; a network error: check crates.io is reachable, then run make again"
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 5 minutes on 2 cores; log: target/bootstrap/cargo-leptos.log)"
  install_patched cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-util-schemas 0.14.1 --features no_downloads
fi

wait_background
STEP="done"
say "ready"
