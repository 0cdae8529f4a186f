#!/usr/bin/env bash
# Starts the release server on a fresh database for the browser tests (with
# private callback URLs allowed, so callbacks can reach a receiver on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
NOTIFY_DATA_DIR="$data" NOTIFY_DEMO=true NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS=true NOTIFY_LISTEN_ADDR="127.0.0.1:${E2E_PORT:-3100}" \
  NOTIFY_BASE_URL="http://127.0.0.1:${E2E_PORT:-3100}" LEPTOS_SITE_ROOT=target/site \
  target/release/server &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT INT TERM
wait $pid
