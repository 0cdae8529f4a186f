#!/usr/bin/env bash
# The secret scan: no API key secret, callback bearer token, signing secret,
# password or session id that the browser suite saw may be in plain text in
# the server's database file, its WAL, or its log. Run by the suite's global
# teardown while the server still runs (so the WAL is there); by hand:
#   scripts/secret-scan.sh [target/e2e]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/e2e}
seen="$dir/secrets-seen.txt"
if [ ! -s "$seen" ]; then
  echo "secret scan: the browser suite recorded no secrets in $seen" >&2
  exit 1
fi
sort -u "$seen" | awk 'length($0) >= 8' >"$dir/secrets-unique.txt"
count=$(wc -l <"$dir/secrets-unique.txt")
files=()
for f in "$dir/data/notify.db" "$dir/data/notify.db-wal" "$dir/server.log"; do
  [ -f "$f" ] && files+=("$f")
done
if [ ${#files[@]} -eq 0 ]; then
  echo "secret scan: nothing to scan in $dir" >&2
  exit 1
fi
sizes=$(for f in "${files[@]}"; do printf '%s %s KB, ' "$(basename "$f")" "$(( $(stat -c %s "$f") / 1024 ))"; done)
# -a: the database is binary; -F: fixed strings; -o: only what matched.
if found=$(grep -a -o -F -f "$dir/secrets-unique.txt" "${files[@]}" | sort -u); then
  echo "secret scan: FAILED, secrets in plain text (first characters shown):" >&2
  echo "$found" | awk -F: '{ printf "  %s: %s…\n", $1, substr($2, 1, 6) }' >&2
  exit 1
fi
echo "secret scan: $count secrets seen by the browser suite, none in plain text in ${sizes%, }"
