/**
 * TCP (RFC 9293) with the options a handshake carries: MSS, window scale, SACK-permitted,
 * timestamps (RFC 7323). Decodes as much as was captured: a quote inside an ICMP error may hold
 * only 8 bytes (ports and sequence number), a snap length may cut the options. `tcp.have` says
 * how far the header goes. Options are decoded on SYN and SYN-ACK segments only.
 */
import { Layer, OptBit, TcpOpt } from './constants.js';
import type { TcpFields } from './fields.js';
import { DecodeStatus, Stop } from './status.js';

/**
 * `segLen` is the TCP segment length per the IP header (header + payload), which may exceed the
 * captured bytes `end - off`.
 */
export function decodeTcp(buf: Buffer, off: number, end: number, segLen: number, tcp: TcpFields, st: DecodeStatus, base: number): number {
  const avail = Math.min(end - off, segLen);
  if (avail < 20) {
    if (avail >= 4) { tcp.sport = buf.readUInt16BE(off); tcp.dport = buf.readUInt16BE(off + 2); tcp.have = 4; }
    if (avail >= 8) { tcp.seq = buf.readUInt32BE(off + 4); tcp.have = 8; }
    if (avail >= 12) { tcp.ack = buf.readUInt32BE(off + 8); tcp.have = 12; }
    if (avail >= 14) { tcp.hdrLen = (buf[off + 12] >> 4) * 4; tcp.flags = buf[off + 13]; tcp.have = 14; }
    if (avail >= 16) { tcp.window = buf.readUInt16BE(off + 14); tcp.have = 16; }
    return st.set(Stop.TRUNCATED, Layer.TCP, off - base, 'TCP header cut off');
  }
  tcp.have = 20;
  tcp.sport = buf.readUInt16BE(off);
  tcp.dport = buf.readUInt16BE(off + 2);
  tcp.seq = buf.readUInt32BE(off + 4);
  tcp.ack = buf.readUInt32BE(off + 8);
  const hlen = (buf[off + 12] >> 4) * 4;
  tcp.hdrLen = hlen;
  tcp.flags = buf[off + 13];
  tcp.window = buf.readUInt16BE(off + 14);
  if (hlen < 20) return st.set(Stop.MALFORMED, Layer.TCP, off - base, 'TCP data offset below 5 words');
  if (hlen > segLen) return st.set(Stop.MALFORMED, Layer.TCP, off - base, 'TCP header longer than the IP payload');
  tcp.payloadLen = segLen - hlen;
  const optEnd = Math.min(off + hlen, end);
  if (optEnd < off + hlen) {
    if (tcp.flags & 0x02) options(buf, off + 20, optEnd, tcp);
    return st.set(Stop.TRUNCATED, Layer.TCP, optEnd - base, 'TCP options cut off');
  }
  // Only a SYN's options matter to the handshake analysis; walking them on every segment would
  // cost more than the rest of the TCP header.
  tcp.optionsComplete = (tcp.flags & 0x02) === 0 || options(buf, off + 20, optEnd, tcp);
  return off + hlen;
}

/** Walks the options; returns false if an option runs past `end`. */
function options(buf: Buffer, p: number, end: number, tcp: TcpFields): boolean {
  while (p < end) {
    const kind = buf[p];
    if (kind === TcpOpt.EOL) return true;
    if (kind === TcpOpt.NOP) { p++; continue; }
    if (p + 1 >= end) return false;
    const len = buf[p + 1];
    if (len < 2 || p + len > end) return false;
    switch (kind) {
      case TcpOpt.MSS: if (len === 4) { tcp.mss = buf.readUInt16BE(p + 2); tcp.optMask |= OptBit.MSS; } break;
      case TcpOpt.WSCALE: if (len === 3) { tcp.wscale = buf[p + 2]; tcp.optMask |= OptBit.WSCALE; } break;
      case TcpOpt.SACK_OK: tcp.optMask |= OptBit.SACK_OK; break;
      case TcpOpt.SACK: tcp.optMask |= OptBit.SACK; break;
      case TcpOpt.TIMESTAMP:
        if (len === 10) { tcp.tsVal = buf.readUInt32BE(p + 2); tcp.tsEcr = buf.readUInt32BE(p + 6); tcp.optMask |= OptBit.TIMESTAMP; }
        break;
      default: tcp.optMask |= OptBit.OTHER;
    }
    p += len;
  }
  return true;
}
