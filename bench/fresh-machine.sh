#!/usr/bin/env bash
# The README's two commands as a new user meets them: a fresh clone of this
# repository's HEAD, an empty HOME (so an empty CARGO_HOME, npm cache and pip
# cache; rustup's toolchains are kept through RUSTUP_HOME), then
#   1. `make demo`, timed until the sign-in page answers, then stopped;
#   2. `make test`, timed until it passes.
# Prints both times. Debian packages are installed by the first run only
# (to measure that step too, remove chromium and brotli first).
#
#   bench/fresh-machine.sh [work-folder]     (default: a new folder in /tmp)
#
# Takes as long as a fresh machine does (about 30 minutes on 2 cores).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d /tmp/fresh-machine.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
port=${DEMO_PORT:-3000}

if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
  echo "fresh-machine: something already listens on port $port; stop it first" >&2
  exit 1
fi

export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
rustup_bin=$(dirname "$(command -v rustup)")
export HOME="$work/home"
export CARGO_HOME="$HOME/.cargo"
mkdir -p "$HOME" "$work/rustup-bin"
# rustup's proxies only (cargo, rustc…): the folder they live in also holds
# every tool `cargo install` put there, which a fresh machine does not have.
for tool in cargo rustc rustup rustdoc rustfmt cargo-fmt cargo-clippy clippy-driver; do
  [ -e "$rustup_bin/$tool" ] && ln -sf "$rustup_bin/$tool" "$work/rustup-bin/$tool"
done
# The new CARGO_HOME's bin first, then those proxies, then the system;
# nothing else from the old PATH.
export PATH="$CARGO_HOME/bin:$work/rustup-bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
unset CARGO_TARGET_DIR RUSTC_WRAPPER

git clone -q "$repo" "$work/clone"
cd "$work/clone"
echo "fresh-machine: clone in $work/clone, HOME=$HOME; logs: $work/demo.log, $work/test.log"

now() { date +%s; }
mmss() { printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); }

start=$(now)
setsid make demo >"$work/demo.log" 2>&1 &
demo=$!
stop_demo() { kill -- -"$demo" 2>/dev/null || true; }
trap stop_demo EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/sign-in"; do
  if ! kill -0 "$demo" 2>/dev/null; then
    echo "fresh-machine: make demo stopped before the page answered; end of $work/demo.log:" >&2
    tail -n 40 "$work/demo.log" >&2
    exit 1
  fi
  sleep 2
done
demo_secs=$(( $(now) - start ))
echo "fresh-machine: demo page after $(mmss "$demo_secs")"
stop_demo
wait "$demo" 2>/dev/null || true

start=$(now)
if ! make test >"$work/test.log" 2>&1; then
  echo "fresh-machine: make test failed; end of $work/test.log:" >&2
  tail -n 40 "$work/test.log" >&2
  exit 1
fi
test_secs=$(( $(now) - start ))
echo "fresh-machine: make test green after $(mmss "$test_secs") more"
echo
printf '%-44s %s\n' "fresh clone to the demo page (make demo)" "$(mmss "$demo_secs")"
printf '%-44s %s\n' "then make test, green" "$(mmss "$test_secs")"
printf '%-44s %s\n' "fresh clone to a green make test, in all" "$(mmss $((demo_secs + test_secs)))"
# A fresh build is over 20 GB (the clone's target folder and the new
# CARGO_HOME); on success only the logs are kept, so that repeated runs do not
# fill the disk that everything else on this machine (CI included) shares.
# A failed run keeps everything to look at.
chmod -R u+w "$HOME" 2>/dev/null || true
rm -rf "$work/clone" "$HOME" "$work/rustup-bin"
echo "fresh-machine: removed the clone and its HOME; logs kept in $work"
