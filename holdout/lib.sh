# shellcheck shell=bash
# Helpers for the held-out capture sets (sourced by holdout/runset.sh).
# Reimplements the few helpers of fixtures/make-fixtures.sh the sets need (same topology,
# same addresses), with its own namespace prefix (SS_NS_PREFIX, default "sc") and output
# directory (HOLDOUT_DATA, default /work/holdout-data).  Every process started here is
# bounded by timeout(1) and killed by pid on exit; namespaces are deleted on exit.

HOLD=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=$HOLD/tools
OUT=${HOLDOUT_DATA:-/work/holdout-data}
NS_PREFIX=${SS_NS_PREFIX:-sc}
NS_CLI=$NS_PREFIX-cli
NS_RTR=$NS_PREFIX-rtr
NS_SRV=$NS_PREFIX-srv
ALL_NS=("$NS_CLI" "$NS_RTR" "$NS_SRV")

# documentation addresses only (the fixture topology, plus three more client addresses)
C4=198.51.100.10; R4C=198.51.100.1; R4S=203.0.113.1; S4=203.0.113.20
C4B=198.51.100.11; C4C=198.51.100.12; C4D=198.51.100.13
UNR4=203.0.113.99
C6=2001:db8:1::10; R6C=2001:db8:1::1; R6S=2001:db8:2::1; S6=2001:db8:2::20
C6B=2001:db8:1::11; C6C=2001:db8:1::12; C6D=2001:db8:1::13
UNR6=2001:db8:2::99

BG_PIDS=()
CAP_PIDS=()
CAP_FILES=()
T_START=$(date +%s%N)
elapsed() { awk -v a="$T_START" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}'; }
log() { printf '[%s %6ss] %s\n' "${SET:-?}" "$(elapsed)" "$*" | tee -a "$LOG" >&2; }
fail() { log "FAIL: $*"; return 1; }

kill_pid() {   # kill one process we started, by pid, and reap it (bounded)
    local pid=$1 sig=${2:-TERM} i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill "-$sig" "$pid" 2>/dev/null || true
    for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

delete_namespaces() {
    local ns pid
    for ns in "${ALL_NS[@]}"; do
        ip netns list 2>/dev/null | grep -qw "^$ns" || continue
        # only processes inside our own namespaces (leftovers of an earlier failed run)
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
}

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

start_delay() {    # start_delay <queue> <ms>: NFQUEUE delayer in the router (no sch_netem)
    ip netns exec "$NS_RTR" timeout 300 python3 "$TOOLS/nfqdelay.py" --queue "$1" --delay-ms "$2" --lifetime 280 >"$WORK/nfq$1.out" 2>&1 &
    BG_PIDS+=($!)
    local i
    for i in $(seq 1 50); do grep -q bound "$WORK/nfq$1.out" && return 0; sleep 0.1; done
    cat "$WORK/nfq$1.out" >&2; fail "nfqdelay did not start"
}

setup_topology() {
    delete_namespaces
    local ns
    for ns in "${ALL_NS[@]}"; do
        ip netns add "$ns"
        nsx "$ns" ip link set lo up
        nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
            net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
    done
    nsx "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    ip -n "$NS_CLI" link add cli0 address 02:00:00:00:01:10 type veth \
        peer name rtr-c address 02:00:00:00:01:01 netns "$NS_RTR"
    ip -n "$NS_RTR" link add rtr-s address 02:00:00:00:02:01 type veth \
        peer name srv0 address 02:00:00:00:02:20 netns "$NS_SRV"
    local a
    for a in $C4 $C4B $C4C $C4D; do ip -n "$NS_CLI" addr add $a/24 dev cli0; done
    for a in $C6 $C6B $C6C $C6D; do ip -n "$NS_CLI" addr add $a/64 dev cli0 nodad; done
    ip -n "$NS_RTR" addr add $R4C/24 dev rtr-c
    ip -n "$NS_RTR" addr add $R6C/64 dev rtr-c nodad
    ip -n "$NS_RTR" addr add $R4S/24 dev rtr-s
    ip -n "$NS_RTR" addr add $R6S/64 dev rtr-s nodad
    ip -n "$NS_SRV" addr add $S4/24 dev srv0
    ip -n "$NS_SRV" addr add $S6/64 dev srv0 nodad
    ip -n "$NS_CLI" link set cli0 up
    ip -n "$NS_RTR" link set rtr-c up
    ip -n "$NS_RTR" link set rtr-s up
    ip -n "$NS_SRV" link set srv0 up
    ip -n "$NS_CLI" route add default via $R4C src $C4
    ip -n "$NS_CLI" -6 route add default via $R6C src $C6
    ip -n "$NS_SRV" route add default via $R4S
    ip -n "$NS_SRV" -6 route add default via $R6S
    ip -n "$NS_RTR" route add unreachable $UNR4/32
    ip -n "$NS_RTR" -6 route add unreachable $UNR6/128
    # everything the router sends towards the client is held 5 ms (see fixtures/README.md:
    # an ICMP error arriving inside connect() is only a soft error)
    start_delay 3 5
    local ipt
    for ipt in iptables ip6tables; do
        nsx "$NS_RTR" $ipt -A FORWARD -o rtr-c -j NFQUEUE --queue-num 3 --queue-bypass
        nsx "$NS_RTR" $ipt -A OUTPUT -o rtr-c -j NFQUEUE --queue-num 3 --queue-bypass
    done
}

teardown_topology() {
    local pid
    for pid in "${BG_PIDS[@]}"; do kill_pid "$pid"; done
    BG_PIDS=()
    delete_namespaces
    log "topology deleted"
}

linear_timeouts() {   # linear_timeouts <n>: client and server SYN retry style (6.18 default 4)
    local ns
    for ns in "$NS_CLI" "$NS_SRV"; do nsx "$ns" sysctl -qw net.ipv4.tcp_syn_linear_timeouts="$1"; done
}

start_server() {   # start_server <tcpctl args...> (server namespace, background, bounded)
    ip netns exec "$NS_SRV" timeout 200 python3 "$TOOLS/tcpctl.py" "$@" >>"$LOG" 2>&1 &
    BG_PIDS+=($!)
}

wait_port() {      # wait_port <addr> <port>
    local i ep
    if [[ $1 == *:* ]]; then ep="[$1]:$2"; else ep="$1:$2"; fi
    for i in $(seq 1 50); do
        nsx "$NS_SRV" ss -Hltn | grep -qF " $ep " && return 0
        sleep 0.1
    done
    fail "server did not start listening on $ep"
}

client() {         # client [burst] <tcpctl args...> (client namespace, foreground, bounded)
    local cmd=connect
    if [[ $1 == burst ]]; then cmd=burst; shift; fi
    ip netns exec "$NS_CLI" timeout 60 python3 "$TOOLS/tcpctl.py" "$cmd" "$@" >>"$LOG" 2>&1
}

client_bg() {      # client_bg [burst] <tcpctl args...>: background; wait_clients waits for them
    local cmd=connect
    if [[ $1 == burst ]]; then cmd=burst; shift; fi
    ip netns exec "$NS_CLI" timeout 60 python3 "$TOOLS/tcpctl.py" "$cmd" "$@" >>"$LOG" 2>&1 &
    CLIENT_PIDS+=($!)
    BG_PIDS+=($!)
}
CLIENT_PIDS=()
wait_clients() {
    local pid
    for pid in "${CLIENT_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    CLIENT_PIDS=()
}

start_capture() {  # start_capture <file> <ns> <command...>: background, wait until it listens
    local name=$1 ns=$2 i; shift 2
    ip netns exec "$ns" timeout 200 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    BG_PIDS+=("$pid"); CAP_PIDS+=("$pid"); CAP_FILES+=("$name")
    for i in $(seq 1 50); do
        grep -qE 'listening on|Capturing on' "$WORK/$name.err" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.err" >&2; fail "capture $name died"; return 1; }
        sleep 0.1
    done
    fail "capture $name did not start"
}

stop_captures() {  # TERM (timeout(1) passes it on), then check the drop counters
    local pid i f
    sleep 0.2
    for pid in "${CAP_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${CAP_PIDS[@]}"; do
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill_pid "$pid"
    done
    CAP_PIDS=()
    for f in "${CAP_FILES[@]}"; do
        if grep -qE '^[1-9][0-9]* packets? dropped by (kernel|interface)' "$WORK/$f.err" ||
           { grep -E 'received/dropped' "$WORK/$f.err" | grep -vqE '/0 \('; }; then
            grep -E 'dropped' "$WORK/$f.err" >&2
            fail "capture $f dropped packets"
            return 1
        fi
    done
    CAP_FILES=()
    log "captures stopped (no drops)"
}

TSP=micro
cap_client() {     # cap_client <file> [tcpdump options / filter]: Ethernet at cli0
    local f=$1; shift
    start_capture "$f" "$NS_CLI" tcpdump -i cli0 -U --immediate-mode --time-stamp-precision=$TSP -B 16384 -Z root -w "$WORK/$f" "$@"
}
cap_server() {     # cap_server <file> [options]: tcpdump -i any, LINUX_SLL2
    local f=$1; shift
    start_capture "$f" "$NS_SRV" tcpdump -i any -y LINUX_SLL2 -U --immediate-mode --time-stamp-precision=$TSP -B 16384 -Z root -w "$WORK/$f" "$@"
}
cap_router() {     # cap_router <file> [capture filter]: dumpcap on both router veths
    local f=$1 flt=${2:-tcp or icmp or icmp6}
    start_capture "$f" "$NS_RTR" dumpcap -q -B 16 -i rtr-c -f "$flt" -i rtr-s -f "$flt" -w "$WORK/$f"
}

fam_vars() {       # fam_vars v4|v6: C S C2 C3 C4x UNR IPT
    if [[ $1 == v4 ]]; then C=$C4; CB=$C4B; CC=$C4C; CD=$C4D; S=$S4; UNR=$UNR4; IPT=iptables
    else C=$C6; CB=$C6B; CC=$C6C; CD=$C6D; S=$S6; UNR=$UNR6; IPT=ip6tables; fi
}

ports_list() {     # ports_list <n> <first>: n comma-separated ports
    seq -s, "$2" $(($2 + $1 - 1))
}
offsets_spread() { # offsets_spread <n> <step seconds>
    awk -v n="$1" -v s="$2" 'BEGIN{for (i = 0; i < n; i++) printf "%s%.5f", (i ? "," : ""), i * s}'
}
offsets_same() {   # offsets_same <n> <value>
    awk -v n="$1" -v v="$2" 'BEGIN{for (i = 0; i < n; i++) printf "%s%s", (i ? "," : ""), v}'
}

resolve_neigh() {  # resolve_neigh <client addr> <server addr>: one refused connection (not captured)
    client --src "$1" --sport 39999 --dst "$2" --dport 7999 --timeout 2 || true
}

# ---------------------------------------------------------------- expectations
CAPTURES=()
declare -A EXPECT    # file -> expect lines
declare -A CHECKER   # file -> cross-check command for static expectations
declare -A NOTE      # file -> one line describing the capture
ep_of() { if [[ $1 == *:* ]]; then echo "[$1]:$2"; else echo "$1:$2"; fi; }
expect() {         # expect "<file>..." <cip> <cport> <sip> <sport> <verdict> [flags|-] [attr=v ...]
    local files=$1 line f flags=${7:-}
    line="$(ep_of "$2" "$3") $(ep_of "$4" "$5") $6"
    [[ -n $flags && $flags != - ]] && line+=" $flags"
    shift 7 2>/dev/null || shift $#
    [[ $# -gt 0 ]] && line+=" $*"
    for f in $files; do EXPECT[$f]+="$line"$'\n'; done
}
derive() {         # derive <file> <vantage> <rule> <ports> [truth.py options]: append derived lines
    local f=$1 v=$2 rule=$3 ports=$4 lines; shift 4
    lines=$(python3 "$TOOLS/truth.py" derive "$WORK/$f" --vantage "$v" --rule "$rule" --ports "$ports" "$@" 2>>"$WORK/truth.err") ||
        { cat "$WORK/truth.err" >&2; fail "truth.py found scenario problems in $f"; return 1; }
    EXPECT[$f]+="$lines"$'\n'
    printf '%s\n' "$lines" >>"$LOG"
}
count_lines() {    # count_lines <file> <g|.> <verdict|.> [flag|!flag ...]: expect lines matching
    local f=$1 g=$2 v=$3; shift 3
    printf '%s' "${EXPECT[$f]}" | sed 's/#.*//' | awk -v g="$g" -v v="$v" -v want="$*" '
        NF >= 3 {
            fl = ""; gr = ""
            for (i = 4; i <= NF; i++) { if ($i ~ /^g=/) gr = substr($i, 3); else if ($i !~ /=/) fl = $i }
            if (g != "." && gr != g) next
            if (v != "." && $3 != v) next
            n = split(fl, have, ","); delete h; for (i = 1; i <= n; i++) h[have[i]] = 1
            m = split(want, w, " "); ok = 1; for (i = 1; i <= m; i++) if (!(w[i] in h)) ok = 0
            c += ok
        }
        END { print c + 0 }'
}
summary_of() {     # one line: verdict/flag counts of a file's expectations
    printf '%s' "${EXPECT[$1]:-}" | sed 's/#.*//' | awk 'NF >= 3 {k = $3; for (i = 4; i <= NF; i++) if ($i !~ /=/) k = k " " $i; else if ($i ~ /^amb=/) k = k " (amb)"; print k}' |
        sort | uniq -c | awk '{c = $1; $1 = ""; printf "%s%s x%d", sep, substr($0, 2), c; sep = "; "}'
}
register() { CAPTURES+=("$@"); }
static_check() {   # captures whose expectations the scenario wrote: cross-check with checkviews.py
    local f
    for f in "$@"; do CHECKER[$f]="python3 $TOOLS/checkviews.py"; done
}
note() { local f; local text=$1; shift; for f in "$@"; do NOTE[$f]=$text; done; }
NONE_LINE="  # - none (nothing in this capture identifies a connection attempt)"
