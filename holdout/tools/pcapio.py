#!/usr/bin/env python3
"""Minimal pcap / pcapng reading and writing for the fixture tools (pure Python, no libraries).

  records, ifaces, fmt = read(path)
      records: list of Rec(iface, ts_ns, data, origlen), in file order
      ifaces:  list of Iface(linktype, snaplen, tsresol_ns)   (pcap: one interface)
      fmt:     {"format": "pcap"|"pcapng", "nsec": bool}
  write_pcap(path, linktype, snaplen, records, nsec)
  write_pcapng(path, ifaces, records, nsec)

Only what the fixtures need: classic pcap in either byte order and precision, pcapng sections
with IDB / EPB / SPB (other blocks are skipped), if_tsresol.  Used by checkviews.py and
vlantag.py.
"""
import struct
from collections import namedtuple

Rec = namedtuple("Rec", "iface ts_ns data origlen")
Iface = namedtuple("Iface", "linktype snaplen tsresol_ns")

PCAP_USEC = 0xA1B2C3D4
PCAP_NSEC = 0xA1B23C4D
PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_BOM = 0x1A2B3C4D


def read(path):
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 4:
        raise ValueError("%s: too short" % path)
    if struct.unpack("<I", buf[:4])[0] == PCAPNG_SHB:
        return _read_pcapng(buf, path)
    return _read_pcap(buf, path)


def _read_pcap(buf, path):
    for e in "<>":
        magic = struct.unpack(e + "I", buf[:4])[0]
        if magic in (PCAP_USEC, PCAP_NSEC):
            break
    else:
        raise ValueError("%s: not a pcap or pcapng file" % path)
    nsec = magic == PCAP_NSEC
    _vmaj, _vmin, _tz, _sig, snaplen, linktype = struct.unpack(e + "HHiIII", buf[4:24])
    linktype &= 0xFFFF
    recs, off = [], 24
    while off + 16 <= len(buf):
        sec, frac, caplen, origlen = struct.unpack(e + "IIII", buf[off:off + 16])
        off += 16
        data = buf[off:off + caplen]
        off += caplen
        recs.append(Rec(0, sec * 1_000_000_000 + (frac if nsec else frac * 1000), data, origlen))
    return recs, [Iface(linktype, snaplen, 1 if nsec else 1000)], {"format": "pcap", "nsec": nsec}


def _tsresol_ns(v):
    if v & 0x80:
        raise ValueError("binary if_tsresol not supported")
    return 10 ** 9 // 10 ** v if v <= 9 else None


def _read_pcapng(buf, path):
    recs, ifaces, off, e, base = [], [], 0, "<", 0
    nsec = False
    while off + 12 <= len(buf):
        btype = struct.unpack(e + "I", buf[off:off + 4])[0]
        if btype == PCAPNG_SHB:
            bom = buf[off + 8:off + 12]
            e = "<" if struct.unpack("<I", bom)[0] == PCAPNG_BOM else ">"
            base = len(ifaces)   # interface ids restart in every section
        blen = struct.unpack(e + "I", buf[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(buf):
            raise ValueError("%s: bad pcapng block at offset %d" % (path, off))
        body = buf[off + 8:off + blen - 4]
        if btype == 1:   # IDB
            linktype, _res, snaplen = struct.unpack(e + "HHI", body[:8])
            resol = 1000
            o = 8
            while o + 4 <= len(body):
                code, ln = struct.unpack(e + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9 and ln >= 1:
                    resol = _tsresol_ns(body[o + 4])
                o += 4 + ((ln + 3) & ~3)
            if resol == 1:
                nsec = True
            ifaces.append(Iface(linktype, snaplen, resol))
        elif btype == 6:   # EPB
            iid, hi, lo, caplen, origlen = struct.unpack(e + "IIIII", body[:20])
            iface = ifaces[base + iid]
            ts = ((hi << 32) | lo) * iface.tsresol_ns
            recs.append(Rec(base + iid, ts, body[20:20 + caplen], origlen))
        elif btype == 3:   # SPB
            origlen = struct.unpack(e + "I", body[:4])[0]
            snap = ifaces[base].snaplen or origlen
            recs.append(Rec(base, 0, body[4:4 + min(origlen, snap)], origlen))
        off += blen
    return recs, ifaces, {"format": "pcapng", "nsec": nsec}


def write_pcap(path, linktype, snaplen, records, nsec):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_NSEC if nsec else PCAP_USEC, 2, 4, 0, 0, snaplen, linktype))
        for r in records:
            sec, ns = divmod(r.ts_ns, 1_000_000_000)
            frac = ns if nsec else ns // 1000
            f.write(struct.pack("<IIII", sec, frac, len(r.data), r.origlen))
            f.write(r.data)


def _block(btype, body):
    body += b"\0" * ((4 - len(body) % 4) % 4)
    ln = len(body) + 12
    return struct.pack("<II", btype, ln) + body + struct.pack("<I", ln)


def _opt(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * ((4 - len(value) % 4) % 4)


def write_pcapng(path, ifaces, records, nsec, names=None, shb_comment=None):
    """ifaces: list of (linktype, snaplen); timestamps written with if_tsresol 9 (ns) or 6 (us)."""
    with open(path, "wb") as f:
        opts = b""
        if shb_comment:
            opts += _opt(1, shb_comment.encode())
        opts += _opt(4, b"synscope fixtures/tools/vlantag.py") + _opt(0, b"")
        f.write(_block(PCAPNG_SHB, struct.pack("<IHHq", PCAPNG_BOM, 1, 0, -1) + opts))
        for i, (linktype, snaplen) in enumerate(ifaces):
            o = b""
            if names and i < len(names) and names[i]:
                o += _opt(2, names[i].encode())
            o += _opt(9, bytes([9 if nsec else 6])) + _opt(0, b"")
            f.write(_block(1, struct.pack("<HHI", linktype, 0, snaplen) + o))
        for r in records:
            ts = r.ts_ns if nsec else r.ts_ns // 1000
            f.write(_block(6, struct.pack("<IIIII", r.iface, ts >> 32, ts & 0xFFFFFFFF, len(r.data), r.origlen)
                           + r.data))
