#!/usr/bin/env bash
# Callbacks under load: how many delivery receipts per second reach a local
# receiver that answers at once, while POST /v2/notifications/email runs with
# a test key (test keys' notifications are finished in bulk, each with its
# receipt, so the receipts come as fast as the sends); and the send rate with
# the callback configured against without.
# Runs, on one release server: without, with, without again (the two
# "without" runs bracket the "with" one, so history piling up does not
# favour either side). Then the floor: the dispatcher's HTTP client alone
# (server/examples/callback_floor.rs) sending to the same receiver, and the
# least the sends could lose if a callback cost no more than that exchange.
# Needs the release build and wrk.
#
#   SECONDS_EACH=60 bench/callbacks.sh        (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/callbacks.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }
server=${SERVER:-target/release/server}   # SERVER=path: another build, to compare in one run
port=${PORT:-3330}; rport=${RECEIVER_PORT:-3390}; connections=${CONNECTIONS:-64}; each=${SECONDS_EACH:-30}
base="http://127.0.0.1:$port"
cargo build --release -q -p server --example callback_receiver --example callback_floor
data=$(mktemp -d)
export NOTIFY_DATA_DIR="$data"
target/release/examples/callback_receiver "127.0.0.1:$rport" &
receiver=$!
NOTIFY_DEMO=true NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS=true NOTIFY_LISTEN_ADDR="127.0.0.1:$port" \
  LEPTOS_SITE_ROOT=target/site "$server" >"$data/log" 2>&1 &
pid=$!
trap 'kill $pid $receiver 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "$base/_status" >/dev/null && break; sleep 0.1; done
live=$("$server" list-services | awk -F'\t' '$3 == "Example live service" {print $1}')
key=$("$server" create-api-key --service-id "$live" --name callbacks-bench --type test)
"$server" set-rate-limit --service-id "$live" --limit 100000000 >/dev/null
template=$(curl -s -H "Authorization: ApiKey-v1 $key" "$base/v2/templates?type=email" | python3 -c 'import json,sys; print(json.load(sys.stdin)["templates"][0]["id"])')
post=$(mktemp)
cat >"$post" <<LUA
wrk.method = "POST"
wrk.body = '{"email_address": "bench@example.com", "template_id": "$template", "personalisation": {"name": "Bench"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "ApiKey-v1 $key"
LUA
# The admin's way to set the callback: sign in and post the form.
jar="$data/cookies"
curl -sf -c "$jar" -o /dev/null -d "email_address=admin@example.gov.uk&password=notify-demo-password" "$base/sign-in"
csrf=$(curl -sf -b "$jar" "$base/your-services" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | head -1)
callback() { # url ('' removes it)
  curl -s -o /dev/null -w "%{http_code}" -b "$jar" -H "Origin: $base" --data-urlencode "csrf_token=$csrf" --data-urlencode "url=$1" \
    --data-urlencode "bearer_token=bench-bearer-token" "$base/services/$live/api/callbacks/delivery-status-callback"
}
received() { curl -s "http://127.0.0.1:$rport/count"; }
pending() {
  python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from callback_events where state = '"'"'pending'"'"'").fetchone()[0])' "$data/notify.db"
}
rate() { wrk -t2 -c"$connections" -d"${each}s" -s "$post" "$base/v2/notifications/email" | awk '/Requests\/sec/ {print $2}'; }

without1=$(rate)
echo "saving the callback: HTTP $(callback "http://127.0.0.1:$rport/callback")" >&2
before=$(received); start=$(date +%s.%N)
with=$(rate)
end=$(date +%s.%N); during=$(( $(received) - before ))
# How long the receipts still waiting take to arrive once sends stop.
waiting=$(pending)
drain_start=$(date +%s.%N)
for _ in $(seq 600); do [ "$(pending)" = 0 ] && break; sleep 0.5; done
drained=$(python3 -c "print(round($(date +%s.%N) - $drain_start, 1))")
left=$(pending)
callback "" >/dev/null
without2=$(rate)
delivered=$(received)
# The floor: the same HTTP client sending to the same receiver with nothing
# else running (no sends, no database), as fast as it can.
floor=$(target/release/examples/callback_floor "http://127.0.0.1:$rport/callback" "$each")
python3 - "$without1" "$with" "$without2" "$during" "$start" "$end" "$waiting" "$drained" "$left" "$delivered" "$connections" "$floor" <<'PY'
import sys
w1, w, w2, during, start, end, waiting, drained, left, delivered, conns, floor = sys.argv[1:]
w1, w, w2 = float(w1), float(w), float(w2)
base = (w1 + w2) / 2
span = float(end) - float(start)
print(f"callbacks under load: wrk -t2 -c{conns}, test key, local receiver answering 204")
print(f"send rate without a callback: {w1:,.0f} and {w2:,.0f} req/s (mean {base:,.0f})")
print(f"send rate with the callback:  {w:,.0f} req/s ({(w / base - 1) * 100:+.1f}%)")
print(f"callbacks delivered while sending: {int(during):,} in {span:.1f}s = {int(during) / span:,.0f}/s "
      f"({int(during) / span / w * 100:.0f}% of the send rate)")
print(f"receipts waiting when sends stopped: {int(waiting):,}; all delivered {drained}s later (left: {left})")
print(f"callbacks delivered in all: {int(delivered):,}")
# If a callback cost only its HTTP exchange (the floor's), sending one per
# send would leave the sends this share of the machine: 1 / (1 + base / floor).
floor = float(floor)
print(f"the HTTP client alone, nothing else running: {floor:,.0f} callbacks/s; "
      f"at that cost per callback the sends could at best lose {(1 - 1 / (1 + base / floor)) * 100:.0f}%")
PY
rm -f "$post"
