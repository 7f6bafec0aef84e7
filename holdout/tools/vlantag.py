#!/usr/bin/env python3
"""Insert 802.1Q / 802.1ad tags into Ethernet captures and merge them in time order.

  vlantag.py -o OUT [--pcapng] [--interleave SEC] [--names a,b] [--comment TEXT] [--show]
             IN:TAGS [IN:TAGS ...]

The kernel the fixtures are made on has no 8021q module, so make-fixtures.sh (sets/views.sh)
captures two separate real-kernel runs (same addresses, ports and MACs) and this tool tags
every frame of run 1 with one VLAN and every frame of run 2 with another, so that the same
4-tuple exists in two VLANs (Zeek keys its connections on the VLAN; so must synscope).

  TAGS     dot-separated tags, outermost first ("none": left untagged); "10" = 802.1Q (TPID 0x8100) VID 10,
           "s100" = 802.1ad service tag (TPID 0x88a8) VID 100.  "s100.10" = QinQ.
           Priority and DEI bits are 0.
  --interleave SEC
           shift input k (k = 1, 2, ...) in time so that each TCP connection's first SYN
           comes k*SEC after the first SYN of the same 4-tuple in input 0 (so handshakes of
           the same 4-tuple overlap: SYN v10, SYN v20, SYN-ACK v10, ...).  Every frame of a
           connection (and an ICMP error quoting it) gets that connection's shift; other
           frames (ARP, NDP) and connections not in input 0 get the shift of the input's
           first connection.  The per-connection shifts differ by the clients' scheduling
           jitter (printed, a few ms at most); within one connection the timing is the
           kernel's.  Without --interleave the times are kept.
  --pcapng write pcapng (automatic when an input has several interfaces: input interface i
           becomes output interface i, the same trunk port for every VLAN).
  --show   print, per 4-tuple seen in several VLANs, the merged order of its packets.

Frames are otherwise unchanged: the tag goes after the two MAC addresses, the original
length grows by 4 bytes per tag, and so does the snap length.  Inputs must be Ethernet
(LINKTYPE 1).  The order of frames within one input is kept (a k-way merge on time).
"""
import argparse
import heapq
import os
import struct
import sys

sys.dont_write_bytecode = True   # no __pycache__ inside fixtures/tools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapio  # noqa: E402


def parse_tags(spec):
    out = b""
    if spec in ("none", "-"):   # holdout: an input left untagged
        return out
    for t in spec.split("."):
        tpid = 0x8100
        if t.startswith("s"):
            tpid, t = 0x88A8, t[1:]
        elif t.startswith("c"):
            t = t[1:]
        vid = int(t)
        if not 0 < vid < 4095:
            raise SystemExit("bad VLAN id %r" % t)
        out += struct.pack(">HH", tpid, vid)
    return out


def tcp_of(d):
    """(sorted 4-tuple, is-SYN) of an untagged Ethernet TCP frame, or of the TCP header an
    ICMP error quotes; None for anything else."""
    if len(d) < 14:
        return None
    et, off = struct.unpack(">H", d[12:14])[0], 14
    for _ in range(2):   # the packet, then (ICMP) the quoted packet
        if et == 0x0800 and len(d) >= off + 20:
            proto, src, dst, l4 = d[off + 9], d[off + 12:off + 16], d[off + 16:off + 20], off + (d[off] & 15) * 4
            icmp_err = proto == 1 and len(d) > l4 and d[l4] == 3
        elif et == 0x86DD and len(d) >= off + 40:
            proto, src, dst, l4 = d[off + 6], d[off + 8:off + 24], d[off + 24:off + 40], off + 40
            icmp_err = proto == 58 and len(d) > l4 and d[l4] == 1
        else:
            return None
        if proto == 6 and len(d) >= l4 + 4:
            sp, dp = struct.unpack(">HH", d[l4:l4 + 4])
            syn = len(d) >= l4 + 14 and d[l4 + 13] & 0x12 == 0x02 and off == 14
            return tuple(sorted([(src, sp), (dst, dp)])), syn
        if not icmp_err:
            return None
        off = l4 + 8
    return None


def first_syns(recs):
    """4-tuple -> time of its first SYN (interface 0 only), in order of first SYN."""
    out = {}
    for r in recs:
        if r.iface != 0:
            continue
        t = tcp_of(r.data)
        if t and t[1] and t[0] not in out:
            out[t[0]] = r.ts_ns
    if not out:
        raise SystemExit("no TCP SYN in an input")
    return out


def describe(r):
    """(vlan text, 4-tuple sorted, what) of a tagged TCP frame, or None."""
    d = r.data
    et, off, vl = struct.unpack(">H", d[12:14])[0], 14, []
    while et in (0x8100, 0x88A8) and len(d) >= off + 4:
        vl.append(("s" if et == 0x88A8 else "v") + str(struct.unpack(">H", d[off:off + 2])[0] & 0xFFF))
        et, off = struct.unpack(">H", d[off + 2:off + 4])[0], off + 4
    if et == 0x0800 and len(d) >= off + 20 and d[off + 9] == 6:
        src, dst, tcp = d[off + 12:off + 16], d[off + 16:off + 20], off + (d[off] & 15) * 4
    elif et == 0x86DD and len(d) >= off + 40 and d[off + 6] == 6:
        src, dst, tcp = d[off + 8:off + 24], d[off + 24:off + 40], off + 40
    else:
        return None
    if len(d) < tcp + 14:
        return None
    sp, dp = struct.unpack(">HH", d[tcp:tcp + 4])
    fl = d[tcp + 13]
    what = {0x02: "SYN", 0x12: "SYN-ACK", 0x14: "RST-ACK", 0x04: "RST"}.get(fl & 0x17, "ACK" if fl & 0x10 else "?")
    if fl & 1:
        what = "FIN"
    key = tuple(sorted([(src, sp), (dst, dp)]))
    return "/".join(vl[-1:]), key, what


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--pcapng", action="store_true")
    ap.add_argument("--interleave", type=float)
    ap.add_argument("--names")
    ap.add_argument("--comment")
    ap.add_argument("--show", action="store_true")
    ap.add_argument("inputs", nargs="+", help="FILE:TAGS")
    args = ap.parse_args()
    streams, nif, nsec, snap = [], 1, False, 0
    syn0 = None
    for k, spec in enumerate(args.inputs):
        path, _, tags = spec.rpartition(":")
        tag = parse_tags(tags)
        recs, ifaces, fmt = pcapio.read(path)
        if any(i.linktype != 1 for i in ifaces):
            raise SystemExit("%s: not Ethernet" % path)
        nif = max(nif, len(ifaces))
        nsec = nsec or fmt["nsec"]
        snap = max(snap, max(i.snaplen for i in ifaces) + len(tag))
        shift, per_flow = 0, {}
        if args.interleave is not None:
            syns = first_syns(recs)
            if syn0 is None:
                syn0 = syns
            want = k * int(round(args.interleave * 1e9))
            first = next(iter(syns))
            shift = syn0[first] + want - syns[first] if first in syn0 else next(iter(syn0.values())) + want - syns[first]
            for key, t in syns.items():
                if key in syn0:
                    per_flow[key] = syn0[key] + want - t
        dev = ", ".join("%+.3f" % ((v - shift) / 1e6) for v in per_flow.values())
        print("  %s: %d frames, %d interface(s), tags %s, time shift %+.6f s%s"
              % (path, len(recs), len(ifaces), tags, shift / 1e9,
                 " (per connection %s ms more)" % dev if k and per_flow else ""), file=sys.stderr)
        out = []
        for r in recs:
            t = tcp_of(r.data)
            sh = per_flow.get(t[0], shift) if t else shift
            out.append(pcapio.Rec(r.iface, r.ts_ns + sh, r.data[:12] + tag + r.data[12:], r.origlen + len(tag)))
        if per_flow:
            out.sort(key=lambda r: r.ts_ns)   # stable: the order within one connection is kept
        streams.append(out)
    merged = list(heapq.merge(*streams, key=lambda r: r.ts_ns))
    if args.pcapng or nif > 1 or args.out.endswith(".pcapng"):
        names = args.names.split(",") if args.names else None
        pcapio.write_pcapng(args.out, [(1, snap)] * nif, merged, nsec, names, args.comment)
    else:
        pcapio.write_pcap(args.out, 1, snap, merged, nsec)
    if args.show:
        seen = {}
        for r in merged:
            if r.iface != 0:
                continue
            d = describe(r)
            if d:
                seen.setdefault(d[1], []).append("%s %s" % (d[2], d[0]))
        vl_of = lambda evs: {e.split()[1] for e in evs}  # noqa: E731
        for key, evs in seen.items():
            if len(vl_of(evs)) > 1:
                print("  ports %d/%d: %s" % (key[0][1], key[1][1], ", ".join(evs[:8])), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
