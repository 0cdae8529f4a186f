#!/usr/bin/env bash
# Starts the release server on a fresh database for the browser tests (with
# private callback URLs allowed, so callbacks can reach a receiver on loopback),
# in the neutral brand, or GOV.UK's with E2E_BRAND=govuk (E2E_OUT: its folder).
# The data and the server's log stay in target/e2e after the run: the secret
# scan (scripts/secret-scan.sh, run as the suite's global teardown) reads
# them, with the secrets the tests saw (target/e2e/secrets-seen.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${E2E_OUT:-target/e2e}
rm -rf "$out"
mkdir -p "$out/data"
NOTIFY_BRAND="${E2E_BRAND:-neutral}" NOTIFY_DATA_DIR="$out/data" NOTIFY_DEMO=true NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS=true \
  NOTIFY_INBOUND_SMS_PASSWORD=e2e-inbound-sms-password NOTIFY_LISTEN_ADDR="127.0.0.1:${E2E_PORT:-3100}" \
  NOTIFY_BASE_URL="http://localhost:${E2E_PORT:-3100}" LEPTOS_SITE_ROOT=target/site \
  target/release/server 2> >(tee "$out/server.log" >&2) &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT INT TERM
wait $pid
