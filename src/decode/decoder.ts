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
import { Unreached, unreachedProto } from './unreached.js';

// Local bindings of what runs for every packet: see "Local bindings" in src/util/bytes.ts.
const { EtherType, IpProto, Layer } = constants;
const { decodeIpv4 } = ipv4;
const { decodeIpv6 } = ipv6;
const { NetStart, decodeLink, ethernetPayload } = link;
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
  /** Tunnel headers passed through (IP-in-IP, GRE, VXLAN, ...; not PBB or FabricPath). */
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

  /**
   * Why this frame's TCP could not be reached, where it plausibly carried some (a static string
   * from unreached.ts: an encapsulation or EtherType not decoded, an encrypted payload, ...); ''
   * when TCP or ICMP was reached or the frame carried none (ARP, DNS, ...).
   */
  get unreached(): string {
    return this.status.unreached;
  }

  /**
   * The VLAN context for a flow key: `net.vlan * 4096 + net.innerVlan`, 0 when untagged (see
   * NetStart.vlanKey: Zeek's vlan and inner_vlan of the innermost packet).
   */
  vlanKey(): number {
    return this.net.vlan * 4096 + this.net.innerVlan;
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
      if (ip.proto === IpProto.AH && ip.version === 4) {
        // IPv4 AH (RFC 4302: next header, length in 4-byte words minus 2); IPv6 walks it as an extension header.
        if (l4End(ip, end) - at < 2) { st.set(Stop.TRUNCATED, Layer.IPV4, at - off, 'AH header cut off'); return p; }
        const len = (buf[at + 1] + 2) * 4;
        if (len > ip.payloadLen) { st.set(Stop.MALFORMED, Layer.IPV4, at - off, 'AH header longer than the payload'); return p; }
        ip.proto = buf[at];
        ip.payloadOff = at + len;
        ip.payloadLen -= len;
        at += len;
      }
      switch (ip.proto) {
        case IpProto.TCP:
          p.hasTcp = true;
          decodeTcp(buf, at, end, ip.payloadLen, p.tcp, st, off);
          // (A TCP header without both ports names no flow.)
          if (p.tcp.have < 4) { p.hasTcp = false; p.tcp.have = 0; }
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
        // A tunnel starts a new packet with no VLAN context (see NetStart.vlan), as in Zeek.
        case IpProto.IPIP:
          type = EtherType.IPV4; p.tunnels++; p.net.vlan = p.net.innerVlan = 0; continue;
        case IpProto.IPV6:
          type = EtherType.IPV6; p.tunnels++; p.net.vlan = p.net.innerVlan = 0; continue;
        case IpProto.GRE: {
          p.net.vlan = p.net.innerVlan = 0;
          const r = gre(buf, at, l4End(ip, end), p.net, st, off);
          if (r < 0) return p;
          at = r; type = p.net.type; p.tunnels++; continue;
        }
        case IpProto.UDP: {
          p.net.vlan = p.net.innerVlan = 0;
          const r = udpTunnel(buf, at, l4End(ip, end), p.net, st, off, ip.version);
          if (r < 0) return p;
          at = r; type = p.net.type; p.tunnels++; continue;
        }
        case IpProto.ETHERIP: {
          // RFC 3378: a 16-bit header (version 3 in the top nibble), then an Ethernet frame.
          const e = l4End(ip, end);
          if (e - at < 16) { st.set(Stop.TRUNCATED, Layer.TUNNEL, at - off, 'EtherIP header cut off'); return p; }
          if (buf[at] >> 4 !== 3) { st.set(Stop.UNSUPPORTED, Layer.TUNNEL, at - off, 'EtherIP version other than 3'); return p; }
          p.net.vlan = p.net.innerVlan = 0;
          const r = ethernetPayload(buf, at + 16, e, buf.readUInt16BE(at + 14), p.net, st, off);
          if (r < 0) return p;
          at = r; type = p.net.type; p.tunnels++; continue;
        }
        case IpProto.MPLS_IN_IP: {
          // RFC 4023: an MPLS label stack straight after the IP header.
          p.net.vlan = p.net.innerVlan = 0;
          const r = ethernetPayload(buf, at, l4End(ip, end), EtherType.MPLS_UC, p.net, st, off);
          if (r < 0) return p;
          at = r; type = p.net.type; p.tunnels++; continue;
        }
        default:
          st.unreached = unreachedProto(ip.proto);
          return p;
      }
    }
    st.unreached = Unreached.TUNNEL_DEPTH;
    st.set(Stop.UNSUPPORTED, Layer.TUNNEL, at - off, 'tunnels nested more than 4 deep');
    return p;
  }
}
