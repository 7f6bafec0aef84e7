# shellcheck shell=bash
# Random path loss (iptables statistic on the router's FORWARD chain), and loss together with a
# slow listener.

LS_NSTAT="TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop TcpExtSyncookiesSent"
ls_nstat() {       # ls_nstat: the server's listen-queue counters, one line
    nsx "$NS_SRV" nstat -asz $LS_NSTAT | awk '!/^#/{sub(/^TcpExt/, "", $1); printf "%s%s=%s", sep, $1, $2; sep=" "}'
}

# ------------------------------------------------------------------ loss
# An accepting listener (listen(128), accept() at once, bulk: reads 4000 bytes, answers 6000);
# four ports with different loss, v4 and v6 at the same time:
#   7401  5 % both directions        60 clients (20 one after another, 20 at once, 20 spread)
#   7402  25 % both directions       30 clients (6 one after another, 24 at once)
#   7403  25 % client->server only   30 clients (6 one after another, 24 at once)
#   7404  10 % server->client only   40 clients (20 one after another, 20 at once)
# connect and read timeouts 20 s (no attempt is abandoned while a SYN-ACK may still come).
# Truth: truth.py --rule lossy (every attempt !backlog-drop; the server's nstat shows no
# listen overflow or drop).
LOSS_PORTS=(7401 7402 7403 7404)
declare -A LOSS_C2S=([7401]=0.05 [7402]=0.25 [7403]=0.25 [7404]=0)
declare -A LOSS_S2C=([7401]=0.05 [7402]=0.25 [7403]=0 [7404]=0.10)
declare -A LOSS_N=([7401]=60 [7402]=30 [7403]=30 [7404]=40)
declare -A LOSS_CHAIN=([7401]=20 [7402]=6 [7403]=6 [7404]=20)
run_loss() {
    local set=$1 fam C CB CC CD S UNR IPT p ipt
    local c4=loss-v4-client.pcap s4=loss-v4-server.pcap c6=loss-v6-client.pcap s6=loss-v6-server.pcap
    log "topology"
    setup_topology
    for ipt in iptables ip6tables; do
        for p in "${LOSS_PORTS[@]}"; do
            [[ ${LOSS_C2S[$p]} != 0 ]] && nsx "$NS_RTR" $ipt -I FORWARD 1 -i rtr-c -p tcp --dport "$p" -m statistic --mode random --probability "${LOSS_C2S[$p]}" -j DROP
            [[ ${LOSS_S2C[$p]} != 0 ]] && nsx "$NS_RTR" $ipt -I FORWARD 1 -i rtr-s -p tcp --sport "$p" -m statistic --mode random --probability "${LOSS_S2C[$p]}" -j DROP
        done
    done
    local ports; ports=$(IFS=,; echo "${LOSS_PORTS[*]}")
    start_server serve --host "$S4" --ports "$ports" --backlog 128 --mode bulk --request-bytes 4000 --reply-bytes 6000 --lifetime 90
    start_server serve --host "$S6" --ports "$ports" --backlog 128 --mode bulk --request-bytes 4000 --reply-bytes 6000 --lifetime 90
    wait_port "$S4" 7404; wait_port "$S6" 7404
    resolve_neigh "$C4" "$S4"; resolve_neigh "$C6" "$S6"
    TSP=micro
    cap_client "$c4" -s 128 "ip and tcp"
    cap_server "$s4" -s 128 "ip and tcp"
    TSP=nano
    cap_client "$c6" -s 128 "ip6 and tcp"
    cap_server "$s6" -s 128 "ip6 and tcp"
    sleep 0.3
    local before; before=$(ls_nstat)
    local base groups=()
    for fam in v4 v6; do
        fam_vars "$fam"
        for p in "${LOSS_PORTS[@]}"; do
            local n=${LOSS_N[$p]} ch=${LOSS_CHAIN[$p]} offs
            if [[ $fam == v4 ]]; then base=$((24000 + (p - 7400) * 100)); else base=$((25000 + (p - 7400) * 100)); fi
            offs="0$(printf ',+0.05%.0s' $(seq 2 "$ch"))"
            if [[ $p == 7401 ]]; then
                offs+=",$(offsets_same 20 1.0),$(offsets_spread 20 0.1 | awk -F, -v OFS=, '{for (i = 1; i <= NF; i++) $i = $i + 2.0; print}')"
            else
                offs+=",$(offsets_same $((n - ch)) 1.0)"
            fi
            client_bg burst --src "$C" --sports "$(ports_list "$n" $((base + 1)))" --offsets "$offs" \
                --dst "$S" --dport "$p" --timeout 20 --send "" --send-bytes 4000 --read-bytes 6000 --read-timeout 20
        done
    done
    for p in "${LOSS_PORTS[@]}"; do
        groups+=(--group "$p=loss-c2s${LOSS_C2S[$p]}-s2c${LOSS_S2C[$p]}")
    done
    log "clients started (4 ports x 2 families, $(( (60 + 30 + 30 + 40) * 2 )) connections); waiting"
    wait_clients
    sleep 1
    local after; after=$(ls_nstat)
    log "nstat before: $before; after: $after"
    stop_captures
    teardown_topology
    grep -qE 'ListenOverflows=[1-9]|ListenDrops=[1-9]' <<<"$after" && { fail "the listener dropped something"; return 1; }
    derive "$c4" client lossy "$ports" "${groups[@]}"
    derive "$s4" server lossy "$ports" "${groups[@]}"
    derive "$c6" client lossy "$ports" "${groups[@]}"
    derive "$s6" server lossy "$ports" "${groups[@]}"
    local f
    for f in "$c4" "$c6"; do
        local n_all n_est; n_all=$(count_lines "$f" . .); n_est=$(count_lines "$f" . established)
        log "$f: $n_all attempts, $n_est established, $(count_lines "$f" . . syn-retransmit) syn-retransmit, $(count_lines "$f" . . synack-retransmit) synack-retransmit"
        [[ $n_all -eq 160 ]] || fail "$f: $n_all attempts, not 160" || return 1
    done
    note "random loss on the router (iptables statistic), listen(128) accepting at once, 4000 bytes up / 6000 down per connection" "$c4" "$s4" "$c6" "$s6"
    register "$c4" "$s4" "$c6" "$s6"
}

# ------------------------------------------------------------------ loss-slow
# A slow listener (listen(4), one accept() every 50 ms, tcp_syncookies=1) behind a path that
# drops 20 % of the server's large segments (IP length >= 200: only data, never a SYN-ACK or a
# pure ACK), 40 clients per family within 20 ms, 1000 bytes up (one segment: a SYN-cookie ACK
# whose segment does not start at ISN+1 would draw a RST), 8000 down.  The handshakes and
# the client's data cross the path intact (checked), so every SYN / SYN-ACK / first-data
# repetition is the listener's: the truth is derived at the server (truth.py --rule lossy-slow)
# and holds at the client too; at the client the backlog-drop evidence is marked ambiguous
# (the client cannot see that its SYN or data arrived).
run_loss_slow() {
    local set=$1 fam C CB CC CD S UNR IPT ipt port=7405
    local c4=loss-slow-v4-client.pcap s4=loss-slow-v4-server.pcap c6=loss-slow-v6-client.pcap s6=loss-slow-v6-server.pcap
    log "topology"
    setup_topology
    nsx "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies=1
    for ipt in iptables ip6tables; do
        nsx "$NS_RTR" $ipt -I FORWARD 1 -i rtr-s -p tcp --sport $port -m length --length 200:65535 \
            -m statistic --mode random --probability 0.20 -j DROP
    done
    start_server serve --host "$S4" --ports $port --backlog 4 --accept-interval 0.05 --mode bulk --request-bytes 1000 --reply-bytes 8000 --lifetime 60
    start_server serve --host "$S6" --ports $port --backlog 4 --accept-interval 0.05 --mode bulk --request-bytes 1000 --reply-bytes 8000 --lifetime 60
    wait_port "$S4" $port; wait_port "$S6" $port
    resolve_neigh "$C4" "$S4"; resolve_neigh "$C6" "$S6"
    TSP=micro
    cap_client "$c4" -s 128 "ip and tcp"
    cap_server "$s4" -s 128 "ip and tcp"
    TSP=nano
    cap_client "$c6" -s 128 "ip6 and tcp"
    cap_server "$s6" -s 128 "ip6 and tcp"
    sleep 0.3
    client_bg burst --src "$C4" --sports "$(ports_list 40 26001)" --offsets "$(offsets_spread 40 0.0005)" \
        --dst "$S4" --dport $port --timeout 10 --send "" --send-bytes 1000 --read-bytes 8000 --read-timeout 12
    client_bg burst --src "$C6" --sports "$(ports_list 40 26101)" --offsets "$(offsets_spread 40 0.0005)" \
        --dst "$S6" --dport $port --timeout 10 --send "" --send-bytes 1000 --read-bytes 8000 --read-timeout 12
    wait_clients
    sleep 1
    log "nstat: $(ls_nstat)"
    stop_captures
    teardown_topology
    local pair g=loss-slow-L4-I50-s2cdata0.20
    for pair in "$c4:$s4" "$c6:$s6"; do
        python3 "$TOOLS/truth.py" lossfree "$WORK/${pair%%:*}" "$WORK/${pair#*:}" --ports $port --skip-server-data | tee -a "$LOG" | grep -q ' 0 segment' ||
            fail "$set: the path lost more than the server's data" || return 1
        local cf=${pair%%:*} sf=${pair#*:}
        derive "$sf" server lossy-slow $port --group "$port=$g"
        # the client's attempts: the same as the server's (one list of 4-tuples), ambiguous
        # where the verdict or a flag is backlog-drop
        local ctuples stuples
        ctuples=$(python3 "$TOOLS/truth.py" derive "$WORK/$cf" --vantage client --rule lossy-slow --ports $port 2>/dev/null | awk '{print $1, $2}' | sort)
        stuples=$(printf '%s' "${EXPECT[$sf]}" | awk 'NF {print $1, $2}' | sort)
        [[ $ctuples == "$stuples" ]] || fail "$cf and $sf hold different attempts" || return 1
        EXPECT[$cf]=$(printf '%s' "${EXPECT[$sf]}" | sed 's/  #.*//' | awk 'NF {
            bd = ($3 == "backlog-drop"); if (NF >= 4 && $4 !~ /=/) { n = split($4, fl, ","); for (i = 1; i <= n; i++) if (fl[i] == "backlog-drop") bd = 1 }
            print $0 (bd ? " amb=loss-on-path-client-view" : "") "  # truth from the server capture" }')$'\n'
        local n_bd; n_bd=$(( $(count_lines "$sf" . . backlog-drop) + $(count_lines "$sf" . backlog-drop) ))
        log "$sf: $(count_lines "$sf" . .) attempts, $n_bd with backlog-drop"
        [[ $n_bd -gt 0 ]] || fail "$sf: the listener never overflowed" || return 1
    done
    for f in "$s4" "$s6"; do
        local retx; retx=$(TOOLS="$TOOLS" python3 - "$WORK/$f" <<'EOF'
import sys, os
sys.path.insert(0, os.environ["TOOLS"])
import checkviews
st = {k: 0 for k in ("ip-cut", "tcp-flags-cut", "icmp-quote-unusable", "icmp-unmatched", "icmp-ambiguous")}
pk, _, _ = checkviews.read(sys.argv[1], st)
seen, n = set(), 0
for p in pk:
    if p.tcp and p.sport == 7405 and p.len > 0:
        k = (p.dst, p.dport, p.seq, p.len)
        n += k in seen
        seen.add(k)
print(n)
EOF
)
        log "$f: $retx server data segment(s) sent again by the server (the path's loss)"
    done
    note "listen(4), one accept() every 50 ms, tcp_syncookies=1; the router drops 20 % of the server's data segments (never a handshake packet)" "$c4" "$s4" "$c6" "$s6"
    register "$c4" "$s4" "$c6" "$s6"
}

add_set loss run_loss
add_set loss-slow run_loss_slow
