#!/usr/bin/env bash
# Runs GOV.UK Notify's official clients (Python 13.x in a virtual
# environment, Node 8.x from npm) against the release server on a fresh
# database. Needs `cargo leptos build --release` first (make build).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)

# Clients: installed once, skipped when present at the pinned versions.
if ! .venv/bin/python -c 'import importlib.metadata as m; assert m.version("notifications-python-client") == "13.0.0"; assert m.version("jsonschema") == "4.23.0"' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
fi
if [ ! -d node/node_modules ] || [ node/package-lock.json -nt node/node_modules/.package-lock.json ]; then
  (cd node && npm ci --no-audit --no-fund --loglevel=error)
fi

port=${COMPAT_PORT:-3200}
export NOTIFY_BASE_URL="http://127.0.0.1:$port"
data=$(mktemp -d)
export NOTIFY_DATA_DIR="$data"
server="$ROOT/target/release/server"
NOTIFY_DEMO=true NOTIFY_LISTEN_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$ROOT/target/site" "$server" > "$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "$NOTIFY_BASE_URL/_status" >/dev/null && break; sleep 0.1; done

service() { "$server" list-services | awk -F'\t' -v n="$1" '$3 == n {print $1}'; }
live=$(service "Example live service")
trial=$(service "Example trial service")
export KEY_TEST=$("$server" create-api-key --service-id "$live" --name "compat test" --type test)
export KEY_TEAM=$("$server" create-api-key --service-id "$live" --name "compat team" --type team)
# A live key in a service that is (back) in trial mode: create it while the
# live service is live, then put the service in trial mode. Only live keys
# behave differently in trial mode, so the other checks are unaffected.
export KEY_TRIAL_LIVE=$("$server" create-api-key --service-id "$live" --name "compat live" --type normal)
"$server" set-trial-mode --service-id "$live" --trial true >/dev/null
export KEY_REVOKED=$("$server" create-api-key --service-id "$live" --name "compat revoked" --type test)
"$server" revoke-api-key --service-id "$live" --name "compat revoked" >/dev/null
export KEY_LIMITED=$("$server" create-api-key --service-id "$trial" --name "compat limited" --type team)
"$server" set-daily-limit --service-id "$trial" --type email --limit 1 >/dev/null

# What the demo seeds on the live service, for the sender and inbox checks.
export LIVE_SERVICE_ID="$live"
export REPLY_TO_ID=$("$server" list-senders --service-id "$live" --kind email_reply_to | awk -F'\t' '$2 == "default" {print $1}')
export SMS_SENDER_ID=$("$server" list-senders --service-id "$live" --kind sms_sender | awk -F'\t' '$3 == "GOVUK" {print $1}')
export SMS_SENDER=GOVUK
export RECEIVED_TEXT="Compat: can I change my appointment? $(date +%s)"
"$server" receive-text --to 07700900500 --from 07700900222 --message "$RECEIVED_TEXT" >/dev/null

status=0
.venv/bin/python python_client.py || status=1
node node/client.test.mjs || status=1
exit $status
