#!/usr/bin/env bash
# Sustained load: does the send rate hold as notifications pile up, and does
# the write-ahead log stay bounded? With a test key (ApiKey-v1, so the run can
# last as long as it likes) on the release server and a fresh database:
#   1. POST /v2/notifications/email for MEASURE seconds (the start);
#   2. the same for FILL seconds, to pile up history;
#   3. POST again for MEASURE seconds (the end);
# with GET /v2/notifications (4 connections) and the hub page (signed in, 1
# connection) measured at the start and the end, and the WAL and database
# sizes sampled every second throughout.
# Prints the figures side by side. Needs the release build and wrk.
#
#   FILL=600 bench/sustained.sh        (default FILL=150: over a million rows here; MEASURE=8)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/sustained.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }
port=${PORT:-3320}; connections=${CONNECTIONS:-64}; fill=${FILL:-150}; measure=${MEASURE:-8}
base="http://127.0.0.1:$port"
data=$(mktemp -d)
export NOTIFY_DATA_DIR="$data"
NOTIFY_DEMO=true NOTIFY_LISTEN_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site target/release/server >"$data/log" 2>&1 &
pid=$!
sampler=""
trap 'kill $pid $sampler 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "$base/_status" >/dev/null && break; sleep 0.1; done
live=$(target/release/server list-services | awk -F'\t' '$3 == "Example live service" {print $1}')
key=$(target/release/server create-api-key --service-id "$live" --name sustained --type test)
target/release/server set-rate-limit --service-id "$live" --limit 100000000 >/dev/null
template=$(curl -s -H "Authorization: ApiKey-v1 $key" "$base/v2/templates?type=email" | python3 -c 'import json,sys; print(json.load(sys.stdin)["templates"][0]["id"])')
post=$(mktemp)
cat >"$post" <<LUA
wrk.method = "POST"
wrk.body = '{"email_address": "bench@example.com", "template_id": "$template", "personalisation": {"name": "Bench"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "ApiKey-v1 $key"
LUA
jar="$data/cookies"
curl -sf -c "$jar" -o /dev/null -d "email_address=admin@example.gov.uk&password=notify-demo-password" "$base/sign-in"
session=$(awk '$6 == "notify_session" {print $7}' "$jar")
hub=$(mktemp)
cat >"$hub" <<LUA
wrk.headers["Cookie"] = "notify_session=$session"
LUA
plain=$(mktemp)
get=$(mktemp)
cat >"$get" <<LUA
wrk.headers["Authorization"] = "ApiKey-v1 $key"
LUA
# Largest WAL and database seen, sampled every second.
(while sleep 1; do
  stat -c %s "$data/notify.db-wal" 2>/dev/null || echo 0
done >"$data/wal-sizes") &
sampler=$!
figures() { # wrk output -> "rate p99"
  printf '%s %s\n' "$(awk '/Requests\/sec/ {print $2}' "$1")" "$(awk '/^ +99%/ {print $2}' "$1")"
}
run() { # script connections seconds url output
  wrk -t"$(( $2 < 2 ? 1 : 2 ))" -c"$2" -d"$3s" --latency -s "$1" "$4" >"$5"
}
run "$post" "$connections" "$measure" "$base/v2/notifications/email" "$data/post-start"
run "$get" 4 "$measure" "$base/v2/notifications" "$data/get-start"
run "$hub" 1 "$measure" "$base/services/$live/api" "$data/hub-start"
run "$plain" "$connections" "$measure" "$base/_status" "$data/status"
run "$post" "$connections" "$fill" "$base/v2/notifications/email" "$data/fill"
run "$post" "$connections" "$measure" "$base/v2/notifications/email" "$data/post-end"
run "$get" 4 "$measure" "$base/v2/notifications" "$data/get-end"
run "$hub" 1 "$measure" "$base/services/$live/api" "$data/hub-end"
stored=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from notifications").fetchone()[0])' "$data/notify.db")
max_wal=$(sort -n "$data/wal-sizes" | tail -1)
db=$(stat -c %s "$data/notify.db")
read -r ps pp < <(figures "$data/post-start"); read -r pe pe99 < <(figures "$data/post-end")
read -r gs gp < <(figures "$data/get-start"); read -r ge ge99 < <(figures "$data/get-end")
read -r ss sp < <(figures "$data/status")
read -r hs hp < <(figures "$data/hub-start"); read -r he he99 < <(figures "$data/hub-end")
echo "sustained load: wrk -t2 -c$connections, ${measure}s measures around ${fill}s of fill, $(nproc) cores"
printf '%-40s %22s %22s\n' "" "start" "end"
printf '%-40s %12s req/s %7s %12s req/s %7s\n' "POST /v2/notifications/email (rate, p99)" "$ps" "$pp" "$pe" "$pe99"
printf '%-40s %12s req/s %7s %12s req/s %7s\n' "GET /v2/notifications (4 conn.)" "$gs" "$gp" "$ge" "$ge99"
printf '%-40s %12s req/s %7s %12s req/s %7s\n' "hub page, signed in (1 conn.)" "$hs" "$hp" "$he" "$he99"
printf '%-40s %12s req/s %7s\n' "GET /_status (at the start)" "$ss" "$sp"
echo "notifications stored at the end: $stored"
echo "largest WAL seen: $((max_wal / 1024 / 1024)) MB; database at the end: $((db / 1024 / 1024)) MB"
rm -f "$post" "$get" "$hub" "$plain"
