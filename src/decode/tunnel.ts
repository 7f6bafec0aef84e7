/**
 * Tunnels whose inner TCP tshark dissects by default, so that counts and attempts agree with it:
 * GRE (RFC 2784/2890; version 1 is PPTP's enhanced GRE carrying PPP), and over UDP: VXLAN (4789,
 * RFC 7348), GENEVE (6081, RFC 8926), GTP-U (2152), Teredo (3544, RFC 4380) and L2TPv2 data
 * messages (1701, RFC 2661). Each returns the offset of the inner network header (with
 * `net.type` set) or a negative status.
 */
import { EtherType, Layer } from './constants.js';
import { NetStart, ethernetPayload, etherTypeFromVersion, ppp } from './link.js';
import { DecodeStatus, Stop, SKIP } from './status.js';

export const UdpPort = { VXLAN: 4789, GENEVE: 6081, GTP_U: 2152, TEREDO: 3544, L2TP: 1701 } as const;

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
  return st.set(Stop.UNSUPPORTED, Layer.TUNNEL, at - base, 'GRE payload is not IP');
}

/** The UDP header is at `at`; returns the inner network header's offset, or SKIP when the datagram is no tunnel. */
export function udpTunnel(buf: Buffer, at: number, end: number, net: NetStart, st: DecodeStatus, base: number): number {
  if (end - at < 8) return SKIP;
  const sport = buf.readUInt16BE(at);
  const dport = buf.readUInt16BE(at + 2);
  const p = at + 8;
  const avail = end - p;
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
  return SKIP;
}
