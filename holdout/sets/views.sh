# shellcheck shell=bash
# Capture views and firewall answers: rate-limited ICMP rejects, one-direction captures, snap
# lengths, a RST per SYN retransmission, the server's own tcp-reset, VLAN / QinQ, a router
# capture.  Static expectations written here are cross-checked by tools/checkviews.py (its own
# packet parser); the icmprate truth is derived per attempt by truth.py --rule icmprate.
#
# Server ports:
#   7000 accepting listener           7001 nothing listening (kernel RST)
#   7002 server INPUT DROP            7003 server REJECT icmp(6)-port-unreachable
#   7004 router FORWARD REJECT icmp-host-prohibited / icmp6-adm-prohibited
#   7005 router FORWARD REJECT tcp-reset (forged reset)
#   7006 server REJECT icmp-admin-prohibited / icmp6-adm-prohibited
#   7007 server REJECT tcp-reset, nothing listening
#   7008 server REJECT tcp-reset in front of a live listener
#   7009 listen(1), never accept() (router set)

vw_rules() {       # the firewall rules of the port table, both families
    local ipt
    for ipt in iptables ip6tables; do
        nsx "$NS_SRV" $ipt -A INPUT -p tcp --dport 7002 -j DROP
        nsx "$NS_RTR" $ipt -I FORWARD 1 -p tcp --dport 7005 -j REJECT --reject-with tcp-reset
        nsx "$NS_SRV" $ipt -A INPUT -p tcp --dport 7007 -j REJECT --reject-with tcp-reset
        nsx "$NS_SRV" $ipt -A INPUT -p tcp --dport 7008 -j REJECT --reject-with tcp-reset
    done
    nsx "$NS_SRV" iptables -A INPUT -p tcp --dport 7003 -j REJECT --reject-with icmp-port-unreachable
    nsx "$NS_SRV" ip6tables -A INPUT -p tcp --dport 7003 -j REJECT --reject-with icmp6-port-unreachable
    nsx "$NS_SRV" iptables -A INPUT -p tcp --dport 7006 -j REJECT --reject-with icmp-admin-prohibited
    nsx "$NS_SRV" ip6tables -A INPUT -p tcp --dport 7006 -j REJECT --reject-with icmp6-adm-prohibited
    nsx "$NS_RTR" iptables -I FORWARD 1 -p tcp --dport 7004 -j REJECT --reject-with icmp-host-prohibited
    nsx "$NS_RTR" ip6tables -I FORWARD 1 -p tcp --dport 7004 -j REJECT --reject-with icmp6-adm-prohibited
}

# ------------------------------------------------------------------ icmprate
# REJECT rules whose ICMP errors the kernel rate-limits (defaults), bursts from two client
# addresses at once (every ICMP rate bucket is per destination address):
#   7601 router REJECT (host-prohibited / adm-prohibited), 10 clients: 5 from .10, 5 from .11
#   7602 server REJECT port-unreachable, 10 clients from .10 / .11 (at the same time as 7601)
#   7603 router REJECT, 50 clients: 25 from .12, 25 from .13 (0.5 s later)
#   7604 server REJECT port-unreachable, 50 clients from .12 / .13
# connect timeout 3.5 s (SYNs at 0, 1, 2, 3 s).
run_icmprate() {
    local set=$1 fam=${1##*-} C CB CC CD S UNR IPT ipt
    fam_vars "$fam"
    local cf=$set-client.pcap base
    if [[ $fam == v4 ]]; then base=28000; TSP=micro; else base=28500; TSP=nano; fi
    log "topology"
    setup_topology
    log "ICMP rate limits (router): $(nsx "$NS_RTR" sysctl -n net.ipv4.icmp_ratelimit net.ipv4.icmp_ratemask net.ipv4.icmp_msgs_per_sec net.ipv4.icmp_msgs_burst net.ipv6.icmp.ratelimit | paste -sd' ')"
    if [[ $fam == v4 ]]; then
        nsx "$NS_RTR" iptables -I FORWARD 1 -p tcp -m multiport --dports 7601,7603 -j REJECT --reject-with icmp-host-prohibited
        nsx "$NS_SRV" iptables -A INPUT -p tcp -m multiport --dports 7602,7604 -j REJECT --reject-with icmp-port-unreachable
    else
        nsx "$NS_RTR" ip6tables -I FORWARD 1 -p tcp -m multiport --dports 7601,7603 -j REJECT --reject-with icmp6-adm-prohibited
        nsx "$NS_SRV" ip6tables -A INPUT -p tcp -m multiport --dports 7602,7604 -j REJECT --reject-with icmp6-port-unreachable
    fi
    local a
    for a in "$C" "$CB" "$CC" "$CD"; do resolve_neigh "$a" "$S"; done
    cap_client "$cf"
    sleep 0.3
    log "10 clients (2 addresses) to the router REJECT and the server REJECT at once"
    client_bg burst --src "$C,$CB" --sports "$(ports_list 10 $((base + 1)))" --offsets "$(offsets_spread 10 0.0002)" \
        --dst "$S" --dport 7601 --timeout 3.5
    client_bg burst --src "$C,$CB" --sports "$(ports_list 10 $((base + 101)))" --offsets "$(offsets_spread 10 0.0002)" \
        --dst "$S" --dport 7602 --timeout 3.5
    sleep 0.5
    log "50 clients (2 other addresses) to both"
    client_bg burst --src "$CC,$CD" --sports "$(ports_list 50 $((base + 201)))" --offsets "$(offsets_spread 50 0.0002)" \
        --dst "$S" --dport 7603 --timeout 3.5
    client_bg burst --src "$CC,$CD" --sports "$(ports_list 50 $((base + 301)))" --offsets "$(offsets_spread 50 0.0002)" \
        --dst "$S" --dport 7604 --timeout 3.5
    wait_clients
    sleep 0.5
    stop_captures
    teardown_topology
    derive "$cf" client icmprate 7601,7602,7603,7604 --group 7601=icmprate-rtr-b10 --group 7602=icmprate-srv-b10 \
        --group 7603=icmprate-rtr-b50 --group 7604=icmprate-srv-b50
    local g
    for g in rtr-b10 srv-b10 rtr-b50 srv-b50; do
        log "$cf $g: $(count_lines "$cf" "icmprate-$g" rejected '!syn-retransmit') ICMP at once, $(count_lines "$cf" "icmprate-$g" rejected syn-retransmit '!icmp-rate-limited') ICMP after a retransmission, $(count_lines "$cf" "icmprate-$g" rejected icmp-rate-limited) no ICMP"
    done
    [[ $(count_lines "$cf" icmprate-rtr-b50 rejected icmp-rate-limited) -gt 0 && $(count_lines "$cf" icmprate-srv-b50 rejected icmp-rate-limited) -gt 0 ]] ||
        fail "$cf: no attempt without ICMP in the bursts of 50" || return 1
    note "REJECT with kernel-default ICMP rate limits; bursts of 10 (router 7601, server 7602) and 50 (7603, 7604) clients from two client addresses each" "$cf"
    register "$cf"
}

# ------------------------------------------------------------------ oneway
# One direction of the traffic only. tcp_syn_linear_timeouts=0 (classic SYN retries 1 s, 3 s).
# Client: tcpdump -Q out (client->server) and -Q in (server->client); server: -Q in
# (client->server at the server) and -Q out (server->client).
# Attempts: established (3000 bytes up, 5000 down), refused (7001), server REJECT (7003),
# router REJECT (7004), unreachable route, router tcp-reset (7005), filtered (7002, 5 s).
run_oneway() {
    local set=$1 fam=${1##*-} C CB CC CD S UNR IPT base
    fam_vars "$fam"
    if [[ $fam == v4 ]]; then base=29000; TSP=micro; else base=29500; TSP=nano; fi
    local co=$set-client-out.pcap ci=$set-client-in.pcap si=$set-server-in.pcap so=$set-server-out.pcap
    log "topology"
    setup_topology
    linear_timeouts 0
    vw_rules
    start_server serve --host "$S" --ports 7000 --mode bulk --request-bytes 3000 --reply-bytes 5000 --lifetime 40
    wait_port "$S" 7000
    resolve_neigh "$C" "$S"
    cap_client "$co" -Q out
    cap_client "$ci" -Q in
    cap_server "$si" -Q in
    cap_server "$so" -Q out
    sleep 0.3
    client --src "$C" --sport $((base + 1)) --dst "$S" --dport 7000 --send-bytes 3000 --read-bytes 5000 --read-timeout 3
    expect "$co $si" "$C" $((base + 1)) "$S" 7000 established one-sided
    sleep 0.3
    client --src "$C" --sport $((base + 2)) --dst "$S" --dport 7001
    expect "$co $si" "$C" $((base + 2)) "$S" 7001 incomplete
    sleep 0.3
    client --src "$C" --sport $((base + 3)) --dst "$S" --dport 7003
    expect "$co $si" "$C" $((base + 3)) "$S" 7003 incomplete
    sleep 0.3
    client --src "$C" --sport $((base + 4)) --dst "$S" --dport 7004
    expect "$co" "$C" $((base + 4)) "$S" 7004 incomplete
    sleep 0.3
    client --src "$C" --sport $((base + 5)) --dst "$UNR" --dport 7000
    expect "$co" "$C" $((base + 5)) "$UNR" 7000 incomplete
    sleep 0.3
    client --src "$C" --sport $((base + 6)) --dst "$S" --dport 7005
    expect "$co" "$C" $((base + 6)) "$S" 7005 incomplete
    sleep 0.3
    log "filtered (5 s)"
    client --src "$C" --sport $((base + 7)) --dst "$S" --dport 7002 --timeout 5
    expect "$co $si" "$C" $((base + 7)) "$S" 7002 filtered syn-retransmit
    sleep 0.5
    stop_captures
    teardown_topology
    static_check "$co" "$ci" "$si" "$so"
    note "tcpdump -Q out at the client: client->server only" "$co"
    note "tcpdump -Q in at the client: server->client only (no SYN: no attempt)" "$ci"
    note "tcpdump -Q in at the server: client->server only" "$si"
    note "tcpdump -Q out at the server: server->client only (no SYN: no attempt)" "$so"
    register "$co" "$ci" "$si" "$so"
}

# ------------------------------------------------------------------ snap
# Six client captures of one run at once, tcpdump -s 54 / 60 / 64 / 68 / 80 / 96.
# Frame sizes: v4 SYN 74, RST 54, ICMP error 102 (quote: 20 bytes IP + 40 TCP from byte 42);
# v6 SYN 94, RST 74, ICMPv6 error 142 (quote from byte 62: 40 bytes IPv6 + 40 TCP).
SNAPS=(54 60 64 68 80 96)
snap_expect() {    # snap_expect <fam> <snap> <cport> <sip> <sport> <kind>
    local fam=$1 s=$2 cp=$3 sip=$4 sp=$5 kind=$6 f=$SET-s$2-client.pcap v fl
    local cut=0 qtcp
    if [[ $fam == v4 ]]; then
        [[ $s -lt 74 ]] && cut=1          # the SYN's options (and the data headers below 66)
        qtcp=$((s - 62))                  # bytes of the quoted TCP header kept
    else
        [[ $s -lt 68 ]] && return 0       # TCP flags cut: no attempt can be seen
        [[ $s -lt 94 ]] && cut=1
        qtcp=$((s - 102))
    fi
    local tr='!truncated'; [[ $cut == 1 ]] && tr=truncated
    case $kind in
        est) v=established; fl=$tr ;;
        refused) v=refused; fl=$tr ;;
        forged) v=forged-reset; fl="ttl-mismatch,$tr" ;;
        filtered) v=filtered; fl="syn-retransmit,$tr" ;;
        rejected|unreachable)
            if [[ $qtcp -lt 2 ]]; then v=incomplete; fl=$tr   # the quote does not reach the client port
            elif [[ $qtcp -lt 8 ]]; then v=$kind; fl="partial-quote,$tr"
            else v=$kind; fl="!partial-quote,$tr"; fi ;;
    esac
    expect "$f" "$C" "$cp" "$sip" "$sp" "$v" "$fl"
}
run_snap() {
    local set=$1 fam=${1##*-} C CB CC CD S UNR IPT base s filter
    fam_vars "$fam"
    if [[ $fam == v4 ]]; then base=29100; filter="ip or arp"; TSP=micro; else base=29600; filter="ip6"; TSP=nano; fi
    log "topology"
    setup_topology
    vw_rules
    start_server serve --host "$S" --ports 7000 --lifetime 40
    wait_port "$S" 7000
    resolve_neigh "$C" "$S"
    for s in "${SNAPS[@]}"; do cap_client "$set-s$s-client.pcap" -s "$s" $filter; done
    sleep 0.3
    local step
    for step in "1 $S 7000 est" "2 $S 7001 refused" "3 $S 7003 rejected" "4 $S 7006 rejected" "5 $S 7004 rejected" \
                "6 $UNR 7000 unreachable" "7 $S 7005 forged" "8 $S 7002 filtered"; do
        read -r n sip sp kind <<<"$step"
        log "snap $fam: $kind ($sip port $sp)"
        if [[ $kind == est ]]; then
            client --src "$C" --sport $((base + n)) --dst "$sip" --dport "$sp" --send hello --read
        elif [[ $kind == filtered ]]; then
            client --src "$C" --sport $((base + n)) --dst "$sip" --dport "$sp" --timeout 4
        else
            client --src "$C" --sport $((base + n)) --dst "$sip" --dport "$sp"
        fi
        for s in "${SNAPS[@]}"; do snap_expect "$fam" "$s" $((base + n)) "$sip" "$sp" "$kind"; done
        sleep 0.3
    done
    sleep 0.5
    stop_captures
    teardown_topology
    for s in "${SNAPS[@]}"; do
        static_check "$set-s$s-client.pcap"
        note "client capture, tcpdump -s $s ($filter): established, refused, server REJECT port / admin, router REJECT, unreachable route, router tcp-reset, filtered" "$set-s$s-client.pcap"
        register "$set-s$s-client.pcap"
    done
}

# ------------------------------------------------------------------ rstretx
# The client drops incoming RSTs in netfilter (tcpdump still sees them), linear timeouts 0 on the
# client: SYNs at 0, 1, 3 s, each answered by its own RST; 3 clients per family 0.2 s apart to
# the closed port, v4 and v6 at the same time; client, server and router captures.
run_rstretx() {
    local set=$1 fam C CB CC CD S UNR IPT
    local cf=$set-client.pcap sf=$set-server.pcap rf=$set-router.pcapng
    log "topology"
    setup_topology
    nsx "$NS_CLI" sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0
    nsx "$NS_CLI" iptables -A INPUT -p tcp --tcp-flags RST RST -j DROP
    nsx "$NS_CLI" ip6tables -A INPUT -p tcp --tcp-flags RST RST -j DROP
    resolve_neigh "$C4" "$S4"; resolve_neigh "$C6" "$S6"
    TSP=nano
    cap_client "$cf" tcp
    cap_server "$sf" tcp
    cap_router "$rf" tcp
    sleep 0.3
    local i
    for fam in v4 v6; do
        fam_vars "$fam"
        local first=29201; [[ $fam == v6 ]] && first=29701
        client_bg burst --src "$C" --sports "$(ports_list 3 $first)" --offsets 0,0.2,0.4 --dst "$S" --dport 7001 --timeout 4.5
    done
    wait_clients
    sleep 0.5
    stop_captures
    teardown_topology
    # order of first SYN: v4 and v6 clients interleave; take it from the client capture
    local order
    order=$(tshark -n -r "$WORK/$cf" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e tcp.srcport 2>/dev/null | awk '!seen[$1]++')
    for i in $order; do
        if [[ $i -lt 29700 ]]; then fam_vars v4; else fam_vars v6; fi
        expect "$cf $sf" "$C" "$i" "$S" 7001 refused 'syn-retransmit,!duplicate-frames'
        expect "$rf" "$C" "$i" "$S" 7001 refused 'syn-retransmit,duplicate-frames'
    done
    static_check "$cf" "$sf" "$rf"
    note "the client drops incoming RSTs after the capture point: each of 3 SYNs (0, 1, 3 s) answered by its own RST" "$cf" "$sf" "$rf"
    register "$cf" "$sf" "$rf"
}

# ------------------------------------------------------------------ hostrst
# The server's own firewall answering with tcp-reset: 7007 (nothing listening behind it) and 7008
# (a live listener behind it); 7001 closed; 7000 accepting.  Capture 1 (ref): established x3
# around the resets (the host's own TTL / flow label known); capture 2 (noref): resets only.
# v4 and v6 in the same files.
run_hostrst() {
    local set=$1 fam C CB CC CD S UNR IPT
    log "topology"
    setup_topology
    vw_rules
    start_server serve --host "$S4" --ports 7000,7008 --lifetime 40
    start_server serve --host "$S6" --ports 7000,7008 --lifetime 40
    wait_port "$S4" 7008; wait_port "$S6" 7008
    resolve_neigh "$C4" "$S4"; resolve_neigh "$C6" "$S6"
    local phase base
    for phase in ref noref; do
        local cf=$set-$phase-client.pcap sf=$set-$phase-server.pcap
        TSP=micro
        cap_client "$cf" tcp
        cap_server "$sf" tcp
        sleep 0.3
        for fam in v4 v6; do
            fam_vars "$fam"
            [[ $fam == v4 ]] && base=29300 || base=29800
            [[ $phase == noref ]] && base=$((base + 50))
            if [[ $phase == ref ]]; then
                client --src "$C" --sport $((base + 1)) --dst "$S" --dport 7000 --send hello --read
                expect "$cf $sf" "$C" $((base + 1)) "$S" 7000 established '!backlog-drop'
                sleep 0.2
                client --src "$C" --sport $((base + 2)) --dst "$S" --dport 7000 --send hello --read
                expect "$cf $sf" "$C" $((base + 2)) "$S" 7000 established '!backlog-drop'
                sleep 0.2
            fi
            client --src "$C" --sport $((base + 3)) --dst "$S" --dport 7007
            expect "$cf $sf" "$C" $((base + 3)) "$S" 7007 refused '!ttl-mismatch'
            sleep 0.2
            client --src "$C" --sport $((base + 4)) --dst "$S" --dport 7008
            expect "$cf $sf" "$C" $((base + 4)) "$S" 7008 refused '!ttl-mismatch'
            sleep 0.2
            client --src "$C" --sport $((base + 5)) --dst "$S" --dport 7001
            expect "$cf $sf" "$C" $((base + 5)) "$S" 7001 refused '!ttl-mismatch'
            sleep 0.2
            if [[ $phase == ref ]]; then
                client --src "$C" --sport $((base + 6)) --dst "$S" --dport 7000 --send hello --read
                expect "$cf $sf" "$C" $((base + 6)) "$S" 7000 established '!backlog-drop'
                sleep 0.2
            fi
        done
        sleep 0.3
        stop_captures
        static_check "$cf" "$sf"
        note "server iptables REJECT --reject-with tcp-reset (7007 no listener, 7008 live listener behind it), 7001 closed$([[ $phase == ref ]] && echo ', established connections before and after')" "$cf" "$sf"
        register "$cf" "$sf"
    done
    teardown_topology
}

# ------------------------------------------------------------------ vlan
# Three real-kernel runs (fresh namespaces, same addresses, ports, MACs); in each, 4 clients from
# one process (v4 ->7000, v4 ->7001, v6 ->7000, v6 ->7001 at 0, 0.1, 0.2, 0.3 s):
#   run 1: 7000 and 7001 listening      run 2: 7000 only (7001 refused)
#   run 3: 7000 listening, 7001 server DROP (filtered; timeout 3.5 s)
# tools/vlantag.py tags the runs and interleaves them (each 4-tuple's SYNs 2 ms apart):
#   vlan3-client.pcap   802.1Q 10 / 20 / 30
#   vlan3-qinq-client.pcap  QinQ s100.10 / s200.10 / s100.20 (same C-tag under two S-tags)
#   vlan3-mixed-client.pcap untagged / 10 / s100.10
#   vlan3-router.pcapng     the runs' router captures (2 interfaces), 10 / 20 / 30
run_vlan() {
    local set=$1 run fam C CB CC CD S UNR IPT
    for run in 1 2 3; do
        log "run $run: topology"
        setup_topology
        start_server serve --host "$S4" --ports 7000 --lifetime 30
        start_server serve --host "$S6" --ports 7000 --lifetime 30
        if [[ $run == 1 ]]; then
            start_server serve --host "$S4" --ports 7001 --lifetime 30
            start_server serve --host "$S6" --ports 7001 --lifetime 30
        elif [[ $run == 3 ]]; then
            nsx "$NS_SRV" iptables -A INPUT -p tcp --dport 7001 -j DROP
            nsx "$NS_SRV" ip6tables -A INPUT -p tcp --dport 7001 -j DROP
        fi
        wait_port "$S4" 7000; wait_port "$S6" 7000
        resolve_neigh "$C4" "$S4"; resolve_neigh "$C6" "$S6"
        TSP=micro
        cap_client "run$run-client.pcap"
        cap_router "run$run-router.pcapng" "tcp or icmp or icmp6 or arp"
        sleep 0.3
        ip netns exec "$NS_CLI" timeout 30 python3 "$TOOLS/multiconnect.py" --timeout 3.5 --send hello --read \
            "$C4,23000,$S4,7000,0" "$C4,23001,$S4,7001,0.1" "$C6,23500,$S6,7000,0.2" "$C6,23501,$S6,7001,0.3" >>"$LOG" 2>&1
        sleep 0.5
        stop_captures
        teardown_topology
    done
    local vc=vlan3-client.pcap vq=vlan3-qinq-client.pcap vm=vlan3-mixed-client.pcap vr=vlan3-router.pcapng
    python3 "$TOOLS/vlantag.py" -o "$WORK/$vc" --interleave 0.002 "$WORK/run1-client.pcap:10" "$WORK/run2-client.pcap:20" "$WORK/run3-client.pcap:30" 2>>"$LOG"
    python3 "$TOOLS/vlantag.py" -o "$WORK/$vq" --interleave 0.002 "$WORK/run1-client.pcap:s100.10" "$WORK/run2-client.pcap:s200.10" "$WORK/run3-client.pcap:s100.20" 2>>"$LOG"
    python3 "$TOOLS/vlantag.py" -o "$WORK/$vm" --interleave 0.002 "$WORK/run1-client.pcap:none" "$WORK/run2-client.pcap:10" "$WORK/run3-client.pcap:s100.10" 2>>"$LOG"
    python3 "$TOOLS/vlantag.py" -o "$WORK/$vr" --pcapng --names rtr-c,rtr-s --interleave 0.002 "$WORK/run1-router.pcapng:10" "$WORK/run2-router.pcapng:20" "$WORK/run3-router.pcapng:30" 2>>"$LOG"
    local tuple f tags not='!port-reuse,!synack-retransmit,!backlog-drop'
    local -A VL=([$vc]="10 20 30" [$vq]="100.10 200.10 100.20" [$vm]="- 10 100.10" [$vr]="10 20 30")
    for tuple in "$C4 23000 $S4" "$C4 23001 $S4" "$C6 23500 $S6" "$C6 23501 $S6"; do
        read -r c cp s <<<"$tuple"
        for f in "$vc" "$vq" "$vm" "$vr"; do
            local dup=""; [[ $f == "$vr" ]] && dup="duplicate-frames,"
            read -r t1 t2 t3 <<<"${VL[$f]}"
            if [[ $cp == *000 || $cp == *500 ]]; then
                expect "$f" "$c" "$cp" "$s" 7000 established "$dup!syn-retransmit,$not" "vlan=$t1"
                expect "$f" "$c" "$cp" "$s" 7000 established "$dup!syn-retransmit,$not" "vlan=$t2"
                expect "$f" "$c" "$cp" "$s" 7000 established "$dup!syn-retransmit,$not" "vlan=$t3"
            else
                expect "$f" "$c" "$cp" "$s" 7001 established "$dup!syn-retransmit,$not" "vlan=$t1"
                expect "$f" "$c" "$cp" "$s" 7001 refused "$dup!syn-retransmit,$not" "vlan=$t2"
                expect "$f" "$c" "$cp" "$s" 7001 filtered "${dup}syn-retransmit,$not" "vlan=$t3"
            fi
        done
    done
    static_check "$vc" "$vq" "$vm" "$vr"
    note "three runs' client frames tagged 802.1Q 10/20/30 (tools/vlantag.py), each 4-tuple's SYNs 2 ms apart" "$vc"
    note "the same frames in QinQ s100.10 / s200.10 / s100.20" "$vq"
    note "the same frames untagged / 802.1Q 10 / QinQ s100.10" "$vm"
    note "the three runs' router captures (rtr-c, rtr-s), tagged 10/20/30" "$vr"
    register "$vc" "$vq" "$vm" "$vr"
}

# ------------------------------------------------------------------ router
# A mixed set captured at the router (dumpcap on both veths: every forwarded frame twice), at the
# client and at the server, v4 then v6: established x2, refused, filtered (3.5 s), server REJECT,
# router REJECT, router tcp-reset, and a listen(1) that never accepts with 6 clients at once
# (tcp_syncookies=0: 2 established, 4 backlog-drop).
run_router() {
    local set=$1 fam C CB CC CD S UNR IPT base
    local rf=$set-mixed-router.pcapng cf=$set-mixed-client.pcap sf=$set-mixed-server.pcap
    log "topology"
    setup_topology
    nsx "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies=0
    vw_rules
    start_server serve --host "$S4" --ports 7000 --lifetime 40
    start_server serve --host "$S6" --ports 7000 --lifetime 40
    start_server nolisten --host "$S4" --port 7009 --backlog 1 --lifetime 40
    start_server nolisten --host "$S6" --port 7009 --backlog 1 --lifetime 40
    wait_port "$S4" 7009; wait_port "$S6" 7009
    resolve_neigh "$C4" "$S4"; resolve_neigh "$C6" "$S6"
    TSP=micro
    cap_router "$rf"
    cap_client "$cf" "tcp or icmp or icmp6"
    cap_server "$sf" "tcp or icmp or icmp6"
    sleep 0.3
    local all="$rf $cf $sf" notsrv="$rf $cf" d='duplicate-frames,'
    for fam in v4 v6; do
        fam_vars "$fam"
        if [[ $fam == v4 ]]; then base=29400; else base=29900; fi
        log "router $fam: mixed attempts"
        client --src "$C" --sport $((base + 1)) --dst "$S" --dport 7000 --send hello --read
        expect "$rf" "$C" $((base + 1)) "$S" 7000 established "$d!syn-retransmit,!backlog-drop"
        expect "$cf $sf" "$C" $((base + 1)) "$S" 7000 established '!syn-retransmit,!backlog-drop'
        sleep 0.2
        client --src "$C" --sport $((base + 2)) --dst "$S" --dport 7001
        expect "$rf" "$C" $((base + 2)) "$S" 7001 refused "$d!syn-retransmit"
        expect "$cf $sf" "$C" $((base + 2)) "$S" 7001 refused '!syn-retransmit'
        sleep 0.2
        client --src "$C" --sport $((base + 3)) --dst "$S" --dport 7003
        expect "$rf" "$C" $((base + 3)) "$S" 7003 rejected "$d!syn-retransmit"
        expect "$cf $sf" "$C" $((base + 3)) "$S" 7003 rejected '!syn-retransmit'
        sleep 0.2
        client --src "$C" --sport $((base + 4)) --dst "$S" --dport 7004
        expect "$notsrv" "$C" $((base + 4)) "$S" 7004 rejected '!duplicate-frames,!syn-retransmit'
        sleep 0.2
        client --src "$C" --sport $((base + 5)) --dst "$S" --dport 7005
        expect "$rf" "$C" $((base + 5)) "$S" 7005 forged-reset '!duplicate-frames,!syn-retransmit'
        expect "$cf" "$C" $((base + 5)) "$S" 7005 forged-reset 'ttl-mismatch,!syn-retransmit'
        sleep 0.2
        log "router $fam: filtered and listen(1) x6 at once"
        client_bg --src "$C" --sport $((base + 6)) --dst "$S" --dport 7002 --timeout 3.5
        sleep 0.05
        client_bg burst --together --src "$C" --sports "$(ports_list 6 $((base + 11)))" --offsets "$(offsets_same 6 0)" \
            --dst "$S" --dport 7009 --timeout 3.5 --send hello --hold 0.3
        wait_clients
        expect "$rf" "$C" $((base + 6)) "$S" 7002 filtered "${d}syn-retransmit"
        expect "$cf $sf" "$C" $((base + 6)) "$S" 7002 filtered syn-retransmit
        sleep 0.3
    done
    sleep 0.3
    stop_captures
    teardown_topology
    # the listen(1) burst: which 2 of the 6 got the request sockets is the kernel's choice: read
    # it off the server's SYN-ACKs; order of first SYN as each capture saw it (checkviews order)
    local f
    for f in $all; do
        local lines
        lines=$(python3 "$TOOLS/truth.py" derive "$WORK/$f" --vantage "$( [[ $f == "$rf" ]] && echo router || echo client )" \
            --rule listener --ports 7009 --group 7009=router-listen1-noaccept) || { fail "$f: listener truth problems"; return 1; }
        [[ $f == "$rf" ]] && lines=$(sed -E 's/^([^ ]+ [^ ]+ [^ ]+) /\1 duplicate-frames,/' <<<"$lines")
        EXPECT[$f]+=$(sed 's/  #.*//' <<<"$lines")$'\n'
        log "$f listen(1) x6: $(grep -c ' established ' <<<"$lines") established, $(grep -c ' backlog-drop ' <<<"$lines") backlog-drop"
        [[ $(grep -c ' established ' <<<"$lines") -eq 4 && $(grep -c ' backlog-drop ' <<<"$lines") -eq 8 ]] ||
            fail "$f: the listen(1) bursts did not give 2 established + 4 backlog-drop per family" || return 1
    done
    # checkviews.py wants the lines in order of first SYN: sort each file's lines that way
    for f in $all; do
        local order
        order=$(python3 "$TOOLS/checkviews.py" "$WORK/$f" 2>/dev/null | awk '$2 ~ /:/ {print $2, $3}' || true)
        EXPECT[$f]=$(awk 'NR == FNR { rank[$1 " " $2] = NR; next } NF { print rank[$1 " " $2] "\t" $0 }' \
            <(echo "$order") <(printf '%s' "${EXPECT[$f]}") | sort -n -k1,1 | cut -f2-)$'\n'
    done
    static_check $all
    note "router capture (dumpcap -i rtr-c -i rtr-s): every forwarded frame twice; mixed verdicts, v4 then v6" "$rf"
    note "client capture of the router set" "$cf"
    note "server capture of the router set" "$sf"
    register $all
}

add_set icmprate-v4 run_icmprate
add_set icmprate-v6 run_icmprate
add_set oneway-v4 run_oneway
add_set oneway-v6 run_oneway
add_set snap-v4 run_snap
add_set snap-v6 run_snap
add_set rstretx run_rstretx
add_set hostrst run_hostrst
add_set vlan run_vlan
add_set router run_router
