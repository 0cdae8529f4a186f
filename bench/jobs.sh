#!/usr/bin/env bash
# Jobs (issue 23) against the release server on a fresh demo database (needs
# `make build` and wrk):
#   1. a list of ROWS recipients (100,000 by default) uploaded in the admin,
#      its check page (every row checked) and "Send" timed; the job's rows
#      stored per second (from the job's own start and finish times); the
#      server's peak resident memory before and after;
#   2. the API's send rate (POST /v2/notifications/email, test key, wrk)
#      with no job running, then while jobs of ROWS rows each are being
#      stored, alternating ROUNDS times, each run DURATION seconds.
#   bench/jobs.sh            ROWS=100000 ROUNDS=2 DURATION=10 by default
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/jobs.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }
rows=${ROWS:-100000}; rounds=${ROUNDS:-2}; duration=${DURATION:-10}
port=${BENCH_PORT:-3401}
base="http://127.0.0.1:$port"
server=${SERVER:-target/release/server}
data=$(mktemp -d)
export NOTIFY_DATA_DIR="$data"
NOTIFY_DEMO=true NOTIFY_LISTEN_ADDR="127.0.0.1:$port" NOTIFY_BASE_URL="$base" \
  LEPTOS_SITE_ROOT=target/site RUST_LOG=warn "$server" > "$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "$base/_status" > /dev/null && break; sleep 0.1; done

live=$("$server" list-services | awk -F'\t' '$3 == "Example live service" {print $1}')
"$server" set-rate-limit --service-id "$live" --limit 100000000 > /dev/null
"$server" set-daily-limit --service-id "$live" --type email --limit 100000000 > /dev/null
key=$("$server" create-api-key --service-id "$live" --name bench --type test)
read -r template header < <(python3 - "$data/notify.db" "$live" <<'PY'
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tid, subject, content = db.execute(
    "SELECT id, subject, content FROM templates WHERE service_id = ? AND template_type = 'email' AND archived = 0 LIMIT 1",
    (sys.argv[2],)).fetchone()
names = []
for text in (content, subject or ""):
    for name in re.findall(r"\(\(([^()]+?)(?:\?\?[^()]*)?\)\)", text):
        if name.strip().lower() not in [n.lower() for n in names]:
            names.append(name.strip())
print(tid, ",".join(["email address"] + names).replace(" ", "%20"))
PY
)
header=${header//%20/ }
python3 - "$rows" "$header" > "$data/people.csv" <<'PY'
import sys
rows, header = int(sys.argv[1]), sys.argv[2]
columns = header.split(",")
print(header)
for i in range(rows):
    print(",".join([f"person.{i}@example.gov.uk"] + [f"value {i}" for _ in columns[1:]]))
PY
peak() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status"; }
sql() { python3 -c "import sqlite3,sys; print(*sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone())" "$data/notify.db" "$1"; }
ms() { python3 -c "print(round(float('$1') * 1000))"; }
echo "bench/jobs.sh: $rows rows ($(du -h "$data/people.csv" | cut -f1)) on $(nproc) cores; peak resident memory before: $(peak) MB"

# 1. Upload, check, send from the admin.
jar="$data/jar"
curl -sf -c "$jar" -b "$jar" -o /dev/null --data-urlencode "email_address=admin@example.gov.uk" \
  --data-urlencode "password=notify-demo-password" "$base/sign-in"
csrf=$(curl -sf -b "$jar" "$base/services/$live/send/$template/csv" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//')
upload=$(curl -s -b "$jar" -o /dev/null -w '%{redirect_url} %{time_total}' -F "csrf_token=$csrf" \
  -F "file=@$data/people.csv;filename=people.csv;type=text/csv" "$base/services/$live/send/$template/csv")
check_url=${upload%% *}
check=$(curl -s -b "$jar" -o "$data/check.html" -w '%{time_total}' "$check_url")
grep -q "Send $(python3 -c "print(f'{$rows:,}')") emails" "$data/check.html" \
  || { echo "the check page did not offer to send the file:" >&2; sed "s/<[^>]*>/ /g" "$data/check.html" | tr -s " \n" | head -c 1500 >&2; exit 1; }
upload_id=${check_url##*/}
start=$(curl -s -b "$jar" -o /dev/null -w '%{redirect_url} %{time_total}' --data-urlencode "csrf_token=$csrf" \
  --data-urlencode "scheduled_for=" "$base/services/$live/start-job/$upload_id")
job=${start%% *}; job=${job##*/}
for _ in $(seq 600); do
  [ "$(sql "SELECT job_status FROM jobs WHERE id = '$job'")" = finished ] && break
  sleep 0.1
done
stored=$(sql "SELECT COUNT(*) FROM notifications WHERE job_id = '$job'")
seconds=$(sql "SELECT (julianday(processing_finished) - julianday(processing_started)) * 86400 FROM jobs WHERE id = '$job'")
printf 'upload %s ms   check page %s ms   send (make the job) %s ms\n' "$(ms "${upload##* }")" "$(ms "$check")" "$(ms "${start##* }")"
printf 'job: %s rows stored in %.2f s = %s rows/s\n' "$stored" "$seconds" "$(python3 -c "print(round($stored / $seconds))")"
echo "peak resident memory after the job: $(peak) MB"
# Its messages go out through the built-in outbox meanwhile; the rest is
# measured once they are all out.
for _ in $(seq 1200); do
  [ "$(sql "SELECT COUNT(*) FROM notifications WHERE status = 'created' AND key_type != 'test'")" = 0 ] && break
  sleep 0.1
done

# 2. The API's send rate without and with jobs being stored.
jwt() {
  python3 - "$live" "${key: -36}" <<'PY'
import base64, hashlib, hmac, json, sys, time
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=")
head = b(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
body = b(json.dumps({"iss": sys.argv[1], "iat": int(time.time())}).encode())
sig = b(hmac.new(sys.argv[2].encode(), head + b"." + body, hashlib.sha256).digest())
print((head + b"." + body + b"." + sig).decode())
PY
}
send_rate() { # label
  local lua token
  lua="$data/send.lua"; token=$(jwt)
  cat > "$lua" <<LUA
wrk.method = "POST"
wrk.body = '{"email_address": "bench@example.com", "template_id": "$template", "personalisation": {"name": "Bench"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA
  wrk -t2 -c32 -d"${duration}s" --latency -s "$lua" "$base/v2/notifications/email" > "$data/wrk.txt"
  printf '%-28s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' "$data/wrk.txt")" "$(awk '/^ +50%/ {print $2}' "$data/wrk.txt")" \
    "$(awk '/^ +99%/ {print $2}' "$data/wrk.txt")" "$(awk '/Non-2xx/ {print $5}' "$data/wrk.txt")"
}
python3 -c "import json,sys; print(json.dumps({'name': 'bench', 'template_id': sys.argv[1], 'csv': open(sys.argv[2]).read()}))" \
  "$template" "$data/people.csv" > "$data/bulk.json"
# A test key's job alone (its messages pretend: no delivery beside it).
bulk_job=$(curl -sf -H "Authorization: Bearer $(jwt)" -H "Content-Type: application/json" \
  --data-binary "@$data/bulk.json" "$base/v2/notifications/bulk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
for _ in $(seq 600); do
  [ "$(sql "SELECT job_status FROM jobs WHERE id = '$bulk_job'")" = finished ] && break
  sleep 0.1
done
seconds=$(sql "SELECT (julianday(processing_finished) - julianday(processing_started)) * 86400 FROM jobs WHERE id = '$bulk_job'")
printf 'a test key'"'"'s job alone: %s rows stored in %.2f s = %s rows/s\n' "$rows" "$seconds" "$(python3 -c "print(round($rows / $seconds))")"
before=$(sql "SELECT COUNT(*) FROM notifications WHERE job_id IS NOT NULL")
for round in $(seq "$rounds"); do
  send_rate "round $round: no job"
  # Enough jobs to keep the worker busy for the whole run.
  for _ in 1 2 3; do
    curl -sf -o /dev/null -H "Authorization: Bearer $(jwt)" -H "Content-Type: application/json" \
      --data-binary "@$data/bulk.json" "$base/v2/notifications/bulk"
  done
  send_rate "round $round: jobs being stored"
  now=$(sql "SELECT COUNT(*) FROM notifications WHERE job_id IS NOT NULL")
  echo "  job rows stored during the run: $((now - before))"; before=$now
  for _ in $(seq 600); do
    [ "$(sql "SELECT COUNT(*) FROM jobs WHERE job_status != 'finished'")" = 0 ] && break
    sleep 0.1
  done
  before=$(sql "SELECT COUNT(*) FROM notifications WHERE job_id IS NOT NULL")
done
echo "peak resident memory at the end: $(peak) MB"
