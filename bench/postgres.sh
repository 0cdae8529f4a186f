#!/usr/bin/env bash
# The send rate on each backend, in one run: the same wrk load as
# bench/api.sh (POST /v2/notifications/email with a test key and a JWT)
# against one instance on SQLite, one instance on PostgreSQL, and three
# instances on one PostgreSQL behind HAProxy. For each: requests a second,
# p50/p99, and CPU per request (the servers', and PostgreSQL's), and the
# ratio to SQLite. ROUNDS rounds alternate the setups (machines vary between
# runs; compare within one).
#
# Needs the release build (make build), wrk, haproxy and PostgreSQL's server
# programs (apt-get install -y wrk haproxy postgresql). PostgreSQL runs in a
# throwaway cluster in a temporary folder, on a Unix socket, with its
# durable defaults (fsync and synchronous_commit on: a 201 means committed,
# as SQLite's synchronous=FULL does); removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/postgres.sh needs $tool" >&2; exit 1; }
done
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$haproxy" ] || { echo "bench/postgres.sh needs haproxy: apt-get install -y haproxy" >&2; exit 1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "bench/postgres.sh needs PostgreSQL: apt-get install -y postgresql" >&2; exit 1; }
server=$(realpath "${SERVER:-target/release/server}")
[ -x "$server" ] || { echo "no $server: run make build first" >&2; exit 1; }
connections=${CONNECTIONS:-64}; duration=${DURATION:-10}; threads=${THREADS:-2}; rounds=${ROUNDS:-2}
work=$(mktemp -d)
chmod 755 "$work"
pids=()
as_pg=()
[ "$(id -u)" = 0 ] && { as_pg=(runuser -u postgres --); chown postgres:postgres "$work"; mkdir -p "$work/srv"; }
mkdir -p "$work/srv"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U notify --auth=trust -E UTF8 >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
  -o "-k $work -c listen_addresses='' -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
"${as_pg[@]}" "$pgbin/createdb" -h "$work" -U notify notify
pg_url="postgres://notify@localhost/notify?host=$work"
postmaster=$(head -1 "$work/pg/postmaster.pid")
secret_key=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export NOTIFY_SECRET_KEY="$secret_key" LEPTOS_SITE_ROOT=target/site RUST_LOG=warn

# Clock ticks of CPU used so far by processes $@ (and, with "tree", their children).
cpu_ticks() {
  local total=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
pg_pids() { echo "$postmaster" $(pgrep -P "$postmaster" || true); }

start_server() { # name, port, database url
  mkdir -p "$work/srv/$1"
  NOTIFY_DATA_DIR="$work/srv/$1" DATABASE_URL="$3" NOTIFY_DEMO=true NOTIFY_LISTEN_ADDR="127.0.0.1:$2" \
    "$server" >"$work/srv/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$2/_status" >/dev/null && return; sleep 0.1; done
  echo "the server $1 did not start: $(tail -5 "$work/srv/$1.log")" >&2; exit 1
}

# A test key with no rate limit, and the email template's id: "service key template".
key_for() { # database url, port
  local live key template
  live=$(DATABASE_URL="$1" NOTIFY_DATA_DIR="$work/srv" "$server" list-services | awk -F'\t' '$3 == "Example live service" {print $1}')
  key=$(DATABASE_URL="$1" NOTIFY_DATA_DIR="$work/srv" "$server" create-api-key --service-id "$live" --name "bench $RANDOM" --type test)
  DATABASE_URL="$1" NOTIFY_DATA_DIR="$work/srv" "$server" set-rate-limit --service-id "$live" --limit 100000000 >/dev/null
  template=$(curl -s -H "Authorization: ApiKey-v1 $key" "http://127.0.0.1:$2/v2/templates?type=email" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["templates"][0]["id"])')
  echo "$live ${key: -36} $template"
}

wrk_script() { # service, secret, template -> a wrk script with a fresh JWT
  local jwt
  jwt=$(python3 - "$1" "$2" <<'PY'
import base64, hashlib, hmac, json, sys, time
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=")
head = b(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
body = b(json.dumps({"iss": sys.argv[1], "iat": int(time.time())}).encode())
sig = b(hmac.new(sys.argv[2].encode(), head + b"." + body, hashlib.sha256).digest())
print((head + b"." + body + b"." + sig).decode())
PY
)
  cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"email_address": "bench@example.com", "template_id": "$3", "personalisation": {"name": "Bench"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $jwt"
LUA
}

sqlite_rps=()
run() { # label, url, "service secret template", server pids...
  local label=$1 url=$2 creds=$3; shift 3
  local servers=("$@") before_srv before_pg after_srv after_pg out="$work/wrk.txt"
  read -r service secret template <<<"$creds"
  wrk_script "$service" "$secret" "$template"
  before_srv=$(cpu_ticks "${servers[@]}"); before_pg=$(cpu_ticks $(pg_pids))
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/post.lua" "$url/v2/notifications/email" >"$out"
  after_srv=$(cpu_ticks "${servers[@]}"); after_pg=$(cpu_ticks $(pg_pids))
  python3 - "$label" "$out" "$((after_srv - before_srv))" "$((after_pg - before_pg))" "$(getconf CLK_TCK)" "${sqlite_rps[*]:-}" <<'PY'
import re, sys
label, path, srv, pg, tck, base = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
text = open(path).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)
p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
us = lambda ticks: ticks / tck * 1e6 / max(total, 1)
ratio = ""
if base:
    ratio = f"  {rps / float(base.split()[-1]):.2f}x SQLite"
print(f"{label:<34} {rps:>9.0f} req/s  p50 {p50:>8}  p99 {p99:>8}  CPU/request: servers {us(srv):6.0f} µs,"
      f" PostgreSQL {us(pg):6.0f} µs  non-2xx {non2xx.group(1) if non2xx else 0}{ratio}")
PY
}

echo "wrk -t$threads -c$connections -d${duration}s, $rounds rounds, on $(nproc) cores; PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}')"
# One instance on SQLite.
start_server sqlite 3410 "sqlite:$work/srv/sqlite/notify.db"
sqlite_pid=${pids[-1]}
sqlite_creds=$(key_for "sqlite:$work/srv/sqlite/notify.db" 3410)
# One instance on PostgreSQL (it seeds the demo data), then two more and HAProxy.
start_server pg1 3411 "$pg_url"
pg1_pid=${pids[-1]}
pg_creds=$(key_for "$pg_url" 3411)
start_server pg2 3412 "$pg_url"; pg2_pid=${pids[-1]}
start_server pg3 3413 "$pg_url"; pg3_pid=${pids[-1]}
cat >"$work/haproxy.cfg" <<CFG
global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend api
    bind 127.0.0.1:3414
    default_backend instances
backend instances
    balance roundrobin
    option httpchk GET /_status
    http-check expect status 200
    server a 127.0.0.1:3411 check
    server b 127.0.0.1:3412 check
    server c 127.0.0.1:3413 check
CFG
"$haproxy" -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:3414/_status" >/dev/null && break; sleep 0.1; done

for round in $(seq "$rounds"); do
  echo "round $round"
  sqlite_rps=()
  line=$(run "SQLite, one instance" http://127.0.0.1:3410 "$sqlite_creds" "$sqlite_pid")
  echo "$line"
  sqlite_rps=("$(echo "$line" | awk '{for (i = 1; i <= NF; i++) if ($i == "req/s") print $(i - 1)}')")
  run "PostgreSQL, one instance" http://127.0.0.1:3411 "$pg_creds" "$pg1_pid"
  run "PostgreSQL, three behind HAProxy" http://127.0.0.1:3414 "$pg_creds" "$pg1_pid" "$pg2_pid" "$pg3_pid"
done

# A revoke under load: wrk sends through HAProxy while a key is revoked by
# the admin command; each instance is asked with that key until it refuses
# it. The time from the command's end to the last instance's refusal.
live=$(echo "$pg_creds" | awk '{print $1}')
for attempt in 1 2 3; do
  name="revoked under load $attempt $RANDOM"
  key=$(DATABASE_URL="$pg_url" NOTIFY_DATA_DIR="$work/srv" "$server" create-api-key --service-id "$live" --name "$name" --type test)
  for port in 3411 3412 3413; do  # known to each instance first
    until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: ApiKey-v1 $key" "http://127.0.0.1:$port/v2/templates")" = 200 ]; do sleep 0.01; done
  done
  read -r service secret template <<<"$pg_creds"
  wrk_script "$service" "$secret" "$template"
  wrk -t"$threads" -c"$connections" -d6s -s "$work/post.lua" http://127.0.0.1:3414/v2/notifications/email >/dev/null &
  wrk_pid=$!
  sleep 2
  DATABASE_URL="$pg_url" NOTIFY_DATA_DIR="$work/srv" "$server" revoke-api-key --service-id "$live" --name "$name" >/dev/null
  ended=$(date +%s%N)
  slowest=0
  for port in 3411 3412 3413; do
    until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: ApiKey-v1 $key" "http://127.0.0.1:$port/v2/templates")" = 403 ]; do :; done
    took=$(( ($(date +%s%N) - ended) / 1000000 ))
    [ "$took" -gt "$slowest" ] && slowest=$took
  done
  wait "$wrk_pid" || true
  echo "revoke under load (three instances behind HAProxy taking sends): refused by all three $slowest ms after the command ended"
done
