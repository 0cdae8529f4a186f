#!/usr/bin/env bash
# GOV.UK Frontend's stylesheet for the neutral brand (NOTIFY_BRAND=neutral):
# the same rules without GDS Transport (its @font-face rules removed, and
# the name taken out of every font stack, which leaves GOV.UK Frontend's own
# fallback, arial, sans-serif) and without the crown (the crest image of
# the Crown copyright logo). GDS Transport and the crown are for services
# on GOV.UK only.
#   scripts/neutral-css.sh IN OUT
set -euo pipefail
in=$1 out=$2
sed -e 's/@font-face{[^}]*}//g' \
    -e 's/GDS Transport,//g' \
    -e 's#url(/assets/images/govuk-crest\.svg)#none#g' \
    "$in" > "$out.tmp"
if grep -q -e 'GDS Transport' -e 'govuk-crest' -e '/assets/fonts/' "$out.tmp"; then
  echo "neutral-css: GDS Transport or the crown is still in $out.tmp" >&2
  exit 1
fi
mv "$out.tmp" "$out"
