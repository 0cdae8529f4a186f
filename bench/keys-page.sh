#!/usr/bin/env bash
# Server-side rendering of an admin page with 1,000 API keys: requests per
# second and p50/p99 latency for GET /services/{id}/api/keys (signed in),
# with wrk on loopback. Needs the release build (make build) and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/keys-page.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }
port=${PORT:-3310}; keys=${KEYS:-1000}; duration=${DURATION:-10}; connections=${CONNECTIONS:-1}
base="http://127.0.0.1:$port"
data=$(mktemp -d); jar=$(mktemp)
export NOTIFY_DATA_DIR="$data"
NOTIFY_DEMO=true NOTIFY_LISTEN_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site target/release/server >"$data/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data" "$jar"' EXIT
for _ in $(seq 100); do curl -sf "$base/_status" >/dev/null && break; sleep 0.1; done
live=$(target/release/server list-services | awk -F'\t' '$3 == "Example live service" {print $1}')
echo "creating $keys keys…"
seq "$keys" | xargs -P 2 -I{} target/release/server create-api-key --service-id "$live" --name "Key {}" --type test >/dev/null
curl -s -c "$jar" -o /dev/null -d "email_address=admin%40example.gov.uk&password=notify-demo-password" "$base/sign-in"
cookie=$(awk '$6 == "notify_session" {print $7}' "$jar")
rows=$(curl -s -H "Cookie: notify_session=$cookie" "$base/services/$live/api/keys" | grep -o 'govuk-table__row' | wc -l)
echo "the page lists $((rows - 1)) keys"
wrk -t1 -c"$connections" -d"${duration}s" --latency -H "Cookie: notify_session=$cookie" "$base/services/$live/api/keys" >"$data/out.txt"
rps=$(awk '/Requests\/sec/ {print $2}' "$data/out.txt")
p50=$(awk '/^ +50%/ {print $2}' "$data/out.txt")
p99=$(awk '/^ +99%/ {print $2}' "$data/out.txt")
printf "GET /services/{id}/api/keys with %s keys, %s connection(s): %s req/s, p50 %s, p99 %s (target p99 <= 20 ms)\n" "$keys" "$connections" "$rps" "$p50" "$p99"
