#!/usr/bin/env bash
# Load test on loopback: requests per second and p50/p99 latency for
# POST /v2/notifications/email with a test key and a valid JWT, next to
# GET /_status in the same run. Needs the release build (make build) and
# wrk (apt-get install wrk). Bounded: two runs of DURATION seconds each.
# SERVER=path runs another build (alternate old and new builds to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/api.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }
server=${SERVER:-target/release/server}   # SERVER=path: another build, to compare in one run
port=${PORT:-3300}; connections=${CONNECTIONS:-64}; duration=${DURATION:-10}; threads=${THREADS:-2}
base="http://127.0.0.1:$port"
data=$(mktemp -d)
export NOTIFY_DATA_DIR="$data"
NOTIFY_DEMO=true NOTIFY_LISTEN_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site "$server" >"$data/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "$base/_status" >/dev/null && break; sleep 0.1; done
live=$("$server" list-services | awk -F'\t' '$3 == "Example live service" {print $1}')
key=$("$server" create-api-key --service-id "$live" --name bench --type test)
# The default 3,000 requests a minute would turn the benchmark into 429s.
"$server" set-rate-limit --service-id "$live" --limit 100000000 >/dev/null
template=$(curl -s -H "Authorization: ApiKey-v1 $key" "$base/v2/templates?type=email" | python3 -c 'import json,sys; print(json.load(sys.stdin)["templates"][0]["id"])')
# One JWT for the whole run: iat must stay within 30 s, so runs are short.
jwt=$(python3 - "$live" "${key: -36}" <<'PY'
import base64, hashlib, hmac, json, sys, time
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=")
head = b(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
body = b(json.dumps({"iss": sys.argv[1], "iat": int(time.time())}).encode())
sig = b(hmac.new(sys.argv[2].encode(), head + b"." + body, hashlib.sha256).digest())
print((head + b"." + body + b"." + sig).decode())
PY
)
lua=$(mktemp)
cat >"$lua" <<LUA
wrk.method = "POST"
wrk.body = '{"email_address": "bench@example.com", "template_id": "$template", "personalisation": {"name": "Bench"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $jwt"
LUA
summary() { # label, wrk output file
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$2")
  p50=$(awk '/^ +50%/ {print $2}' "$2")
  p99=$(awk '/^ +99%/ {print $2}' "$2")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$2")
  printf '%-34s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}
echo "wrk -t$threads -c$connections -d${duration}s on $(nproc) cores"
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$lua" "$base/v2/notifications/email" >"$data/post.txt"
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$base/_status" >"$data/status.txt"
summary "POST /v2/notifications/email" "$data/post.txt"
summary "GET /_status" "$data/status.txt"
rm -f "$lua"
