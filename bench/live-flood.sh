#!/usr/bin/env bash
# Live capture under a loopback SYN flood: what share of the SYNs libpcap delivered to synscope and
# what share synscope analysed (issue 14's live target). As root. A network namespace of its own
# (deleted on exit) with loopback up and an iptables DROP on ports 9000-9099, so every SYN stays an
# unanswered attempt; bench/syn-flood.py sends RATE SYN/s for SECONDS after the capture has begun,
# and the capture lasts SECONDS + 2, so every SYN sent falls inside it.
#   bash bench/live-flood.sh [CHECKOUT|tcpdump] [RATE] [SECONDS] [-- synscope live options...]
# CHECKOUT (default .) is a built synscope checkout; `tcpdump` captures with `tcpdump -w /dev/null`
# instead (what libpcap delivers with no analysis). Prints one line: sent, captured, analysed, shed,
# queue peak, peak RSS (VmHWM of the capturing process).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-.}"; rate="${2:-100000}"; secs="${3:-5}"
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = -- ] && shift
ns="ssbench-$$"
out="$(mktemp -d)"
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" iptables -A INPUT -p tcp --dport 9000:9099 -j DROP
dur=$(( secs + 2 ))
if [ "$build" = tcpdump ]; then
  ip netns exec "$ns" timeout "$dur" tcpdump -i lo -n -w /dev/null 'tcp[tcpflags] & tcp-syn != 0' >/dev/null 2>"$out/err" &
else
  ip netns exec "$ns" node "$build/bin/synscope.js" live -i lo --format ndjson --duration "$dur" \
    --handshake-timeout 1 "$@" >"$out/out" 2>"$out/err" &
fi
job=$!
sleep 1.5
pid=$(pgrep -n -f "$( [ "$build" = tcpdump ] && echo 'tcpdump -i lo' || echo 'synscope.js live')" || echo "$job")
peak=0
( while kill -0 "$job" 2>/dev/null; do
    v=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${v:-0}" -gt "$peak" ] && peak=$v && echo "$peak" >"$out/peak"
    sleep 0.1
  done ) &
ip netns exec "$ns" python3 "$here/syn-flood.py" "$rate" "$secs" $(( rate * secs + 1000 )) >"$out/sent"
wait "$job" || true
sleep 0.2
sent=$(sed -E 's/.*"sent": ([0-9]+).*/\1/' "$out/sent")
peakmib=$(( $(cat "$out/peak" 2>/dev/null || echo 0) / 1024 ))
if [ "$build" = tcpdump ]; then
  got=$(sed -nE 's/^([0-9]+) packets captured.*/\1/p' "$out/err")
  kdrop=$(sed -nE 's/^([0-9]+) packets dropped by kernel.*/\1/p' "$out/err")
  echo "tcpdump: sent $sent, captured $got ($(( 100 * got / sent )) %), kernel drops $kdrop, peak RSS $peakmib MiB"
else
  tail -n 1 "$out/out" | node -e '
    const s = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
    const c = s.capture, sent = Number(process.argv[1]);
    const pct = (n) => (100 * n / sent).toFixed(1);
    console.log(`synscope: sent ${sent}, captured ${c.packets} (${pct(c.packets)} %), analysed ${c.analysed} (${pct(c.analysed)} %), ` +
      `shed ${c.shed}, queue peak ${c.queue.peak}/${c.queue.slots}, attempts ${s.attempts}, peak RSS ${process.argv[2]} MiB`);
  ' "$sent" "$peakmib"
fi
