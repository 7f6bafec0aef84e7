/**
 * TCP (RFC 9293) with the options a handshake carries: MSS, window scale, SACK-permitted,
 * timestamps (RFC 7323). Decodes as much as was captured: a quote inside an ICMP error may hold
 * only 8 bytes (ports and sequence number), a snap length may cut the options. `tcp.have` says
 * how far the header goes. Options are decoded on SYN and SYN-ACK segments only.
 */
import * as constants from './constants.js';
import type { TcpFields } from './fields.js';
import { DecodeStatus, Stop } from './status.js';
import * as bytes from '../util/bytes.js';

// Local bindings of what runs for every packet: see "Local bindings" in src/util/bytes.ts.
const { Layer, OptBit, TcpOpt } = constants;
const { u16be, u32be } = bytes;

/**
 * `segLen` is the TCP segment length per the IP header (header + payload), which may exceed the
 * captured bytes `end - off`.
 */
export function decodeTcp(buf: Buffer, off: number, end: number, segLen: number, tcp: TcpFields, st: DecodeStatus, base: number): number {
  // min() by hand: Math.min() is compiled as a floating-point operation here.
  const avail = segLen < end - off ? segLen : end - off;
  if (avail < 20) return partialHeader(buf, off, avail, tcp, st, base);
  const hlen = (buf[off + 12] >> 4) * 4;
  const flags = buf[off + 13];
  tcp.have = 20;
  tcp.sport = u16be(buf, off);
  tcp.dport = u16be(buf, off + 2);
  tcp.seq = u32be(buf, off + 4);
  tcp.ack = u32be(buf, off + 8);
  tcp.hdrLen = hlen;
  tcp.flags = flags;
  tcp.window = u16be(buf, off + 14);
  if (hlen < 20) return st.set(Stop.MALFORMED, Layer.TCP, off - base, 'TCP data offset below 5 words');
  if (hlen > segLen) return st.set(Stop.MALFORMED, Layer.TCP, off - base, 'TCP header longer than the IP payload');
  tcp.payloadLen = segLen - hlen;
  if (end < off + hlen) {
    if (flags & 0x02) options(buf, off + 20, end, tcp);
    return st.set(Stop.TRUNCATED, Layer.TCP, end - base, 'TCP options cut off');
  }
  // Only a SYN's options matter to the handshake analysis; walking them on every segment would
  // cost more than the rest of the TCP header.
  tcp.optionsComplete = (flags & 0x02) === 0 || options(buf, off + 20, off + hlen, tcp);
  return off + hlen;
}

/** Fewer than 20 bytes: as many fields as they hold (kept out of decodeTcp so that it stays small). */
function partialHeader(buf: Buffer, off: number, avail: number, tcp: TcpFields, st: DecodeStatus, base: number): number {
  // (2 bytes: the client port of a quote cut by a snap length of 64, enough to name an attempt)
  if (avail >= 2) { tcp.sport = u16be(buf, off); tcp.have = 2; }
  if (avail >= 4) { tcp.dport = u16be(buf, off + 2); tcp.have = 4; }
  if (avail >= 8) { tcp.seq = u32be(buf, off + 4); tcp.have = 8; }
  if (avail >= 12) { tcp.ack = u32be(buf, off + 8); tcp.have = 12; }
  if (avail >= 14) { tcp.hdrLen = (buf[off + 12] >> 4) * 4; tcp.flags = buf[off + 13]; tcp.have = 14; }
  if (avail >= 16) { tcp.window = u16be(buf, off + 14); tcp.have = 16; }
  return st.set(Stop.TRUNCATED, Layer.TCP, off - base, 'TCP header cut off');
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
      case TcpOpt.MSS: if (len === 4) { tcp.mss = u16be(buf, p + 2); tcp.optMask |= OptBit.MSS; } break;
      case TcpOpt.WSCALE: if (len === 3) { tcp.wscale = buf[p + 2]; tcp.optMask |= OptBit.WSCALE; } break;
      case TcpOpt.SACK_OK: tcp.optMask |= OptBit.SACK_OK; break;
      case TcpOpt.SACK: tcp.optMask |= OptBit.SACK; break;
      case TcpOpt.TIMESTAMP:
        if (len === 10) { tcp.tsVal = u32be(buf, p + 2); tcp.tsEcr = u32be(buf, p + 6); tcp.optMask |= OptBit.TIMESTAMP; }
        break;
      default: tcp.optMask |= OptBit.OTHER;
    }
    p += len;
  }
  return true;
}
