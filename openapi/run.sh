#!/usr/bin/env bash
# The OpenAPI description checked by tools no one here wrote, against the
# release server on a fresh demo database (make openapi; needs make build):
#   1. openapi-spec-validator: docs/openapi.json, and the description the
#      server serves, are valid OpenAPI 3.1;
#   2. schemathesis --checks all: generated valid and invalid requests for
#      every operation; no 5xx, every answer's status and body as described,
#      valid requests accepted, invalid ones refused. Its test data (ids that
#      exist, a template's placeholders) come from hooks.py.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)

if ! .venv/bin/python -c 'import importlib.metadata as m; assert m.version("schemathesis") == "4.32.5"; assert m.version("openapi-spec-validator") == "0.9.0"' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
fi

port=${OPENAPI_PORT:-3300}
base="http://127.0.0.1:$port"
data=$(mktemp -d)
server="$ROOT/target/release/server"
inbound_password="schemathesis-inbound-$(date +%s)"
export NOTIFY_DATA_DIR="$data"
NOTIFY_DEMO=true NOTIFY_LISTEN_ADDR="127.0.0.1:$port" NOTIFY_INBOUND_SMS_PASSWORD="$inbound_password" \
  LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn "$server" > "$data/server.log" 2>&1 &
pid=$!
status=1
finish() {
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  if [ "$status" = 0 ]; then rm -rf "$data"; else echo "openapi: the server's log is kept in $data/server.log" >&2; fi
}
trap finish EXIT
for _ in $(seq 100); do curl -sf "$base/_status" >/dev/null && break; sleep 0.1; done

echo "openapi: validating docs/openapi.json and the served description"
.venv/bin/openapi-spec-validator "$ROOT/docs/openapi.json"
curl -sf "$base/documentation/openapi.json" > "$data/served.json"
.venv/bin/openapi-spec-validator "$data/served.json"

live=$("$server" list-services | awk -F'\t' '$3 == "Example live service" {print $1}')
export NOTIFY_API_KEY=$("$server" create-api-key --service-id "$live" --name schemathesis --type test)
auth="Authorization: ApiKey-v1 $NOTIFY_API_KEY"
api() { curl -sf -H "$auth" -H 'Content-Type: application/json' "$@"; }
api "$base/v2/templates" > "$data/templates.json"
template() { python3 -c 'import json,sys; print(next(t["id"] for t in json.load(open(sys.argv[1]))["templates"] if t["type"] == sys.argv[2]))' "$data/templates.json" "$1"; }
export EMAIL_TEMPLATE_ID=$(template email) SMS_TEMPLATE_ID=$(template sms) LETTER_TEMPLATE_ID=$(template letter)
export PLACEHOLDERS=$(python3 -c 'import json,sys; print(",".join(sorted({p for t in json.load(open(sys.argv[1]))["templates"] for p in t["personalisation"]})))' "$data/templates.json")
values=$(python3 -c 'import json,sys; print(json.dumps({p: "x" for p in sys.argv[1].split(",") if p}))' "$PLACEHOLDERS")
id_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
export NOTIFICATION_ID=$(api -d "{\"template_id\": \"$EMAIL_TEMPLATE_ID\", \"email_address\": \"schemathesis@example.com\", \"personalisation\": $values}" "$base/v2/notifications/email" | id_of)
letter_values=$(python3 -c 'import json,sys; v=json.loads(sys.argv[1]); v.update(address_line_1="A Person", address_line_2="1 Street", address_line_3="SW1A 1AA"); print(json.dumps(v))' "$values")
export LETTER_ID=$(api -d "{\"template_id\": \"$LETTER_TEMPLATE_ID\", \"personalisation\": $letter_values}" "$base/v2/notifications/letter" | id_of)
export REPLY_TO_ID=$("$server" list-senders --service-id "$live" --kind email_reply_to | awk -F'\t' 'NR == 1 {print $1}')
export SMS_SENDER_ID=$("$server" list-senders --service-id "$live" --kind sms_sender | awk -F'\t' 'NR == 1 {print $1}')
export INBOUND_AUTHORIZATION="Basic $(printf 'notify:%s' "$inbound_password" | base64 -w0)"

# One worker: CPython 3.11's ast module keeps its recursion depth in state
# two threads can share (gh-106905), and hypothesis parses its filters'
# source to describe them; with two workers one run in a few crashed with
# "SystemError: AST constructor recursion depth mismatch".
echo "openapi: schemathesis --checks all against the release server"
PYTHONPATH=. SCHEMATHESIS_HOOKS=hooks .venv/bin/schemathesis --config-file schemathesis.toml run "$ROOT/docs/openapi.json" \
  --url "$base" --checks all --max-examples "${OPENAPI_EXAMPLES:-60}" \
  --seed "${OPENAPI_SEED:-20261206}" --workers 1 --no-color
status=0
