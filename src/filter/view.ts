/**
 * What a filter looks at in one packet, as numbers: filled once per packet from the decoder's
 * result (DecodedPacket) and read by every primitive. Allocated once per compiled filter.
 *
 * Which headers: the INNERMOST IP header the decoder reached, the one synscope analyses and
 * reports (see filter.ts for why). VLAN tags, MPLS labels, PBB, FabricPath and PPPoE are walked
 * by the decoder and are transparent; tunnels (IP-in-IP, GRE, VXLAN, GENEVE, GTP-U, Teredo, ...)
 * are followed to the packet inside.
 *
 * Out-of-range reads. A classic BPF program stops and rejects the packet when it loads a byte
 * past the captured length, wherever in the expression that happens (so `not port 80` rejects a
 * packet cut inside its TCP ports). Primitives reproduce that with a third result, ABORT, which
 * and/or/not pass on unchanged and the filter treats as "no match". The fields below mark what
 * a cut packet lacks with CUT.
 */
import * as constants from '../decode/constants.js';
import type { DecodedPacket } from '../decode/decoder.js';
import { NetStart, decodeLink } from '../decode/link.js';
import { DecodeStatus, Stop } from '../decode/status.js';

// Local bindings of what runs for every packet: see "Local bindings" in src/util/bytes.ts.
const { EtherType, IpProto, Layer } = constants;
const TRUNCATED = Stop.TRUNCATED;

/** `proto` / `l4` value: the field is not in the captured bytes (a BPF load would fail). */
export const CUT = -2;
/** `proto`: no upper-layer protocol known; `l4`: no transport header here (a later fragment). */
export const NONE = -1;

const EMPTY = Buffer.alloc(0);
const NO_VLANS = new Uint16Array(4);

/** IPv6 extension headers; libpcap compares only the first next-header field (and one after a fragment header). */
function isExtension(nh: number): boolean {
  return nh === IpProto.HOPOPT || nh === IpProto.ROUTING || nh === IpProto.FRAGMENT || nh === IpProto.DSTOPTS ||
    nh === IpProto.AH || nh === IpProto.MOBILITY || nh === IpProto.HIP || nh === IpProto.SHIM6;
}

export class PacketView {
  buf: Buffer = EMPTY;
  /** Offset of the frame's first byte in `buf`, and the end of the captured bytes. */
  frame = 0;
  end = 0;
  wireLen = 0;
  linkType = 0;
  vlans: Uint16Array = NO_VLANS;
  vlanCount = 0;
  /** The link layer was cut before it named its payload: every protocol test aborts. */
  cut = false;
  /** 4 or 6: the innermost network header is IPv4 / IPv6 (as the link or tunnel says); 0: neither. */
  net = 0;
  /** Offset of that IP header in `buf` (valid when `net` is 4 or 6). */
  ip = -1;
  /** Upper-layer protocol (after IPv6 extension headers and IPv4 AH, as the decoder walks them), NONE or CUT. */
  proto = NONE;
  /** Offset of the transport header; NONE for a fragment other than the first; CUT when that cannot be told. */
  l4 = NONE;
  /** EtherType of the innermost network layer (0x0800 / 0x86dd for IP, 0x0806 for ARP, ...). */
  etherType = 0;
  /** Offset of an ARP or RARP header (for `host` / `net`, which look into ARP as libpcap does), else -1. */
  arp = -1;
  /** Set by a value that read past the captured bytes or divided by zero (see compile.ts). */
  fault = false;

  // Scratch for re-walking the link layer in the rare case the decoder stopped before an IP header.
  private readonly ns = new NetStart();
  private readonly st = new DecodeStatus();

  /** Fills the view for the frame `buf[off, off + caplen)` that `p` is the decoding of. */
  load(buf: Buffer, off: number, caplen: number, origLen: number, linkType: number, p: DecodedPacket): void {
    this.buf = buf;
    this.frame = off;
    this.end = off + caplen;
    this.wireLen = origLen;
    this.linkType = linkType;
    this.vlans = p.net.vlans;
    this.vlanCount = p.net.vlanCount;
    this.cut = false;
    this.arp = -1;
    const ip = p.ip;
    if (ip.proto >= 0) {
      // The usual packet: the decoder read the IP header (it sets the protocol last).
      const v = ip.version;
      this.net = v;
      this.ip = ip.off;
      this.proto = ip.proto;
      this.etherType = v === 4 ? EtherType.IPV4 : EtherType.IPV6;
      if (ip.fragOffset !== 0) this.l4 = NONE;
      else if (ip.payloadOff !== 0) this.l4 = ip.payloadOff;
      // An IPv4 total length below the header length stops the decoder before it sets the payload offset.
      else this.l4 = ip.off + (buf[ip.off] & 15) * 4;
      return;
    }
    this.slow(buf, off, this.end, linkType, p);
  }

  /**
   * No complete IP header: a frame that is not IP (ARP, LLDP, ...), one cut by the snap length
   * inside its link or IP header, or one with a malformed IP header. Find the network header
   * the way the link layer does and read what libpcap would read at its fixed offsets.
   */
  private slow(buf: Buffer, off: number, end: number, linkType: number, p: DecodedPacket): void {
    this.net = 0;
    this.ip = -1;
    this.proto = NONE;
    this.l4 = NONE;
    this.etherType = 0;
    let at: number;
    let type: number;
    if (p.tunnels === 0) {
      const ns = this.ns;
      const st = this.st;
      ns.reset();
      st.reset();
      at = decodeLink(buf, off, end, linkType, ns, st);
      if (at < 0) {
        if (st.kind === TRUNCATED) {
          this.cut = true;
          return;
        }
        // Not IP: the link layer's status offset is where its payload starts.
        this.etherType = ns.type;
        if ((ns.type === EtherType.ARP || ns.type === 0x8035) && st.layer === Layer.LINK) this.arp = off + st.offset;
        return;
      }
      type = ns.type;
    } else {
      // The inner header of a tunnel, cut or malformed: the decoder's status says where it starts.
      const ip = p.ip;
      type = ip.version === 4 ? EtherType.IPV4 : ip.version === 6 ? EtherType.IPV6 : 0;
      const sl = p.status.layer;
      at = ip.off !== 0 ? ip.off : sl === Layer.IPV4 || sl === Layer.IPV6 ? off + p.status.offset : -1;
      if (type === 0 || at < 0) return;
    }
    this.etherType = type;
    this.ip = at;
    if (type === EtherType.IPV4) {
      this.net = 4;
      if (at + 10 > end) {
        this.proto = CUT;
        this.l4 = CUT;
        return;
      }
      this.proto = buf[at + 9];
      const frag = ((buf[at + 6] << 8) | buf[at + 7]) & 0x1fff;
      this.l4 = frag !== 0 ? NONE : at + (buf[at] & 15) * 4;
    } else if (type === EtherType.IPV6) {
      this.net = 6;
      if (at + 7 > end) {
        this.proto = CUT;
        this.l4 = CUT;
        return;
      }
      const nh = buf[at + 6];
      if (nh === IpProto.FRAGMENT) {
        // libpcap's `tcp` looks one header further behind a fragment header (and reads no ports there).
        this.proto = at + 41 <= end ? buf[at + 40] : CUT;
      } else if (!isExtension(nh)) {
        this.proto = nh;
        this.l4 = at + 40;
      }
    }
  }
}
