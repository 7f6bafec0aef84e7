#!/usr/bin/env bash
# Byte-identity of two builds of synscope on every fixture capture: json, ndjson, zeek-json and
# table --details, standard output and standard error compared separately. The safety net for
# refactors that must not change any report (issue 14): build the old commit in a worktree of its
# own (git worktree add --detach ../old REV && cd ../old && npm install && npm run build), then
#   bash bench/compare-builds.sh ../old .
# Prints each capture and format that differs, then "files N diffs D"; exits 1 when D > 0.
set -u
old=${1:?usage: compare-builds.sh OLD_CHECKOUT NEW_CHECKOUT}
new=${2:?usage: compare-builds.sh OLD_CHECKOUT NEW_CHECKOUT}
fixtures="$new/fixtures"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=0
d=0
run() { # build format file tag
  local args=(-F "$2")
  [ "$2" = table ] && args=(--details)
  COLUMNS=100 TZ=UTC node "$1/bin/synscope.js" analyze -q "${args[@]}" "$3" >"$out/$4.out" 2>"$out/$4.err"
}
while IFS= read -r f; do
  n=$((n + 1))
  for fmt in json ndjson zeek-json table; do
    run "$old" "$fmt" "$f" a
    run "$new" "$fmt" "$f" b
    if ! cmp -s "$out/a.out" "$out/b.out" || ! cmp -s "$out/a.err" "$out/b.err"; then
      d=$((d + 1))
      echo "DIFF $fmt $f"
    fi
  done
done < <(find "$fixtures" \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.pcap.gz' \) | sort)
echo "files $n diffs $d"
[ "$d" -eq 0 ]
