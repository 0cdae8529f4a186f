#!/usr/bin/env bash
# Email over SMTP under load, on loopback: live-key sends at full rate
# (wrk, DURATION seconds) to a server whose emails go to a local SMTP server
# (server/examples/smtp_sink.rs), then the same sends to a server with no
# relay (the built-in outbox), alternating ROUNDS times. Prints the API's
# send rate both ways and their ratio, and how many emails a second the
# relay received (while the sends ran, and until every one had arrived).
# Needs the release build (make build) and wrk. SERVER=path: another build;
# SMTP_CONCURRENCY: emails handed over at once (default 8). BASELINE=path:
# an older build, run with the relay too in each round, between the two
# (to compare builds in one run).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/email.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }
server=${SERVER:-target/release/server}
port=${PORT:-3310}; sport=${SMTP_PORT:-2526}; connections=${CONNECTIONS:-64}; duration=${DURATION:-20}
rounds=${ROUNDS:-2}; threads=${THREADS:-2}; concurrency=${SMTP_CONCURRENCY:-8}
base="http://127.0.0.1:$port"
cargo build --release -q -p server --example smtp_sink
work=$(mktemp -d)
target/release/examples/smtp_sink "127.0.0.1:$sport" "$work/received" &
sink=$!
pid=
trap 'kill $sink $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/received" ] && break; sleep 0.1; done
received() { cat "$work/received"; }

# One run: starts a server (with the relay when $1 is "relay"), sends for
# DURATION seconds, prints "send-rate relay-rate-during drain-rate".
run() {
  local data jwt key live template lua before start_s end_s after sent
  data=$(mktemp -d "$work/run.XXXX")
  export NOTIFY_DATA_DIR="$data"
  local binary=$server
  [ "$1" = baseline ] && binary=$BASELINE
  if [ "$1" != outbox ]; then
    NOTIFY_SMTP_URL="smtp://127.0.0.1:$sport" NOTIFY_EMAIL_FROM_DOMAIN=notify.example.gov.uk NOTIFY_SMTP_CONCURRENCY=$concurrency \
      NOTIFY_DEMO=true NOTIFY_LISTEN_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site "$binary" >"$data/log" 2>&1 &
  else
    NOTIFY_DEMO=true NOTIFY_LISTEN_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site "$server" >"$data/log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 100); do curl -sf "$base/_status" >/dev/null && break; sleep 0.1; done
  live=$("$server" list-services | awk -F'\t' '$3 == "Example live service" {print $1}')
  key=$("$server" create-api-key --service-id "$live" --name bench --type normal)
  "$server" set-rate-limit --service-id "$live" --limit 100000000 >/dev/null
  "$server" set-daily-limit --service-id "$live" --type email --limit 100000000 >/dev/null
  template=$(curl -s -H "Authorization: ApiKey-v1 $key" "$base/v2/templates?type=email" | python3 -c 'import json,sys; print(json.load(sys.stdin)["templates"][0]["id"])')
  jwt=$(python3 - "$live" "${key: -36}" <<'PY'
import base64, hashlib, hmac, json, sys, time
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=")
head = b(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
body = b(json.dumps({"iss": sys.argv[1], "iat": int(time.time())}).encode())
sig = b(hmac.new(sys.argv[2].encode(), head + b"." + body, hashlib.sha256).digest())
print((head + b"." + body + b"." + sig).decode())
PY
)
  lua="$data/post.lua"
  cat >"$lua" <<LUA
wrk.method = "POST"
wrk.body = '{"email_address": "bench@example.com", "template_id": "$template", "personalisation": {"name": "Bench"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $jwt"
LUA
  before=$(received)
  wrk -t"$threads" -c"$connections" -d"${duration}s" -s "$lua" "$base/v2/notifications/email" >"$data/wrk.txt"
  during=$(( $(received) - before ))
  sent=$(awk '/requests in/ {print $1}' "$data/wrk.txt")
  rps=$(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt")
  start_s=$(date +%s.%N)
  if [ "$1" != outbox ]; then
    # Until every acknowledged email has reached the relay (at most 5 minutes).
    for _ in $(seq 3000); do [ $(( $(received) - before )) -ge "$sent" ] && break; sleep 0.1; done
  fi
  end_s=$(date +%s.%N)
  after=$(( $(received) - before ))
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  python3 - "$rps" "$during" "$duration" "$after" "$start_s" "$end_s" "$sent" <<'PY'
import sys
rps, during, duration, after, s, e, sent = sys.argv[1:]
total = float(duration) + float(e) - float(s)
print(f"{float(rps):.0f} {int(during) / float(duration):.0f} {int(after) / total:.0f} {after} {sent}")
PY
}

echo "wrk -t$threads -c$connections -d${duration}s, $rounds rounds alternating, NOTIFY_SMTP_CONCURRENCY=$concurrency, on $(nproc) cores"
printf '%-6s %-9s %12s %18s %22s %s\n' round relay "sends/s" "relayed/s (during)" "relayed/s (to the last)" "relayed/acknowledged"
modes="relay outbox"
[ -n "${BASELINE:-}" ] && modes="relay baseline outbox"
for r in $(seq "$rounds"); do
  for mode in $modes; do
    read -r rps during overall after sent < <(run "$mode")
    if [ "$mode" != outbox ]; then
      label=smtp; [ "$mode" = baseline ] && label=baseline
      printf '%-6s %-9s %12s %18s %22s %s\n' "$r" "$label" "$rps" "$during" "$overall" "$after/$sent"
    else
      printf '%-6s %-9s %12s %18s %22s %s\n' "$r" outbox "$rps" - - -
    fi
  done
done
