#!/usr/bin/env bash
# The server's tests again, each on a database of its own on a throwaway
# PostgreSQL cluster (NOTIFY_TEST_BACKEND=postgres: server/tests/common),
# but those server/tests/sqlite-only.txt names, which inspect the database
# with SQLite's own SQL. `make test` runs it after the tests on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
skips=()
while read -r file test _; do
  case "$file" in ''|'#'*) continue ;; esac
  skips+=(--skip "$test")
done < server/tests/sqlite-only.txt
# The PostgreSQL-only tests (store_backends, several_instances,
# postgres_schema) have run once already, on their own clusters.
for already in store_backends several_instances postgres_schema postgres_faults; do
  for t in $(grep -oE '^async fn [a-z0-9_]+' "server/tests/$already.rs" | awk '{print $3}'); do skips+=(--skip "$t"); done
done
NOTIFY_TEST_BACKEND=postgres cargo test -p server --tests -- --exact "${skips[@]}"
