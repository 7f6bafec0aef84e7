#!/usr/bin/env python3
"""Cross-check a "capture view" fixture against its .expect file (fixtures/sets/views.sh).

  checkviews.py CAPTURE [--expect FILE] [--iface N] [--timeout S] [--quiet]

Same CLI and purpose as checkcap.py (an independent, deliberately small re-derivation of
the contract's verdicts, so that a regenerated fixture whose packets no longer show what its
.expect file says fails loudly), for captures checkcap.py cannot read right: it parses the
packets itself (tools/pcapio.py), not with tshark, because the interesting packets here are
the ones tshark dissects least: frames cut by a small snap length, ICMP errors whose quote
ends after the quoted source port, one-direction captures, 802.1Q / 802.1ad tagged frames.

What it derives, per attempt (client SYN sequence; the key includes the VLAN tags):
  verdict   established / refused / forged-reset / rejected / unreachable / filtered /
            backlog-drop / aborted / incomplete
  flags     syn-retransmit, synack-retransmit, port-reuse, ttl-mismatch, truncated (the
            snap length cut an IP or TCP header, options included, of one of its TCP
            segments), partial-quote (decided by an ICMP error whose capture holds fewer
            than the 8 bytes of the quoted TCP header that RFC 792 guarantees: ports and
            sequence number), one-sided (no packet of the server's direction, but the
            client's ACK of the server's ISN proves its SYN-ACK existed),
            icmp-rate-limited (no ICMP for this attempt, its SYN retransmitted, while
            neighbours to the same server endpoint got ICMP rejects meanwhile),
            duplicate-frames (its packets also seen on another pcapng interface),
            backlog-drop (the two simple shapes: SYNs unanswered while the same endpoint
            completed other handshakes; SYN-ACK retransmitted after the client's ACK)
Expected flags must be derived; a flag written !flag must not be.  An ICMP error is matched
to an attempt only on what its capture holds: the quoted addresses, protocol and client
port at least (then the quoted server port and sequence number, where present, must agree);
a quote that does not reach the client port matches nothing.
With several interfaces in a pcapng, attempts are built from interface --iface (default 0).
"""
import argparse
import ipaddress
import os
import struct
import sys

sys.dont_write_bytecode = True   # no __pycache__ inside fixtures/tools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapio  # noqa: E402

ICMP4_REJECT = {2, 3, 9, 10, 13}
ICMP4_UNREACH = {0, 1, 5, 6, 7, 11, 12}
ICMP6_REJECT = {1, 4, 5, 6}
ICMP6_UNREACH = {0, 2, 3}


class Pkt:
    tcp = False
    icmp = None
    cut_hdr = False


def ip4(b):
    return str(ipaddress.IPv4Address(b))


def ip6(b):
    return str(ipaddress.IPv6Address(b))


def decode(no, rec, linktype, stats):
    d = rec.data
    p = Pkt()
    p.no, p.t, p.iface, p.cut = no, rec.ts_ns / 1e9, rec.iface, len(d) < rec.origlen
    vl = []
    if linktype == 1:
        if len(d) < 14:
            return None
        et, off = struct.unpack(">H", d[12:14])[0], 14
        while et in (0x8100, 0x88A8, 0x9100) and len(d) >= off + 4:
            vl.append("%s%d" % ("s" if et != 0x8100 else "c", struct.unpack(">H", d[off:off + 2])[0] & 0xFFF))
            et = struct.unpack(">H", d[off + 2:off + 4])[0]
            off += 4
    elif linktype == 276:   # LINUX_SLL2
        if len(d) < 20:
            return None
        et, off = struct.unpack(">H", d[0:2])[0], 20
    elif linktype == 113:   # LINUX_SLL
        if len(d) < 16:
            return None
        et, off = struct.unpack(">H", d[14:16])[0], 16
    else:
        raise SystemExit("link type %d not supported" % linktype)
    p.vlan = tuple(vl)
    ip = d[off:]
    if et == 0x0800:
        if len(ip) < 20:
            stats["ip-cut"] += 1
            return None
        ihl = (ip[0] & 15) * 4
        p.v, p.ttl, p.label, p.ipid = 4, ip[8], 0, struct.unpack(">H", ip[4:6])[0]
        proto, p.src, p.dst = ip[9], ip4(ip[12:16]), ip4(ip[16:20])
        total = struct.unpack(">H", ip[2:4])[0]
        if len(ip) < ihl:
            p.cut_hdr = True
        l4, l4len = ip[ihl:], total - ihl
    elif et == 0x86DD:
        if len(ip) < 40:
            stats["ip-cut"] += 1
            return None
        p.v, p.ttl, p.ipid = 6, ip[7], 0
        p.label = struct.unpack(">I", ip[0:4])[0] & 0xFFFFF
        proto, p.src, p.dst = ip[6], ip6(ip[8:24]), ip6(ip[24:40])
        l4, l4len = ip[40:], struct.unpack(">H", ip[4:6])[0]
    else:
        return None
    if proto == 6:
        if len(l4) < 14:
            stats["tcp-flags-cut"] += 1
            return None
        p.tcp = True
        p.sport, p.dport, p.seq, p.ack = struct.unpack(">HHII", l4[:12])
        doff, fl = (l4[12] >> 4) * 4, l4[13]
        p.syn, p.rst, p.fin, p.ackf = bool(fl & 2), bool(fl & 4), bool(fl & 1), bool(fl & 16)
        p.len = max(0, l4len - doff)
        if len(l4) < doff:
            p.cut_hdr = True
        p.fp = (p.v, p.src, p.dst, p.ipid, p.label, p.sport, p.dport, p.seq, p.ack, fl, p.len)
        return p
    if (p.v == 4 and proto == 1) or (p.v == 6 and proto == 58):
        if len(l4) < 2:
            return None
        itype, icode = l4[0], l4[1]
        if not ((p.v == 4 and itype == 3) or (p.v == 6 and itype == 1)):
            return None   # echo, NDP, MLD, ...
        q = l4[8:]
        p.icmp = (itype, icode)
        p.quote = None
        p.quote_tcp = -1
        if p.v == 4 and len(q) >= 20 and q[9] == 6:
            qihl = (q[0] & 15) * 4
            p.quote = (ip4(q[12:16]), ip4(q[16:20]))
            p.quote_tcp = max(0, len(q) - qihl)
            qt = q[qihl:]
        elif p.v == 6 and len(q) >= 40 and q[6] == 6:
            p.quote = (ip6(q[8:24]), ip6(q[24:40]))
            p.quote_tcp = len(q) - 40
            qt = q[40:]
        else:
            stats["icmp-quote-unusable"] += 1
            p.quote_have = len(q)
            return p
        p.qsport = struct.unpack(">H", qt[0:2])[0] if len(qt) >= 2 else None
        p.qdport = struct.unpack(">H", qt[2:4])[0] if len(qt) >= 4 else None
        p.qseq = struct.unpack(">I", qt[4:8])[0] if len(qt) >= 8 else None
        p.fp = (p.v, p.src, p.dst, p.ipid, p.label, "icmp", bytes(l4[:8 + 40]))
        return p
    return None


def read(path, stats):
    recs, ifaces, _fmt = pcapio.read(path)
    pkts = []
    for i, r in enumerate(recs):
        p = decode(i + 1, r, ifaces[r.iface].linktype, stats)
        if p is not None:
            pkts.append(p)
    return pkts, len(recs), len(ifaces)


def ep(ip, port):
    return "[%s]:%d" % (ip, port) if ":" in ip else "%s:%d" % (ip, port)


class Attempt:
    def __init__(self, vlan, key, isn, reuse):
        self.vlan, self.key, self.isn, self.reuse = vlan, key, isn, reuse
        self.c, self.s, self.i = [], [], []   # client->server, server->client, ICMP errors
        self.dups = 0


def build(pkts, iface, stats):
    attempts, cur = [], {}
    mine = [p for p in pkts if p.iface == iface]
    for p in mine:
        if p.icmp:
            if p.quote is None or p.qsport is None:
                stats["icmp-unmatched"] += 1
                continue
            qsrc, qdst = p.quote
            cand = [a for a in cur.values() if a.vlan == p.vlan and a.key[0] == qsrc and a.key[1] == p.qsport
                    and a.key[2] == qdst and (p.qdport is None or a.key[3] == p.qdport)
                    and (p.qseq is None or p.qseq == a.isn) and p.dst == qsrc]
            if len(cand) == 1:
                cand[0].i.append(p)
            else:
                stats["icmp-unmatched" if not cand else "icmp-ambiguous"] += 1
            continue
        key = (p.vlan, p.src, p.sport, p.dst, p.dport)
        rkey = (p.vlan, p.dst, p.dport, p.src, p.sport)
        if p.syn and not p.ackf:
            a = cur.get(key)
            if a is None or a.isn != p.seq:
                a = Attempt(p.vlan, key[1:], p.seq, a is not None)
                attempts.append(a)
                cur[key] = a
            a.c.append(p)
        elif key in cur:
            cur[key].c.append(p)
        elif rkey in cur:
            cur[rkey].s.append(p)
    # the same packets seen on other interfaces (a router's two legs, a mirror port)
    others = {}
    for p in pkts:
        if p.iface != iface:
            others.setdefault((p.vlan, p.fp), []).append(p)
    if others:
        for a in attempts:
            for p in a.c + a.s + a.i:
                a.dups += len(others.get((p.vlan, p.fp), []))
    return attempts


def completed_between(a, attempts, lo, hi):
    n = 0
    for b in attempts:
        if b is a or b.vlan != a.vlan or b.key[2:] != a.key[2:]:
            continue
        isns = {p.seq for p in b.s if p.syn and p.ackf and p.ack == b.isn + 1}
        if any(not p.syn and not p.rst and p.ackf and (p.ack - 1) in isns and lo <= p.t <= hi for p in b.c):
            n += 1
    return n


def rejected_between(a, attempts, lo, hi):
    n = 0
    for b in attempts:
        if b is a or b.vlan != a.vlan or b.key[2:] != a.key[2:]:
            continue
        rej = ICMP6_REJECT if ":" in b.key[2] else ICMP4_REJECT
        if any(p.icmp[1] in rej and lo <= p.t <= hi for p in b.i):
            n += 1
    return n


def classify(a, attempts, end, timeout):
    syns = [p for p in a.c if p.syn]
    synacks = [p for p in a.s if p.syn and p.ackf and p.ack == a.isn + 1]
    srv_isn = synacks[0].seq if synacks else None
    later = [p for p in a.c if not p.syn and not p.rst and p.ackf and p.seq == a.isn + 1]
    cacks = [p for p in later if srv_isn is not None and p.ack == srv_isn + 1]
    srv_rsts = [p for p in a.s if p.rst and (not p.ackf or p.ack == a.isn + 1)]
    cli_rsts = [p for p in a.c if p.rst]
    cdata = [p for p in a.c if p.len > 0]
    sacks_data = [p for p in a.s if p.ackf and not p.syn and p.ack > a.isn + 1]
    flags = set()
    if len(syns) > 1:
        flags.add("syn-retransmit")
    if len(synacks) > 1:
        flags.add("synack-retransmit")
    if a.reuse:
        flags.add("port-reuse")
    if any(p.cut_hdr for p in a.c + a.s):
        flags.add("truncated")
    if a.dups:
        flags.add("duplicate-frames")
    ev = ["syn x%d" % len(syns)]
    cut = sum(1 for p in a.c + a.s if p.cut)
    if cut:
        ev.append("%d cut (%d headers)" % (cut, sum(1 for p in a.c + a.s if p.cut_hdr)))
    if a.dups:
        ev.append("%d duplicate frame(s) on other interfaces" % a.dups)
    sip = a.key[2]
    ref = {p.ttl for b in attempts if b.key[2] == sip and b.vlan == a.vlan for p in b.s if p.syn and p.ackf}
    verdict = None
    if a.i:
        ic = a.i[0]
        t, c = ic.icmp
        rej, unr = (ICMP6_REJECT, ICMP6_UNREACH) if ic.v == 6 else (ICMP4_REJECT, ICMP4_UNREACH)
        verdict = "rejected" if c in rej else "unreachable" if c in unr else "?icmp"
        ev.append("icmp%s %d/%d from %s ttl %d after %.0fms, quote holds %d TCP byte(s)"
                  % ("v6" if ic.v == 6 else "", t, c, ic.src, ic.ttl, 1000 * (ic.t - syns[-1].t), ic.quote_tcp))
        if ic.quote_tcp < 8:
            flags.add("partial-quote")
    elif srv_rsts and not synacks:
        r = srv_rsts[0]
        ev.append("rst x%d ttl %d (server ttl %s)" % (len(srv_rsts), r.ttl, "/".join(map(str, sorted(ref))) or "unknown"))
        if len(srv_rsts) > 1:
            gaps = [1000 * (r.t - max(s.t for s in syns if s.t <= r.t)) for r in srv_rsts if any(s.t <= r.t for s in syns)]
            ev.append("each %s ms after a SYN" % "/".join("%.0f" % g for g in gaps))
        if ref and r.ttl not in ref:
            verdict = "forged-reset"
            flags.add("ttl-mismatch")
        else:
            verdict = "refused"
    elif synacks:
        if cacks:
            ev.append("synack x%d ttl %d rtt %.1fms, ack" % (len(synacks), synacks[0].ttl, 1000 * (synacks[0].t - syns[0].t)))
            after = cacks[0].t
            if [p for p in synacks if p.t > after] and not [p for p in sacks_data if p.t > after]:
                verdict = "backlog-drop"
            elif cdata and not sacks_data:
                verdict = "backlog-drop"
            else:
                verdict = "established"
        elif cli_rsts:
            verdict = "aborted"
        else:
            verdict = "incomplete" if end - synacks[-1].t < timeout else "aborted"
    elif later and not a.s:
        # nothing of the server's direction, but the client acknowledged a server ISN
        ev.append("no server packet; client ACK %d, %d data segment(s), ack=%d"
                  % (len(later), len(cdata), later[0].ack))
        verdict = "established"
        flags.add("one-sided")
    else:
        if completed_between(a, attempts, syns[0].t, syns[-1].t + 1.0):
            verdict = "backlog-drop"
            ev.append("unanswered while the endpoint completed other handshakes")
        elif len(syns) > 1 and rejected_between(a, attempts, syns[0].t - 0.5, syns[-1].t + 0.5):
            n = rejected_between(a, attempts, syns[0].t - 0.5, syns[-1].t + 0.5)
            ev.append("no ICMP for its %d SYNs while %d neighbour(s) to the endpoint got ICMP rejects" % (len(syns), n))
            verdict = "rejected"
            flags.add("icmp-rate-limited")
        elif len(syns) == 1:
            ev.append("client stopped after one SYN; capture ends %.1fs later" % (end - syns[0].t))
            verdict = "incomplete"
        elif end - syns[0].t >= timeout:
            ev.append("no answer for %.1fs" % (end - syns[0].t))
            verdict = "filtered"
        else:
            verdict = "incomplete"
    if verdict == "backlog-drop":
        flags.add("backlog-drop")
    return verdict, flags, ", ".join(ev)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("--expect")
    ap.add_argument("--iface", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    stats = {"ip-cut": 0, "tcp-flags-cut": 0, "icmp-quote-unusable": 0, "icmp-unmatched": 0, "icmp-ambiguous": 0}
    pkts, nrec, nif = read(args.capture, stats)
    end = max((p.t for p in pkts), default=0)
    attempts = build(pkts, args.iface, stats)
    exp = []
    if args.expect:
        with open(args.expect) as f:
            exp = [l.split("#")[0].split() for l in f]
            exp = [e for e in exp if e]
    ok = True
    if len(exp) != len(attempts):
        print("  MISMATCH: %d attempts in capture, %d in expect file" % (len(attempts), len(exp)))
        ok = False
    notes = ["%s %d" % (k, v) for k, v in stats.items() if v]
    if notes:
        print("  (%d frames, %d interface(s); %s)" % (nrec, nif, ", ".join(notes)))
    for i, a in enumerate(attempts):
        verdict, flags, ev = classify(a, attempts, end, args.timeout)
        c, s = ep(a.key[0], a.key[1]), ep(a.key[2], a.key[3])
        mark = ""
        if i < len(exp):
            e = exp[i]
            eflags = set(e[3].split(",")) if len(e) > 3 else set()
            want = {f for f in eflags if not f.startswith("!")}
            unwanted = {f[1:] for f in eflags if f.startswith("!")}
            if e[0] != c or e[1] != s:
                mark = "  <-- expected %s %s" % (e[0], e[1])
            elif e[2] != verdict:
                mark = "  <-- expected verdict %s" % e[2]
            elif not want <= flags:
                mark = "  <-- expected flags %s" % ",".join(sorted(want - flags))
            elif unwanted & flags:
                mark = "  <-- flags that must be absent: %s" % ",".join(sorted(unwanted & flags))
            if mark:
                ok = False
        vl = "/".join(a.vlan)
        if not args.quiet or mark:
            print("  %-5s %-28s %-26s %-12s %-40s %s%s" % (vl or "-", c, s, verdict, ",".join(sorted(flags)) or "-", ev, mark))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
