#!/usr/bin/env bash
# Run one held-out capture set: bash holdout/runset.sh <set>   (root; called by holdout/run.sh)
# Captures and their .expect files go to $HOLDOUT_DATA (default /work/holdout-data) only when
# the set's scenario checks and the cross-checks pass; otherwise everything stays in
# $HOLDOUT_DATA/.work/<set>/ for inspection and the exit status is 1.
set -euo pipefail
SET=${1:?usage: runset.sh <set>}
# shellcheck source=holdout/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $EUID -eq 0 ]] || { echo "runset.sh: must run as root" >&2; exit 2; }
WORK=$OUT/.work/$SET
rm -rf "$WORK"
mkdir -p "$WORK"
LOG=$WORK/run.log
: >"$LOG"

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${BG_PIDS[@]}"; do kill_pid "$pid" KILL; done
    delete_namespaces
    [[ $rc -ne 0 ]] && echo "runset.sh $SET: FAILED (exit $rc); work dir and log kept in $WORK" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A SET_RUN
add_set() { SET_RUN[$1]=$2; }
for f in "$HOLD"/sets/*.sh; do
    # shellcheck source=/dev/null
    source "$f"
done
[[ -n ${SET_RUN[$SET]:-} ]] || { echo "unknown set $SET (known: ${!SET_RUN[*]})" >&2; exit 2; }

log "start"
"${SET_RUN[$SET]}" "$SET"

# expect files, cross-checks of static expectations
failed=0
for f in "${CAPTURES[@]}"; do
    {
        echo "# synscope expected verdicts v1 (held-out set $SET; holdout/README.md)"
        echo "# client server verdict [flags,comma,separated] [g=group] [vlan=outer.inner] [amb=why]"
        [[ -n ${NOTE[$f]:-} ]] && echo "# capture: ${NOTE[$f]}"
        if [[ -n ${EXPECT[$f]:-} ]]; then printf '%s' "${EXPECT[$f]}" | sed '/^$/d'; else echo "$NONE_LINE"; fi
    } >"$WORK/$f.expect"
    if [[ -n ${CHECKER[$f]:-} ]]; then
        # checkviews.py knows the fixture format only: attributes and '*' verdicts left out
        sed -E 's/ (g|vlan|amb)=[^ ]*//g' "$WORK/$f.expect" >"$WORK/$f.cv.expect"
        echo "== $f (checkviews.py)" >>"$LOG"
        # shellcheck disable=SC2086
        if ! ${CHECKER[$f]} "$WORK/$f" --expect "$WORK/$f.cv.expect" >>"$LOG" 2>&1; then
            log "cross-check failed for $f:"
            ${CHECKER[$f]} "$WORK/$f" --expect "$WORK/$f.cv.expect" 2>&1 | grep -- '<--\|MISMATCH' | head -20 >&2 || true
            failed=1
        fi
        rm -f "$WORK/$f.cv.expect"
    fi
done
[[ $failed -eq 0 ]] || { log "cross-checks failed"; exit 1; }

mkdir -p "$OUT/.manifest"
if [[ -f $OUT/.manifest/$SET ]]; then   # the files this set installed last time
    while read -r f; do rm -f "$OUT/$f" "$OUT/$f.expect"; done <"$OUT/.manifest/$SET"
fi
printf '%s\n' "${CAPTURES[@]}" >"$OUT/.manifest/$SET"
for f in "${CAPTURES[@]}"; do
    mv -f "$WORK/$f" "$WORK/$f.expect" "$OUT/"
    log "$f: $(summary_of "$f")"
done
log "done: ${#CAPTURES[@]} capture(s)"
