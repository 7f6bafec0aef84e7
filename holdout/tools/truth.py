#!/usr/bin/env python3
"""Per-attempt truth for the held-out captures (holdout/run.sh), derived from the scenario
(which rule applies to which server port) plus the packets. Independent of synscope: the
frames are parsed by checkviews.py's decoder (tools/pcapio.py underneath), no tshark.

  truth.py derive CAPTURE --vantage client|server|router --rule RULE --ports P[,P..]
                  [--group P=NAME ...] [--amb-vantage client] [--iface N]
      print one expect line per attempt to those server ports (holdout expect format:
      CLIENT SERVER VERDICT [FLAGS] [g=GROUP] [amb=WHY]), problems on stderr (exit 1)
  truth.py lossfree CLIENT_CAPTURE SERVER_CAPTURE [--ports P,..]
      every TCP segment one end sent (as its own capture shows it) is in the other end's
      capture within 50 ms (exit 1 and the first misses if not)
  truth.py shape CAPTURE --port P
      what the server sent after each handshake on port P (D data, F FIN, RA RST+ACK,
      R bare RST), one line per attempt

Rules (what the scenario guarantees about the path and the listener):

  listener   loss-free path (checked with `lossfree` and tcpdump's drop counters), a live
             listener whose queues may overflow. Every retransmission is the listener's doing:
               SYN sent more than once                          -> syn-retransmit, backlog-drop
               SYN-ACK sent again after the client's ACK       -> synack-retransmit, backlog-drop
               the client's first data (or, with no data, its FIN) sent more than once before the
               server acknowledged it                           -> backlog-drop
               none of these                                    -> !backlog-drop
             verdict: handshake complete and taken by the server's TCP (it acknowledged data or
             the FIN, sent data or a FIN, or reset with ACK) -> established; complete but never
             taken (a bare RST right after the handshake: tcp_abort_on_overflow; or the client's
             data / FIN / the server's SYN-ACK repeated and never acknowledged) -> backlog-drop;
             SYNs never answered while the same endpoint completed other handshakes -> backlog-drop.
             !syn-retransmit / !synack-retransmit where one was sent (the path loses nothing).
  lossy      the path drops packets at random, the listener accepts at once: every attempt
             `!backlog-drop`; syn-retransmit / synack-retransmit where the capture shows more
             than one; !syn-retransmit where one SYN was seen at the client (or router),
             !synack-retransmit where one SYN-ACK was seen at the server (or router).
             An attempt whose handshake never completed gets verdict `*` and amb=.
  lossy-slow the listener rule for a slow listener behind a path that drops only the server's
             large data segments (handshakes and pure ACKs are never lost). With
             --amb-vantage client the backlog-drop evidence at the client is marked ambiguous
             (a SYN or data retransmission seen at the client could be path loss, as far as the
             packets can tell); at the server the first SYN / data was seen and not answered.
  icmprate   a REJECT rule whose ICMP errors the kernel rate-limits: an attempt with an ICMP
             error quoting it -> rejected (syn-retransmit if it sent more than one SYN,
             !syn-retransmit otherwise, !icmp-rate-limited); none -> rejected
             icmp-rate-limited,syn-retransmit.
  app        accepting applications that close / reset in various ways: established
             !backlog-drop (anything else is a scenario failure).
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checkviews  # noqa: E402

M32 = 1 << 32
UNANSWERED_WINDOW = 1.0
NO_RETX_YET = 1.0
MATCH_WINDOW = 0.05


def rel(x, base):
    return (x - base) % M32


def ep(ip, port):
    return checkviews.ep(ip, port)


def load(path, iface=0):
    stats = {k: 0 for k in ("ip-cut", "tcp-flags-cut", "icmp-quote-unusable", "icmp-unmatched", "icmp-ambiguous")}
    pkts, _n, _nif = checkviews.read(path, stats)
    pkts.sort(key=lambda p: p.t)   # dumpcap writes interfaces in chunks
    end = max((p.t for p in pkts), default=0)
    return pkts, checkviews.build(pkts, iface, stats), end


class T:
    pass


def completed_between(a, attempts, lo, hi):
    n = 0
    for b in attempts:
        if b is a or b.vlan != a.vlan or b.key[2:] != a.key[2:]:
            continue
        isns = {p.seq for p in b.s if p.syn and p.ackf and rel(p.ack, b.isn) == 1}
        if any(not p.syn and not p.rst and p.ackf and (p.ack - 1) % M32 in isns and lo <= p.t <= hi for p in b.c):
            n += 1
    return n


def facts(a):
    f = T()
    isn = a.isn
    f.syns = [p for p in a.c if p.syn and not p.ackf]
    f.synacks = [p for p in a.s if p.syn and p.ackf and not p.rst and rel(p.ack, isn) == 1]
    srv_isns = {p.seq for p in f.synacks}
    f.hs = next((p for p in a.c if not p.syn and not p.rst and p.ackf and (p.ack - 1) % M32 in srv_isns), None)
    f.data0 = [p for p in a.c if p.len > 0 and rel(p.seq, isn) == 1]
    f.fin0 = [p for p in a.c if p.fin and p.len == 0 and rel(p.seq, isn) == 1]
    f.srv_ack = next((p for p in a.s if not p.syn and not p.rst and p.ackf and rel(p.ack, isn) > 1), None)
    f.srv_taken = next((p for p in a.s if not p.syn and not p.rst and (p.len > 0 or p.fin or rel(p.ack, isn) > 1)), None)
    f.srv_rst = next((p for p in a.s if p.rst and f.hs and p.t >= f.hs.t), None)
    f.srv_rst_any = next((p for p in a.s if p.rst), None)
    f.cli_rst = next((p for p in a.c if p.rst), None)
    f.synack_after_ack = bool(f.hs) and any(p.t > f.hs.t for p in f.synacks)
    first = f.data0 or f.fin0
    f.first_kind = "data" if f.data0 else "FIN" if f.fin0 else None
    f.first_sends = len([p for p in first if f.srv_ack is None or p.t < f.srv_ack.t])
    f.first_retx = f.first_sends >= 2
    return f


def evidence(f):
    ev = ["syn x%d" % len(f.syns)]
    if f.synacks:
        late = sum(p.t > f.hs.t for p in f.synacks) if f.hs else 0
        ev.append("synack x%d%s" % (len(f.synacks), " (%d after the ack)" % late if late else ""))
    if f.hs:
        ev.append("ack")
    if f.first_kind:
        ev.append("%s sent x%d %s" % (f.first_kind, f.first_sends, "before acked" if f.srv_ack else "never acked"))
    if f.srv_rst:
        ev.append("server %s %.1f ms after the ack" % ("RST+ACK" if f.srv_rst.ackf else "bare RST", 1000 * (f.srv_rst.t - f.hs.t)))
    return ev


def rule_listener(a, attempts, end, vantage, amb_vantage):
    f = facts(a)
    r = T()
    r.pos, r.neg, r.amb, r.problems = [], [], None, []
    ev = evidence(f)
    backlog = False
    if f.hs:
        taken = f.srv_taken is not None and (f.srv_rst is None or f.srv_taken.t <= f.srv_rst.t or f.srv_rst.ackf)
        if taken or (f.srv_rst is not None and f.srv_rst.ackf):
            verdict = "established"
        elif f.srv_rst is not None:
            verdict = "backlog-drop"
        elif f.synack_after_ack or f.first_retx:
            verdict = "backlog-drop"
            if f.first_kind == "FIN" and not f.synack_after_ack:
                r.amb = "fin-only-unacked"   # no data: only the client's FIN was never acknowledged
        else:
            verdict = "established"
            if f.first_kind and f.srv_ack is None and end - (f.data0 or f.fin0)[0].t >= NO_RETX_YET:
                r.problems.append("client %s never acknowledged and never repeated" % f.first_kind)
        backlog = len(f.syns) > 1 or f.synack_after_ack or f.first_retx or verdict == "backlog-drop"
    elif f.synacks:
        verdict = "aborted" if f.cli_rst else "incomplete"
        r.problems.append("SYN-ACKed but never acknowledged by the client")
    else:
        n = completed_between(a, attempts, f.syns[0].t, f.syns[-1].t + UNANSWERED_WINDOW)
        if f.srv_rst_any:
            verdict = "refused"
            r.problems.append("reset without SYN-ACK")
        elif n:
            verdict = "backlog-drop"
            backlog = True
            ev.append("never answered while %d other handshake(s) to the endpoint completed" % n)
        else:
            verdict = "filtered"
            r.problems.append("never answered and no other handshake completed")
    if len(f.syns) > 1:
        r.pos.append("syn-retransmit")
    else:
        r.neg.append("syn-retransmit")
    if len(f.synacks) > 1:
        r.pos.append("synack-retransmit")
    elif f.hs:
        r.neg.append("synack-retransmit")
    if backlog:
        if verdict != "backlog-drop":
            r.pos.append("backlog-drop")
        if amb_vantage and vantage == amb_vantage and r.amb is None:
            r.amb = "loss-on-path-%s-view" % vantage
    else:
        r.neg.append("backlog-drop")
    r.verdict, r.ev = verdict, ", ".join(ev)
    return r


def rule_lossy(a, attempts, end, vantage, amb_vantage):
    f = facts(a)
    r = T()
    r.pos, r.neg, r.amb, r.problems = [], ["backlog-drop"], None, []
    ev = evidence(f)
    if f.hs and (f.srv_taken or f.srv_ack):
        verdict = "established"
    elif f.hs:
        verdict = "*"
        r.amb = "lossy-never-taken"
    else:
        verdict = "*"
        r.amb = "lossy-no-handshake"
    if len(f.syns) > 1:
        r.pos.append("syn-retransmit")
    elif vantage in ("client", "router"):
        r.neg.append("syn-retransmit")
    if len(f.synacks) > 1:
        r.pos.append("synack-retransmit")
    elif len(f.synacks) == 1 and vantage in ("server", "router"):
        r.neg.append("synack-retransmit")
    r.verdict, r.ev = verdict, ", ".join(ev)
    return r


def rule_icmprate(a, attempts, end, vantage, amb_vantage):
    f = facts(a)
    r = T()
    r.pos, r.neg, r.amb, r.problems = [], [], None, []
    ev = ["syn x%d" % len(f.syns)]
    rej = checkviews.ICMP6_REJECT if ":" in a.key[0] else checkviews.ICMP4_REJECT
    if f.synacks or f.srv_rst_any:
        r.problems.append("answered by TCP")
    if a.i:
        ic = a.i[0]
        if ic.icmp[1] not in rej:
            r.problems.append("ICMP code %d is no reject" % ic.icmp[1])
        before = len([p for p in f.syns if p.t <= ic.t])
        ev.append("icmp %d/%d from %s after SYN #%d" % (ic.icmp[0], ic.icmp[1], ic.src, before))
        verdict = "rejected"
        (r.pos if len(f.syns) > 1 else r.neg).append("syn-retransmit")
        r.neg.append("icmp-rate-limited")
    else:
        verdict = "rejected"
        ev.append("no ICMP error")
        r.pos += ["icmp-rate-limited", "syn-retransmit"]
        if len(f.syns) < 2:
            r.problems.append("no ICMP and only one SYN")
    r.verdict, r.ev = verdict, ", ".join(ev)
    return r


def rule_app(a, attempts, end, vantage, amb_vantage):
    f = facts(a)
    r = T()
    r.pos, r.neg, r.amb, r.problems = [], ["backlog-drop"], None, []
    if not f.hs or not (f.srv_taken or (f.srv_rst and f.srv_rst.ackf)):
        r.problems.append("handshake incomplete or the connection never taken")
    if len(f.syns) > 1:
        r.problems.append("SYN retransmitted")
    r.verdict, r.ev = "established", ", ".join(evidence(f) + ["server sent after the handshake: " + shape_of(a, f)])
    return r


RULES = {"listener": rule_listener, "lossy": rule_lossy, "lossy-slow": rule_listener,
         "icmprate": rule_icmprate, "app": rule_app}


def shape_of(a, f=None):
    f = f or facts(a)
    out = []
    for p in a.s:
        if p.syn or (f.hs and p.t < f.hs.t):
            continue
        if p.rst:
            out.append("RA" if p.ackf else "R")
        elif p.fin:
            out.append("DF" if p.len else "F")
        elif p.len:
            out.append("D")
    # collapse runs of D
    comp = []
    for x in out:
        if not (comp and x == "D" and comp[-1] == "D"):
            comp.append(x)
    return " ".join(comp) or "-"


def cmd_derive(args):
    pkts, attempts, end = load(args.capture, args.iface)
    ports = {int(p) for p in args.ports.split(",")}
    groups = {}
    for g in args.group or []:
        p, _, name = g.partition("=")
        groups[int(p)] = name
    fn = RULES[args.rule]
    bad = 0
    for a in attempts:
        if a.key[3] not in ports:
            continue
        r = fn(a, attempts, end, args.vantage, args.amb_vantage)
        flags = r.pos + ["!" + x for x in r.neg if x not in r.pos]
        attrs = []
        if a.key[3] in groups:
            attrs.append("g=" + groups[a.key[3]])
        if a.vlan:
            attrs.append("vlan=" + ".".join(v.lstrip("sc") for v in a.vlan))
        if r.amb:
            attrs.append("amb=" + r.amb)
        print("%s %s %s%s%s  # %s" % (ep(*a.key[:2]), ep(*a.key[2:]), r.verdict,
                                      " " + ",".join(flags) if flags else "",
                                      "".join(" " + x for x in attrs), r.ev))
        for pr in r.problems:
            print("truth: %s %s %s: %s (%s)" % (args.capture, ep(*a.key[:2]), ep(*a.key[2:]), pr, r.ev), file=sys.stderr)
            bad = 1
    return bad


def seg_key(p):
    return (p.src, p.sport, p.dst, p.dport, p.seq, p.ack, p.syn, p.ackf, p.rst, p.fin, p.len)


def cmd_lossfree(args):
    ports = {int(p) for p in args.ports.split(",")} if args.ports else None
    ca, _, ea = load(args.client)
    sa, _, eb = load(args.server)
    ca = [p for p in ca if p.tcp and (ports is None or p.dport in ports or p.sport in ports)]
    sa = [p for p in sa if p.tcp and (ports is None or p.dport in ports or p.sport in ports)]
    if args.skip_server_data:   # a path that drops only the server's data segments
        ca = [p for p in ca if not (p.sport in (ports or {p.sport}) and p.len > 0)]
        sa = [p for p in sa if not (p.sport in (ports or {p.sport}) and p.len > 0)]
    clients = {p.src for p in ca if p.syn and not p.ackf}
    bad = 0
    for mine, other, other_end, own in ((ca, sa, eb, True), (sa, ca, ea, False)):
        times = {}
        for p in other:
            times.setdefault(seg_key(p), []).append(p.t)
        used = {}
        for p in mine:
            if (p.src in clients) != own or p.t > other_end - args.window:
                continue
            k = seg_key(p)
            ts = times.get(k, [])
            i = used.get(k, 0)
            while i < len(ts) and ts[i] < p.t - args.window:
                i += 1
            if i < len(ts) and ts[i] <= p.t + args.window:
                used[k] = i + 1
            else:
                bad += 1
                if bad <= 10:
                    print("  lost? frame %d %s -> %s seq %d ack %d len %d" % (p.no, ep(p.src, p.sport), ep(p.dst, p.dport), p.seq, p.ack, p.len))
    print("  lossfree: %d segment(s) missing between %s and %s" % (bad, os.path.basename(args.client), os.path.basename(args.server)))
    return 1 if bad else 0


def cmd_shape(args):
    _pkts, attempts, _end = load(args.capture)
    for a in attempts:
        if a.key[3] == args.port:
            print("%s %s" % (ep(*a.key[:2]), shape_of(a)))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("derive")
    d.add_argument("capture")
    d.add_argument("--vantage", choices=["client", "server", "router"], required=True)
    d.add_argument("--rule", choices=sorted(RULES), required=True)
    d.add_argument("--ports", required=True)
    d.add_argument("--group", action="append")
    d.add_argument("--amb-vantage")
    d.add_argument("--iface", type=int, default=0)
    l = sub.add_parser("lossfree")
    l.add_argument("client")
    l.add_argument("server")
    l.add_argument("--ports")
    l.add_argument("--window", type=float, default=MATCH_WINDOW)
    l.add_argument("--skip-server-data", action="store_true",
                   help="leave out the server's segments with payload (--ports required)")
    s = sub.add_parser("shape")
    s.add_argument("capture")
    s.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    return {"derive": cmd_derive, "lossfree": cmd_lossfree, "shape": cmd_shape}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
