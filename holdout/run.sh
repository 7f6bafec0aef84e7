#!/usr/bin/env bash
# Regenerate the held-out captures: sudo bash holdout/run.sh [set...]   (all sets by default)
# Each set runs in its own process (holdout/runset.sh) with fresh namespaces (prefix
# SS_NS_PREFIX, default "sc"); captures + .expect files land in HOLDOUT_DATA
# (default /work/holdout-data).  A failed set is reported and the others still run.
set -uo pipefail
HOLD=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${HOLDOUT_DATA:-/work/holdout-data}
mkdir -p "$OUT"
ALL=$(bash -c 'declare -A SET_RUN; add_set() { echo "$1"; }; for f in '"$HOLD"'/sets/*.sh; do source "$f"; done' 2>/dev/null)
SETS=${*:-$ALL}
t0=$(date +%s)
failed=()
for s in $SETS; do
    ts=$(date +%s)
    if timeout 240 bash "$HOLD/runset.sh" "$s"; then
        echo "== $s ok ($(( $(date +%s) - ts )) s)" >&2
    else
        echo "== $s FAILED ($(( $(date +%s) - ts )) s; see $OUT/.work/$s/run.log)" >&2
        failed+=("$s")
    fi
done
echo "run.sh: $(( $(date +%s) - t0 )) s; $(ls "$OUT"/*.expect 2>/dev/null | wc -l) captures in $OUT; failed sets: ${failed[*]:-none}" >&2
[[ ${#failed[@]} -eq 0 ]]
