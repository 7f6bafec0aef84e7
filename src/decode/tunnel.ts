/**
 * Tunnels whose inner TCP tshark dissects by default, so that counts and attempts agree with it:
 * GRE (RFC 2784/2890; version 1 is PPTP's enhanced GRE carrying PPP), and over UDP: VXLAN (4789,
 * RFC 7348), GENEVE (6081, RFC 8926), GTP-U (2152), Teredo (3544, RFC 4380), L2TPv2 data
 * messages (1701, RFC 2661), GRE-in-UDP (4754, RFC 8086) and AYIYA (5072,
 * draft-massar-v6ops-ayiya). Teredo on any other port is recognised by a strict heuristic (what
 * tshark does with `-o teredo.heuristic_teredo:TRUE`). Each returns the offset of the inner
 * network header (with `net.type` set) or a negative status.
 *
 * Where a datagram plausibly carried TCP that cannot be reached (ESP in UDP, WireGuard, an IP
 * packet behind an unknown UDP port), `st.unreached` says so (see unreached.ts).
 */
import { EtherType, IpProto, Layer } from './constants.js';
import { NetStart, ethernetPayload, etherTypeFromVersion, ppp } from './link.js';
import { DecodeStatus, Stop, SKIP } from './status.js';
import { Unreached, unreachedGre } from './unreached.js';
import * as bytes from '../util/bytes.js';

// Local binding (see "Local bindings" in src/util/bytes.ts): every UDP datagram reads its header here.
const { u16be } = bytes;

export const UdpPort = {
  VXLAN: 4789, GENEVE: 6081, GTP_U: 2152, TEREDO: 3544, L2TP: 1701, GRE_IN_UDP: 4754, AYIYA: 5072,
  IPSEC_NAT_T: 4500, WIREGUARD: 51820,
} as const;

export function gre(buf: Buffer, at: number, end: number, net: NetStart, st: DecodeStatus, base: number): number {
  if (end - at < 4) return st.set(Stop.TRUNCATED, Layer.TUNNEL, at - base, 'GRE header cut off');
  const flags = buf.readUInt16BE(at);
  const version = flags & 7;
  const proto = buf.readUInt16BE(at + 2);
  let len = 4;
  if (version === 1) {
    // Enhanced GRE (PPTP, RFC 2637): key always present, then optional sequence and ack numbers.
    if (proto !== 0x880b) return st.set(Stop.UNSUPPORTED, Layer.TUNNEL, at - base, 'enhanced GRE payload is not PPP');
    len = 8 + (flags & 0x1000 ? 4 : 0) + (flags & 0x0080 ? 4 : 0);
    if (end - at < len) return st.set(Stop.TRUNCATED, Layer.TUNNEL, at - base, 'GRE header cut off');
    if (buf.readUInt16BE(at + 4) === 0) return st.set(Stop.UNSUPPORTED, Layer.TUNNEL, at - base, 'PPTP GRE without payload');
    const p = at + len;
    return ppp(buf, end - p >= 2 && buf[p] === 0xff && buf[p + 1] === 0x03 ? p + 2 : p, end, net, st, base);
  }
  if (version !== 0) return st.set(Stop.UNSUPPORTED, Layer.TUNNEL, at - base, 'GRE version other than 0 and 1');
  if (flags & 0x8000) len += 4;
  if (flags & 0x2000) len += 4;
  if (flags & 0x1000) len += 4;
  if (end - at < len) return st.set(Stop.TRUNCATED, Layer.TUNNEL, at - base, 'GRE header cut off');
  if (proto === EtherType.TEB) {
    if (end - at - len < 14) return st.set(Stop.TRUNCATED, Layer.TUNNEL, at - base, 'GRE Ethernet header cut off');
    return ethernetPayload(buf, at + len + 14, end, buf.readUInt16BE(at + len + 12), net, st, base);
  }
  if (proto === EtherType.MPLS_UC || proto === EtherType.IPV4 || proto === EtherType.IPV6) {
    return ethernetPayload(buf, at + len, end, proto, net, st, base);
  }
  net.type = end - at > len ? etherTypeFromVersion(buf, at + len) : 0;
  st.unreached = unreachedGre(proto);
  return st.set(Stop.UNSUPPORTED, Layer.TUNNEL, at - base, 'GRE payload is not IP');
}

/**
 * GRE-in-UDP (RFC 8086): a GRE header with no routing bit, zero reserved bits and version 0,
 * carrying IP (its version nibble must agree), Ethernet or MPLS; anything else is no tunnel.
 */
function greInUdp(buf: Buffer, p: number, end: number, net: NetStart, st: DecodeStatus, base: number): number {
  if (end - p < 4) return SKIP;
  const flags = buf.readUInt16BE(p);
  if ((flags & 0x4ff8) !== 0 || (flags & 7) !== 0) return SKIP;
  const proto = buf.readUInt16BE(p + 2);
  if (proto === EtherType.IPV4 || proto === EtherType.IPV6) {
    const len = 4 + (flags & 0x8000 ? 4 : 0) + (flags & 0x2000 ? 4 : 0) + (flags & 0x1000 ? 4 : 0);
    if (end - p > len && etherTypeFromVersion(buf, p + len) !== proto) return SKIP;
  } else if (proto !== EtherType.TEB && proto !== EtherType.MPLS_UC) return SKIP;
  return gre(buf, p, end, net, st, base);
}

/**
 * AYIYA (draft-massar-v6ops-ayiya-02, as Wireshark and Zeek read it): identity length 2^n and
 * type, signature length in 4-byte words and hash method, authentication method and opcode, next
 * header, 4-byte epoch, identity, signature, payload. Only "forward" (opcode 1) carries a packet;
 * the next header must be IPv4 or IPv6 and agree with the payload's version nibble.
 */
function ayiya(buf: Buffer, p: number, end: number, payloadLen: number, net: NetStart, st: DecodeStatus, base: number): number {
  if (end - p < 8) return SKIP;
  const next = buf[p + 3];
  if ((buf[p + 2] & 0x0f) !== 1 || (next !== IpProto.IPIP && next !== IpProto.IPV6)) return SKIP;
  const len = 8 + (1 << (buf[p] >> 4)) + (buf[p + 1] >> 4) * 4;
  if (len >= payloadLen) return SKIP;
  if (end - p <= len) return st.set(Stop.TRUNCATED, Layer.TUNNEL, p - base, 'AYIYA header cut off');
  const type = next === IpProto.IPV6 ? EtherType.IPV6 : EtherType.IPV4;
  if (etherTypeFromVersion(buf, p + len) !== type) return SKIP;
  net.type = type;
  return p + len;
}

/** Next headers a Teredo packet synscope looks for may carry: TCP, ICMPv6, a fragment header. */
function teredoNext(nh: number): boolean {
  return nh === IpProto.TCP || nh === IpProto.ICMPV6 || nh === IpProto.FRAGMENT;
}

/**
 * Teredo on a port other than 3544, by Wireshark's heuristic made stricter: optional
 * authentication and origin indication headers, then an IPv6 header whose payload length is
 * exactly what the UDP length leaves, a non-zero hop limit, and a next header of TCP, ICMPv6 or
 * a fragment header. Only over IPv4 (Teredo is IPv6 over UDP over IPv4) and never when either
 * port is below 1024 (DNS, NTP, NetBIOS, ...). Returns the IPv6 header's offset, or -1.
 */
function teredoHeuristic(buf: Buffer, p: number, end: number, payloadLen: number): number {
  let q = p;
  if (end - q < 40) return -1;
  let w = (buf[q] << 8) | buf[q + 1];
  if (w === 1) {
    // Authentication: client id and authentication value lengths, then nonce (8) and confirmation (1).
    q += 13 + buf[q + 2] + buf[q + 3];
    if (end - q < 2) return -1;
    w = (buf[q] << 8) | buf[q + 1];
  }
  if (w === 0) {
    q += 8; // origin indication: 0x0000, obfuscated port and address
    if (end - q < 2) return -1;
  }
  if (end - q < 40 || buf[q] >> 4 !== 6) return -1;
  if (((buf[q + 4] << 8) | buf[q + 5]) + 40 !== payloadLen - (q - p)) return -1;
  if (!teredoNext(buf[q + 6]) || buf[q + 7] === 0) return -1;
  return q;
}

/** RFC 1071 checksum of an IPv4 header: true when it sums to 0xffff. */
function ipv4HeaderSumOk(buf: Buffer, q: number, hlen: number): boolean {
  let sum = 0;
  for (let i = 0; i < hlen; i += 2) sum += (buf[q + i] << 8) | buf[q + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/**
 * A UDP payload that is no known tunnel but holds, at one of the first offsets a tunnel header
 * would leave (0 to 32, in steps of 4), an IP header carrying TCP whose length is exactly what
 * the UDP length leaves; for IPv4 its header checksum must also be right. Plain UDP (DNS and the
 * rest) never passes all of that.
 */
function ipInUdp(buf: Buffer, p: number, end: number, payloadLen: number): boolean {
  for (let k = 0; k <= 32; k += 4) {
    const q = p + k;
    if (end - q < 20) return false;
    const b = buf[q];
    if (b >> 4 === 4) {
      const hlen = (b & 15) * 4;
      if (hlen >= 20 && end - q >= hlen && buf[q + 9] === IpProto.TCP && ((buf[q + 2] << 8) | buf[q + 3]) === payloadLen - k && ipv4HeaderSumOk(buf, q, hlen)) return true;
    } else if (b >> 4 === 6 && end - q >= 40) {
      if (buf[q + 6] === IpProto.TCP && buf[q + 7] !== 0 && ((buf[q + 4] << 8) | buf[q + 5]) + 40 === payloadLen - k) return true;
    }
  }
  return false;
}

/**
 * The UDP header is at `at`, carried in IP version `ipVersion`; returns the inner network
 * header's offset, or SKIP when the datagram is no tunnel.
 */
export function udpTunnel(buf: Buffer, at: number, end: number, net: NetStart, st: DecodeStatus, base: number, ipVersion: number): number {
  if (end - at < 8) return SKIP;
  // (Checked just above: the unchecked readers, as every UDP datagram comes through here.)
  const sport = u16be(buf, at);
  const dport = u16be(buf, at + 2);
  const p = at + 8;
  const avail = end - p;
  // The UDP length, not the captured bytes: a snap length must not hide a tunnel's inner packet.
  const payloadLen = u16be(buf, at + 4) - 8;
  if (dport === UdpPort.VXLAN) {
    // 8-byte header with the I flag, then an Ethernet frame.
    if (avail < 8 + 14 || (buf[p] & 0x08) === 0) return SKIP;
    return ethernetPayload(buf, p + 8 + 14, end, buf.readUInt16BE(p + 8 + 12), net, st, base);
  }
  if (dport === UdpPort.GENEVE) {
    if (avail < 8 || buf[p] >> 6 !== 0) return SKIP;
    const len = 8 + (buf[p] & 0x3f) * 4;
    const proto = buf.readUInt16BE(p + 2);
    if (avail < len) return st.set(Stop.TRUNCATED, Layer.TUNNEL, p - base, 'GENEVE header cut off');
    if (proto === EtherType.TEB) {
      if (avail < len + 14) return st.set(Stop.TRUNCATED, Layer.TUNNEL, p - base, 'GENEVE Ethernet header cut off');
      return ethernetPayload(buf, p + len + 14, end, buf.readUInt16BE(p + len + 12), net, st, base);
    }
    if (proto === EtherType.IPV4 || proto === EtherType.IPV6) return ethernetPayload(buf, p + len, end, proto, net, st, base);
    return SKIP;
  }
  if (dport === UdpPort.GTP_U || sport === UdpPort.GTP_U) {
    // GTPv1-U G-PDU: flags (version 1, PT 1), type 0xff, length, TEID; optional fields and extension headers.
    if (avail < 8 || buf[p] >> 5 !== 1 || (buf[p] & 0x10) === 0 || buf[p + 1] !== 0xff) return SKIP;
    let len = 8;
    if (buf[p] & 0x07) {
      len = 12;
      if (avail < len) return st.set(Stop.TRUNCATED, Layer.TUNNEL, p - base, 'GTP-U header cut off');
      let next = buf[p + 11];
      for (let i = 0; next !== 0 && i < 16; i++) {
        if (avail < len + 1) return st.set(Stop.TRUNCATED, Layer.TUNNEL, p - base, 'GTP-U extension cut off');
        const extLen = buf[p + len] * 4;
        if (extLen === 0 || avail < len + extLen) return st.set(Stop.MALFORMED, Layer.TUNNEL, p - base, 'GTP-U extension header length');
        next = buf[p + len + extLen - 1];
        len += extLen;
      }
    }
    if (avail <= len) return st.set(Stop.TRUNCATED, Layer.TUNNEL, p - base, 'GTP-U payload cut off');
    net.type = etherTypeFromVersion(buf, p + len);
    return net.type ? p + len : SKIP;
  }
  if (dport === UdpPort.TEREDO || sport === UdpPort.TEREDO) {
    // Optional authentication (0x0001) and origin indication (0x0000) headers, then IPv6.
    let q = p;
    if (end - q >= 4 && buf[q] === 0 && buf[q + 1] === 1) {
      if (end - q < 13) return SKIP;
      q += 4 + buf[q + 2] + buf[q + 3] + 9;
    }
    if (end - q >= 8 && buf[q] === 0 && buf[q + 1] === 0) q += 8;
    if (end - q < 40 || buf[q] >> 4 !== 6) return SKIP;
    net.type = EtherType.IPV6;
    return q;
  }
  if (dport === UdpPort.L2TP || sport === UdpPort.L2TP) {
    // L2TPv2 data message: flags/version word, optional length, tunnel and session ids, optional Ns/Nr and offset.
    if (avail < 6) return SKIP;
    const fl = buf.readUInt16BE(p);
    if ((fl & 0x000f) !== 2 || fl & 0x8000) return SKIP;
    let len = 2 + (fl & 0x4000 ? 2 : 0) + 4 + (fl & 0x0800 ? 4 : 0);
    if (fl & 0x0200) {
      if (avail < len + 2) return st.set(Stop.TRUNCATED, Layer.TUNNEL, p - base, 'L2TP header cut off');
      len += 2 + buf.readUInt16BE(p + len);
    }
    if (avail < len + 2) return st.set(Stop.TRUNCATED, Layer.TUNNEL, p - base, 'L2TP payload cut off');
    const q = p + len;
    return ppp(buf, buf[q] === 0xff && buf[q + 1] === 0x03 ? q + 2 : q, end, net, st, base);
  }
  if (dport === UdpPort.GRE_IN_UDP || sport === UdpPort.GRE_IN_UDP) {
    const r = greInUdp(buf, p, end, net, st, base);
    if (r !== SKIP || st.kind !== Stop.NONE) return r;
  }
  if (dport === UdpPort.AYIYA || sport === UdpPort.AYIYA) {
    const r = ayiya(buf, p, end, payloadLen, net, st, base);
    if (r !== SKIP || st.kind !== Stop.NONE) return r;
  }
  if (ipVersion === 4 && sport >= 1024 && dport >= 1024) {
    const q = teredoHeuristic(buf, p, end, payloadLen);
    if (q >= 0) {
      net.type = EtherType.IPV6;
      return q;
    }
  }
  if (dport === UdpPort.IPSEC_NAT_T || sport === UdpPort.IPSEC_NAT_T) {
    // RFC 3948: a zero "non-ESP marker" starts IKE, a single 0xff byte is a keepalive; else ESP (SPI, sequence, ...).
    if (avail >= 8 && (buf[p] | buf[p + 1] | buf[p + 2] | buf[p + 3]) !== 0) st.unreached = Unreached.ESP_UDP;
    return SKIP;
  }
  if ((dport === UdpPort.WIREGUARD || sport === UdpPort.WIREGUARD) && avail >= 32 && buf[p] === 4 && (buf[p + 1] | buf[p + 2] | buf[p + 3]) === 0) {
    st.unreached = Unreached.WIREGUARD; // transport data message
    return SKIP;
  }
  if (ipInUdp(buf, p, end, payloadLen)) st.unreached = Unreached.UDP_IP;
  return SKIP;
}
