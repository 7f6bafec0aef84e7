# shellcheck shell=bash
# Listen-queue sets: listeners that never accept(), slow accept() loops, tcp_abort_on_overflow.
# Truth: tools/truth.py --rule listener (loss-free path, checked with `truth.py lossfree` and
# tcpdump's drop counters), plus the counts the scenario guarantees.

HB_FILTER='tcp or icmp or icmp6'

# ------------------------------------------------------------------ noaccept
# listen(N), never accept(), tcp_syncookies=0; per server port one variant, all SYNs of a
# variant in one tight loop of non-blocking connect()s (tcpctl burst --together, < 1 ms, well
# inside the 5 ms RTT): N+1 request sockets get SYN-ACKs, their handshakes fill the accept
# queue (N+1 children), every other SYN and its retransmissions are dropped.
#   ports 7101-7112: N = 0, 2, 4  x  5 / 30 clients  x  data+FIN / nothing (hold 1 s, FIN)
# noaccept-cookie: the same with tcp_syncookies=1 (default), N=2, 30 clients (7113 data,
# 7114 nothing): the SYNs beyond N+1 get cookie SYN-ACKs, their ACKs and data are dropped.
run_noaccept() {
    local set=$1 fam=${1##*-} C CB CC CD S UNR IPT cookies=0 base
    fam_vars "$fam"
    [[ $set == noaccept-cookie-* ]] && cookies=1
    if [[ $fam == v4 ]]; then base=20000; TSP=micro; else base=30000; TSP=nano; fi
    [[ $cookies == 1 ]] && base=$((base + 600))
    local cf=$set-client.pcap sf=$set-server.pcap
    log "topology"
    setup_topology
    nsx "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies=$cookies
    local variants=() v n k data port
    if [[ $cookies == 0 ]]; then
        for n in 0 2 4; do for k in 5 30; do for data in data none; do variants+=("$n:$k:$data"); done; done; done
    else
        variants=("2:30:data" "2:30:none")
    fi
    local i=0
    for v in "${variants[@]}"; do
        port=$((7101 + i + (cookies ? 12 : 0)))
        start_server nolisten --host "$S" --port $port --backlog "${v%%:*}" --lifetime 60
        i=$((i + 1))
    done
    sleep 0.3
    for i in "${!variants[@]}"; do wait_port "$S" $((7101 + i + (cookies ? 12 : 0))); done
    cap_client "$cf" -s 256 "$HB_FILTER"
    cap_server "$sf" -s 256 "$HB_FILTER"
    sleep 0.3
    local groups=()
    for i in "${!variants[@]}"; do
        v=${variants[$i]}; n=${v%%:*}; k=${v#*:}; k=${k%%:*}; data=${v##*:}
        port=$((7101 + i + (cookies ? 12 : 0)))
        local extra=(--send hello --hold 0.3)
        [[ $data == none ]] && extra=(--no-data --hold 1.0)
        log "listen($n) no accept, $k clients at once, $data, port $port"
        client_bg burst --together --src "$C" --sports "$(ports_list "$k" $((base + i * 40 + 1)))" \
            --offsets "$(offsets_same "$k" 0)" --dst "$S" --dport $port --timeout 5 "${extra[@]}"
        groups+=(--group "$port=noaccept-k$cookies-b$n-c$k-$data")
        sleep 0.15
    done
    wait_clients
    sleep 0.5
    stop_captures
    teardown_topology
    python3 "$TOOLS/truth.py" lossfree "$WORK/$cf" "$WORK/$sf" | tee -a "$LOG" | grep -q ' 0 segment' ||
        fail "$set: the path lost packets" || return 1
    local ports
    ports=$(seq -s, $((7101 + (cookies ? 12 : 0))) $((7100 + ${#variants[@]} + (cookies ? 12 : 0))))
    derive "$cf" client listener "$ports" "${groups[@]}"
    derive "$sf" server listener "$ports" "${groups[@]}"
    # the scenario's counts: min(N+1, clients) established per port, no backlog flag on them
    for i in "${!variants[@]}"; do
        v=${variants[$i]}; n=${v%%:*}; k=${v#*:}; k=${k%%:*}; data=${v##*:}
        local g=noaccept-k$cookies-b$n-c$k-$data want=$((n + 1)) f
        [[ $want -gt $k ]] && want=$k
        for f in "$cf" "$sf"; do
            local got; got=$(count_lines "$f" "$g" established '!backlog-drop')
            local drops; drops=$(count_lines "$f" "$g" backlog-drop)
            log "$f $g: established $got (want $want), backlog-drop $drops (want $((k - want)))"
            [[ $got -eq $want && $drops -eq $((k - want)) ]] || fail "$f $g: counts differ from the scenario" || return 1
        done
    done
    note "listen(N) never accept(); tcp_syncookies=$cookies; clients of one port send their SYNs within 1 ms" "$cf" "$sf"
    register "$cf" "$sf"
}

# ------------------------------------------------------------------ abort
# tcp_abort_on_overflow=1, listen(2), never accept(). 2 clients complete first (the accept queue
# holds 2 children, not yet full), then 8 clients at once: 3 request sockets (syncookies=0: the
# other 5 SYNs dropped; syncookies=1: 5 cookie SYN-ACKs), the first ACK fills the queue, the
# next two ACKs are answered with a bare RST (abort on overflow); cookie ACKs are dropped
# silently (no request socket to abort).  v4 and v6 one after the other in one topology.
run_abort() {
    local set=$1 cookies=${1##*-k} fam C CB CC CD S UNR IPT port=7201
    local cf=$set-client.pcap sf=$set-server.pcap
    log "topology"
    setup_topology
    nsx "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies="$cookies" net.ipv4.tcp_abort_on_overflow=1
    start_server nolisten --host "$S4" --port $port --backlog 2 --lifetime 60
    start_server nolisten --host "$S6" --port $port --backlog 2 --lifetime 60
    wait_port "$S4" $port; wait_port "$S6" $port
    TSP=nano
    cap_client "$cf" -s 256 "$HB_FILTER"
    TSP=micro
    cap_server "$sf" -s 256 "$HB_FILTER"
    sleep 0.3
    local base=$((21000 + cookies * 100))
    for fam in v4 v6; do
        fam_vars "$fam"
        [[ $fam == v6 ]] && base=$((base + 50))
        log "abort $fam: 2 clients, then 8 at once (syncookies=$cookies)"
        client burst --together --src "$C" --sports "$(ports_list 10 $((base + 1)))" \
            --offsets "0,0,$(offsets_same 8 0.3)" --dst "$S" --dport $port --timeout 5 --send hello --hold 1
        sleep 0.3
    done
    sleep 0.5
    stop_captures
    teardown_topology
    python3 "$TOOLS/truth.py" lossfree "$WORK/$cf" "$WORK/$sf" | tee -a "$LOG" | grep -q ' 0 segment' ||
        fail "$set: the path lost packets" || return 1
    derive "$cf" client listener $port --group "$port=abort-k$cookies"
    derive "$sf" server listener $port --group "$port=abort-k$cookies"
    local f est rst
    for f in "$cf" "$sf"; do
        est=$(count_lines "$f" . established '!backlog-drop')
        rst=$(grep -c 'bare RST' <<<"${EXPECT[$f]}" || true)
        log "$f: established $est (want 6), bare RSTs after the handshake $rst (want 4)"
        [[ $est -eq 6 && $rst -eq 4 ]] || fail "$f: counts differ from the scenario" || return 1
    done
    note "tcp_abort_on_overflow=1, tcp_syncookies=$cookies, listen(2) never accept(); per family 2 clients then 8 at once" "$cf" "$sf"
    register "$cf" "$sf"
}

# ------------------------------------------------------------------ slowaccept
# A listener that accept()s one connection every I ms, listen(L), tcp_syncookies K, client
# tcp_timestamps T; C clients spread over a few tens of ms (v4 and v6 at the same time, to the
# same port number, separate listeners); each sends a request and reads the reply (connect and
# read timeouts 6 s: clients still waiting then give up).
#   name  L   I(ms) C    K T
SLOW_VARIANTS=(
    "sa1  4   20    50   0 1"
    "sa2  4   100   50   1 0"
    "sa3  16  20    300  1 1"
    "sa4  16  100   300  2 0"
    "sa5  4   100   300  0 0"
    "sa6  16  20    50   2 1"
)
run_slowaccept() {
    local set=$1 name=${1#slowaccept-} row L I N K T fam C CB CC CD S UNR IPT port=7301
    for row in "${SLOW_VARIANTS[@]}"; do
        read -r v L I N K T <<<"$row"
        [[ $v == "$name" ]] && break
    done
    [[ $v == "$name" ]] || fail "no variant $name" || return 1
    local g="slow-$name-L$L-I$I-C$N-K$K-T$T"
    local c4=$set-v4-client.pcap s4=$set-v4-server.pcap c6=$set-v6-client.pcap s6=$set-v6-server.pcap
    log "topology ($g)"
    setup_topology
    nsx "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies="$K"
    nsx "$NS_CLI" sysctl -qw net.ipv4.tcp_timestamps="$T"
    local ival; ival=$(awk -v i="$I" 'BEGIN{printf "%.3f", i / 1000}')
    start_server serve --host "$S4" --ports $port --backlog "$L" --accept-interval "$ival" --lifetime 60
    start_server serve --host "$S6" --ports $port --backlog "$L" --accept-interval "$ival" --lifetime 60
    wait_port "$S4" $port; wait_port "$S6" $port
    resolve_neigh "$C4" "$S4"; resolve_neigh "$C6" "$S6"
    TSP=micro
    cap_client "$c4" -s 256 "ip and ($HB_FILTER)"
    cap_server "$s4" -s 256 "ip and ($HB_FILTER)"
    TSP=nano
    cap_client "$c6" -s 256 "ip6 and ($HB_FILTER)"
    cap_server "$s6" -s 256 "ip6 and ($HB_FILTER)"
    sleep 0.3
    local step; step=$(awk -v n="$N" 'BEGIN{printf "%.5f", (n > 100 ? 0.0002 : 0.0005)}')
    local base=$((22000 + ${name#sa} * 1000))
    log "$N clients per family, listen($L), accept() every $I ms, syncookies $K, client timestamps $T"
    client_bg burst --src "$C4" --sports "$(ports_list "$N" $((base + 1)))" --offsets "$(offsets_spread "$N" "$step")" \
        --dst "$S4" --dport $port --timeout 6 --send r --read --read-timeout 6
    client_bg burst --src "$C6" --sports "$(ports_list "$N" $((base + 501)))" --offsets "$(offsets_spread "$N" "$step")" \
        --dst "$S6" --dport $port --timeout 6 --send r --read --read-timeout 6
    wait_clients
    sleep 0.5
    stop_captures
    teardown_topology
    local pair
    for pair in "$c4:$s4" "$c6:$s6"; do
        python3 "$TOOLS/truth.py" lossfree "$WORK/${pair%%:*}" "$WORK/${pair#*:}" | tee -a "$LOG" | grep -q ' 0 segment' ||
            fail "$set: the path lost packets" || return 1
    done
    derive "$c4" client listener $port --group "$port=$g"
    derive "$s4" server listener $port --group "$port=$g"
    derive "$c6" client listener $port --group "$port=$g"
    derive "$s6" server listener $port --group "$port=$g"
    local f
    for f in "$c4" "$c6"; do
        local n_all n_bd n_ok
        n_all=$(count_lines "$f" . .); n_bd=$(count_lines "$f" . . backlog-drop); n_ok=$(count_lines "$f" . established '!backlog-drop')
        n_bd=$((n_bd + $(count_lines "$f" . backlog-drop)))
        log "$f: $n_all attempts, $n_ok undisturbed, $n_bd with backlog-drop (flag or verdict)"
        [[ $n_all -eq $N ]] || fail "$f: $n_all attempts, not $N" || return 1
        [[ $n_bd -gt 0 ]] || fail "$f: the listener never overflowed" || return 1
    done
    # the server capture on v6 as pcapng (LINUX_SLL2 inside pcapng)
    editcap -F pcapng "$WORK/$s6" "$WORK/${s6%.pcap}.pcapng"
    rm -f "$WORK/$s6"
    EXPECT[${s6%.pcap}.pcapng]=${EXPECT[$s6]}
    s6=${s6%.pcap}.pcapng
    note "listen($L), one accept() every $I ms, $N clients within $(awk -v n="$N" -v s="$step" 'BEGIN{printf "%.0f", n*s*1000}') ms, tcp_syncookies=$K, client tcp_timestamps=$T" "$c4" "$s4" "$c6" "$s6"
    register "$c4" "$s4" "$c6" "$s6"
}

# ------------------------------------------------------------------ cookierst
# tcp_syncookies=2 (every SYN-ACK a cookie), listen(1), one accept() every 300 ms; 6 clients at
# once, each sends 3 small segments back to back (TCP_NODELAY).  A client whose cookie ACK and
# first segment find the accept queue full (dropped, no state kept) has its second segment
# checked as a cookie ACK too: its sequence number is not ISN+1, the cookie does not validate,
# and the listener answers with a bare RST right after the handshake.
run_cookierst() {
    local set=$1 fam C CB CC CD S UNR IPT port=7211
    local cf=$set-client.pcap sf=$set-server.pcap
    log "topology"
    setup_topology
    nsx "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies=2
    start_server serve --host "$S4" --ports $port --backlog 1 --accept-interval 0.3 --lifetime 60
    start_server serve --host "$S6" --ports $port --backlog 1 --accept-interval 0.3 --lifetime 60
    wait_port "$S4" $port; wait_port "$S6" $port
    resolve_neigh "$C4" "$S4"; resolve_neigh "$C6" "$S6"
    TSP=micro
    cap_client "$cf" "$HB_FILTER"
    cap_server "$sf" "$HB_FILTER"
    sleep 0.3
    local base=21300
    for fam in v4 v6; do
        fam_vars "$fam"
        log "cookierst $fam: 6 clients at once, 3 segments each"
        client burst --together --src "$C" --sports "$(ports_list 6 $((base + 1)))" --offsets "$(offsets_same 6 0)" \
            --dst "$S" --dport $port --timeout 5 --send hello --segments 3 --read --read-timeout 4
        base=$((base + 50))
    done
    sleep 0.5
    stop_captures
    teardown_topology
    python3 "$TOOLS/truth.py" lossfree "$WORK/$cf" "$WORK/$sf" | tee -a "$LOG" | grep -q ' 0 segment' ||
        fail "$set: the path lost packets" || return 1
    derive "$cf" client listener $port --group "$port=cookierst-K2-L1-I300"
    derive "$sf" server listener $port --group "$port=cookierst-K2-L1-I300"
    local f rst
    for f in "$cf" "$sf"; do
        rst=$(grep -c 'bare RST' <<<"${EXPECT[$f]}" || true)
        log "$f: $(count_lines "$f" . .) attempts, $rst reset right after the handshake"
        [[ $rst -gt 0 ]] || fail "$f: no cookie reset happened" || return 1
    done
    note "tcp_syncookies=2, listen(1), one accept() every 300 ms; 6 clients at once per family, 3 small segments each" "$cf" "$sf"
    register "$cf" "$sf"
}

add_set cookierst run_cookierst
add_set noaccept-v4 run_noaccept
add_set noaccept-v6 run_noaccept
add_set noaccept-cookie-v4 run_noaccept
add_set noaccept-cookie-v6 run_noaccept
add_set abort-k0 run_abort
add_set abort-k1 run_abort
for _v in "${SLOW_VARIANTS[@]}"; do add_set "slowaccept-${_v%% *}" run_slowaccept; done
unset _v
