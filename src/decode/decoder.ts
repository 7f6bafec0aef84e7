/**
 * The per-packet decoder: one object owning one pre-allocated field set per layer, reset and
 * refilled for every packet, so decoding allocates nothing. Link -> IP (through IP-in-IP, GRE and
 * UDP tunnels, see tunnel.ts; the innermost wins) -> TCP or ICMP/ICMPv6 with the quoted packet.
 */
import * as constants from './constants.js';
import { IcmpFields, IpFields, TcpFields } from './fields.js';
import { decodeIcmp } from './icmp.js';
import * as ipv4 from './ipv4.js';
import * as ipv6 from './ipv6.js';
import * as link from './link.js';
import { gre, udpTunnel } from './tunnel.js';
import { DecodeStatus, Stop } from './status.js';
import * as tcp from './tcp.js';

// Local bindings of what runs for every packet: see "Local bindings" in src/util/bytes.ts.
const { EtherType, IpProto, Layer } = constants;
const { decodeIpv4 } = ipv4;
const { decodeIpv6 } = ipv6;
const { NetStart, decodeLink } = link;
const { decodeTcp } = tcp;

const MAX_TUNNELS = 4;

/** End of the IP payload within the captured bytes (Ethernet padding after it is not payload). */
function l4End(ip: IpFields, end: number): number {
  const stated = ip.payloadOff + ip.payloadLen;
  return stated < end ? stated : end;
}

export class DecodedPacket {
  readonly net = new NetStart();
  readonly ip = new IpFields();
  readonly tcp = new TcpFields();
  readonly icmp = new IcmpFields();
  /** The IP header and TCP bytes quoted inside an ICMP error. */
  readonly quotedIp = new IpFields();
  readonly quotedTcp = new TcpFields();
  /** How decoding of the packet ended, and separately of the quote inside an ICMP error. */
  readonly status = new DecodeStatus();
  readonly quoteStatus = new DecodeStatus();
  /** Tunnel headers passed through (IP-in-IP, GRE, VXLAN). */
  tunnels = 0;
  /** The TCP header (at least its first bytes) was decoded: `tcp.have` says how much. */
  hasTcp = false;
  /** An ICMP or ICMPv6 message was decoded (see `icmp`). */
  hasIcmp = false;
  /** Captured and wire length of the frame. */
  caplen = 0;
  wireLen = 0;

  /** The quote is cleared only when an ICMP error is decoded: its fields mean nothing otherwise. */
  resetQuote(): void {
    this.quotedIp.reset();
    this.quotedTcp.reset();
    this.quoteStatus.reset();
  }

  reset(): void {
    this.net.reset();
    this.ip.reset();
    this.tcp.reset();
    this.icmp.reset();
    this.status.reset();
    this.tunnels = 0;
    this.hasTcp = false;
    this.hasIcmp = false;
  }

  /** The snap length cut a header this packet needed. */
  get truncated(): boolean {
    return this.status.kind === Stop.TRUNCATED;
  }
}

export class Decoder {
  readonly pkt = new DecodedPacket();

  /** Decodes `buf[off, off + caplen)` captured on `linkType`; returns the (reused) result. */
  decode(buf: Buffer, off: number, caplen: number, origLen: number, linkType: number): DecodedPacket {
    const p = this.pkt;
    p.reset();
    p.caplen = caplen;
    p.wireLen = origLen;
    const end = off + caplen;
    const st = p.status;
    let at = decodeLink(buf, off, end, linkType, p.net, st);
    if (at < 0) return p;
    let type = p.net.type;
    for (let depth = 0; depth <= MAX_TUNNELS; depth++) {
      // p.reset() has cleared the outermost header's fields already.
      if (depth > 0) p.ip.reset();
      if (type === EtherType.IPV4) at = decodeIpv4(buf, at, end, p.ip, st, off);
      else if (type === EtherType.IPV6) at = decodeIpv6(buf, at, end, p.ip, st, off);
      else return p;
      if (at < 0) return p;
      const ip = p.ip;
      // Only a first fragment carries the upper-layer header.
      if (ip.fragOffset !== 0) return p;
      switch (ip.proto) {
        case IpProto.TCP:
          p.hasTcp = true;
          decodeTcp(buf, at, end, ip.payloadLen, p.tcp, st, off);
          // (A TCP header without both ports names no flow.)
          if (p.tcp.have < 4) p.hasTcp = false;
          return p;
        case IpProto.ICMP:
          if (ip.version !== 4) return p;
          p.resetQuote();
          if (decodeIcmp(4, buf, at, l4End(ip, end), p.icmp, p.quotedIp, p.quotedTcp, st, p.quoteStatus, off) >= 0 || p.icmp.family) p.hasIcmp = true;
          return p;
        case IpProto.ICMPV6:
          if (ip.version !== 6) return p;
          p.resetQuote();
          if (decodeIcmp(6, buf, at, l4End(ip, end), p.icmp, p.quotedIp, p.quotedTcp, st, p.quoteStatus, off) >= 0 || p.icmp.family) p.hasIcmp = true;
          return p;
        case IpProto.IPIP:
          type = EtherType.IPV4; p.tunnels++; continue;
        case IpProto.IPV6:
          type = EtherType.IPV6; p.tunnels++; continue;
        case IpProto.GRE: {
          const r = gre(buf, at, l4End(ip, end), p.net, st, off);
          if (r < 0) return p;
          at = r; type = p.net.type; p.tunnels++; continue;
        }
        case IpProto.UDP: {
          const r = udpTunnel(buf, at, l4End(ip, end), p.net, st, off);
          if (r < 0) return p;
          at = r; type = p.net.type; p.tunnels++; continue;
        }
        default:
          return p;
      }
    }
    st.set(Stop.UNSUPPORTED, Layer.TUNNEL, at - off, 'tunnels nested more than 4 deep');
    return p;
  }
}
