# shellcheck shell=bash
# Applications that end accepted connections in ways that must not look like a listen queue:
#   7501  accept, wait 0.3 s (the client's data arrives), close() unread: kernel RST+ACK
#   7502  accept, read, reply, shutdown(SHUT_WR) (FIN), read to EOF, close
#   7503  accept, read, SO_LINGER {1, 0} close without a reply: RST+ACK
#   7504  accept, close() at once (FIN); the client sends 3 segments 0.2 s later (TCP_NODELAY,
#         back to back): the closed socket answers with bare RSTs
# 3 clients per port and family, 0.3 s apart; v4 and v6 at the same time.
# Truth: established !backlog-drop for all (truth.py --rule app), with the server's packets
# after the handshake checked against the mode (truth.py shape).
APP_PORTS=(7501 7502 7503 7504)
declare -A APP_MODE=([7501]=unread [7502]=shutwr [7503]=read-linger0 [7504]=close)
declare -A APP_SHAPE=([7501]='^RA' [7502]='^D F' [7503]='^RA' [7504]='^F R')
run_app() {
    local set=$1 fam C CB CC CD S UNR IPT p
    local c4=app-v4-client.pcap s4=app-v4-server.pcap c6=app-v6-client.pcap s6=app-v6-server.pcapng
    log "topology"
    setup_topology
    for p in "${APP_PORTS[@]}"; do
        start_server serve --host "$S4" --ports "$p" --mode "${APP_MODE[$p]}" --lifetime 40
        start_server serve --host "$S6" --ports "$p" --mode "${APP_MODE[$p]}" --lifetime 40
    done
    for p in "${APP_PORTS[@]}"; do wait_port "$S4" "$p"; wait_port "$S6" "$p"; done
    resolve_neigh "$C4" "$S4"; resolve_neigh "$C6" "$S6"
    TSP=micro
    cap_client "$c4" ip
    cap_server "$s4" ip
    TSP=nano
    cap_client "$c6" ip6
    start_capture "$s6" "$NS_SRV" dumpcap -q -i srv0 -f ip6 -w "$WORK/$s6"
    sleep 0.3
    local base
    for fam in v4 v6; do
        fam_vars "$fam"
        for p in "${APP_PORTS[@]}"; do
            [[ $fam == v4 ]] && base=$((27000 + (p - 7500) * 10)) || base=$((27500 + (p - 7500) * 10))
            local extra=(--send hello --read --read-timeout 2 --hold 0.3)
            [[ $p == 7504 ]] && extra=(--send x --segments 3 --send-delay 0.2 --hold 0.3)
            client_bg burst --src "$C" --sports "$(ports_list 3 $((base + 1)))" --offsets 0,0.3,0.6 \
                --dst "$S" --dport "$p" --timeout 3 "${extra[@]}"
        done
    done
    wait_clients
    sleep 0.5
    stop_captures
    teardown_topology
    local f v ports groups=()
    ports=$(IFS=,; echo "${APP_PORTS[*]}")
    for p in "${APP_PORTS[@]}"; do groups+=(--group "$p=app-${APP_MODE[$p]}"); done
    for f in "$c4" "$s4" "$c6" "$s6"; do
        case $f in *client*) v=client ;; *) v=server ;; esac
        derive "$f" "$v" app "$ports" "${groups[@]}"
        for p in "${APP_PORTS[@]}"; do
            local shapes; shapes=$(python3 "$TOOLS/truth.py" shape "$WORK/$f" --port "$p")
            log "$f port $p (${APP_MODE[$p]}): server sent: $(awk '{$1 = ""; print}' <<<"$shapes" | sort | uniq -c | tr -s ' ' | paste -sd';')"
            [[ $(wc -l <<<"$shapes") -eq 3 ]] || fail "$f port $p: not 3 attempts" || return 1
            awk '{$1 = ""; sub(/^ /, ""); print}' <<<"$shapes" | grep -qvE "${APP_SHAPE[$p]}" &&
                { fail "$f port $p: the server's packets do not show mode ${APP_MODE[$p]}"; return 1; }
        done
    done
    note "applications that close with unread data, shutdown(SHUT_WR), SO_LINGER 0 after reading, close at once (client sends 3 segments after)" "$c4" "$s4" "$c6" "$s6"
    register "$c4" "$s4" "$c6" "$s6"
}
add_set app run_app
