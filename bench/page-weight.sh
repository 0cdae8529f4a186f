#!/usr/bin/env bash
# Prints the first-load weight of an admin page (the service dashboard) from
# the release build: every file the browser fetches, raw and brotli -q 11,
# and the wasm on its own. Budget: total <= 250 KB brotli, wasm <= 150 KB.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-3190}
base="http://127.0.0.1:$port"
data=$(mktemp -d); jar=$(mktemp); out=$(mktemp -d)
NOTIFY_DATA_DIR="$data" NOTIFY_DEMO=true NOTIFY_LISTEN_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site \
  target/release/server >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data" "$jar" "$out"' EXIT
for _ in $(seq 50); do curl -sf "$base/_status" >/dev/null && break; sleep 0.1; done
curl -s -c "$jar" -o /dev/null -d "email_address=admin%40example.gov.uk&password=notify-demo-password" "$base/sign-in"
dashboard=$(curl -s -b "$jar" "$base/your-services" | grep -o '/services/[0-9a-f-]\{36\}' | head -1)
curl -s -b "$jar" "$base$dashboard" > "$out/page.html"
files=("$dashboard")
while read -r asset; do files+=("$asset"); done < <(
  grep -oE '(href|src)="/(css|pkg|assets)/[^"]+"' "$out/page.html" | sed -E 's/^(href|src)="//; s/"$//' | sort -u)
# The fonts the page's stylesheets ask for (woff2 only: every current browser
# takes it); the neutral brand's ask for none.
while read -r font; do files+=("$font"); done < <(
  for css in $(grep -oE 'href="/css/[^"]+\.css"' "$out/page.html" | sed -E 's/^href="//; s/"$//'); do
    grep -oE '/assets/(rebrand/)?fonts/[a-z0-9-]+\.woff2' "target/site$css" || true
  done | sort -u)
total_raw=0; total_br=0; wasm_raw=0; wasm_br=0
printf '%-60s %10s %10s\n' file raw brotli
for f in "${files[@]}"; do
  curl -s -b "$jar" "$base$f" > "$out/f"
  raw=$(stat -c %s "$out/f"); br=$(brotli -q 11 -c "$out/f" | wc -c)
  printf '%-60s %10d %10d\n' "$f" "$raw" "$br"
  total_raw=$((total_raw + raw)); total_br=$((total_br + br))
  case "$f" in *.wasm) wasm_raw=$raw; wasm_br=$br;; esac
done
printf '%-60s %10d %10d\n' TOTAL "$total_raw" "$total_br"
printf 'wasm: %d bytes raw, %d bytes brotli (budget 153600)\n' "$wasm_raw" "$wasm_br"
printf 'first load: %d bytes brotli (budget 256000)\n' "$total_br"
