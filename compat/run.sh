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

# The documentation's examples (docs/examples), run as a reader would run
# them: with a test key, the service's address and its templates' ids.
echo "compat: the documentation's examples"
ln -sfn "$PWD/node/node_modules" "$ROOT/docs/examples/node/node_modules"
export NOTIFY_API_KEY="$KEY_TEST"
template() {
  .venv/bin/python -c 'import os, sys; from notifications_python_client.notifications import NotificationsAPIClient as C
c = C(os.environ["NOTIFY_API_KEY"], base_url=os.environ["NOTIFY_BASE_URL"])
print(c.get_all_templates(template_type=sys.argv[1])["templates"][0]["id"])' "$1"
}
export EMAIL_TEMPLATE_ID=$(template email) SMS_TEMPLATE_ID=$(template sms) LETTER_TEMPLATE_ID=$(template letter)
uuid='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
example() {
  # example NAME EXPECTED-PATTERN COMMAND...: the command's first line of
  # output must match the pattern.
  local name=$1 pattern=$2
  shift 2
  local out
  if out=$("$@" 2>&1) && head -n1 <<<"$out" | grep -Eq "$pattern"; then
    echo "  ok: $name"
  else
    echo "  FAILED: $name printed:"; sed 's/^/    /' <<<"$out"; status=1
  fi
}
for lang in python node; do
  if [ $lang = python ]; then run=(.venv/bin/python); ext=py; else run=(node); ext=mjs; fi
  dir="$ROOT/docs/examples/$lang"
  example "$lang send_email" "$uuid" "${run[@]}" "$dir/send_email.$ext"
  export NOTIFICATION_ID=$("${run[@]}" "$dir/send_email.$ext")
  example "$lang send_sms" '^Hello Amala,$' "${run[@]}" "$dir/send_sms.$ext"
  example "$lang send_letter" "$uuid" "${run[@]}" "$dir/send_letter.$ext"
  example "$lang get_status" '^(created|sending|delivered)$' "${run[@]}" "$dir/get_status.$ext"
  example "$lang send_bulk" "$uuid" "${run[@]}" "$dir/send_bulk.$ext"
done
exit $status
