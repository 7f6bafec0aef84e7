/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) error messages, and the packet they quote. An error
 * quotes the offending packet's IP header and at least its first 8 bytes (RFC 792), which for TCP
 * are the ports and the sequence number: enough to match the error to the connection attempt.
 * Linux quotes much more; a router may quote only the minimum.
 */
import { IpProto, Layer } from './constants.js';
import type { IcmpFields, IpFields, TcpFields } from './fields.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeTcp } from './tcp.js';
import { DecodeStatus, Stop } from './status.js';

/** ICMPv4 types that quote the offending datagram. */
export function icmp4Quotes(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** ICMPv6 error types (1..4) quote the offending packet. */
export function icmp6Quotes(type: number): boolean {
  return type >= 1 && type <= 4;
}

/**
 * Decodes the ICMP header at `off` and, for an error, the quoted IP header and TCP bytes into
 * `qip` and `qtcp`. Problems inside the quote do not make the outer packet bad: they are noted
 * in `qst`, so the caller still has the error's type, code and sender.
 */
export function decodeIcmp(
  family: 4 | 6, buf: Buffer, off: number, end: number, icmp: IcmpFields,
  qip: IpFields, qtcp: TcpFields, st: DecodeStatus, qst: DecodeStatus, base: number,
): number {
  const layer = family === 4 ? Layer.ICMP : Layer.ICMPV6;
  if (end - off < 4) return st.set(Stop.TRUNCATED, layer, off - base, 'ICMP header cut off');
  icmp.family = family;
  icmp.type = buf[off];
  icmp.code = buf[off + 1];
  const quotes = family === 4 ? icmp4Quotes(icmp.type) : icmp6Quotes(icmp.type);
  if (!quotes) return off + 4;
  if (end - off < 8) return st.set(Stop.TRUNCATED, layer, off - base, 'ICMP error header cut off');
  if ((family === 4 && icmp.type === 3 && icmp.code === 4) || (family === 6 && icmp.type === 2)) {
    icmp.mtu = family === 4 ? buf.readUInt16BE(off + 6) : buf.readUInt32BE(off + 4);
  }
  icmp.quotes = true;
  const q = off + 8;
  if (end - q < 1) return st.set(Stop.TRUNCATED, layer, q - base, 'ICMP error quotes nothing');
  const version = buf[q] >> 4;
  let r: number;
  if (version === 4) r = decodeIpv4(buf, q, end, qip, qst, base, layer);
  else if (version === 6) r = decodeIpv6(buf, q, end, qip, qst, base, layer);
  else return qst.set(Stop.MALFORMED, layer, q - base, 'ICMP error quotes something that is not IP'), q;
  if (r < 0 && qip.payloadOff === 0) return q;
  if (qip.proto === IpProto.TCP && qip.fragOffset === 0) {
    // The quote's own length field describes the original datagram; only what is quoted is here.
    decodeTcp(buf, qip.payloadOff, end, Math.max(qip.payloadLen, 0), qtcp, qst, base);
  }
  return q;
}
