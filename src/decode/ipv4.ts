/**
 * IPv4 (RFC 791). Reads the header at `off` into `ip`; returns the offset of the payload, or a
 * negative status. `end` is the end of the captured bytes; the header's total length may say
 * the datagram is longer (cut by the snap length, or a quote inside an ICMP error) or shorter
 * (Ethernet padding after it, which must not count as TCP payload).
 */
import { Layer, type LayerId } from './constants.js';
import type { IpFields } from './fields.js';
import { DecodeStatus, Stop } from './status.js';

export function decodeIpv4(buf: Buffer, off: number, end: number, ip: IpFields, st: DecodeStatus, base: number, layer: LayerId = Layer.IPV4): number {
  const avail = end - off;
  if (avail < 20) {
    if (avail >= 1) ip.version = 4;
    return st.set(Stop.TRUNCATED, layer, off - base, 'IPv4 header cut off');
  }
  const vihl = buf[off];
  if (vihl >> 4 !== 4) return st.set(Stop.MALFORMED, layer, off - base, 'IPv4 header with another version number');
  const hlen = (vihl & 15) * 4;
  if (hlen < 20) return st.set(Stop.MALFORMED, layer, off - base, 'IPv4 header length below 20 bytes');
  ip.version = 4;
  ip.off = off;
  ip.tos = buf[off + 1];
  let total = buf.readUInt16BE(off + 2);
  ip.id = buf.readUInt16BE(off + 4);
  const frag = buf.readUInt16BE(off + 6);
  ip.df = (frag & 0x4000) !== 0;
  ip.moreFragments = (frag & 0x2000) !== 0;
  ip.fragOffset = (frag & 0x1fff) * 8;
  ip.fragment = ip.moreFragments || ip.fragOffset !== 0;
  ip.ttl = buf[off + 8];
  ip.proto = buf[off + 9];
  const src = ip.src;
  const dst = ip.dst;
  src[0] = buf.readUInt32BE(off + 12);
  dst[0] = buf.readUInt32BE(off + 16);
  src[1] = src[2] = src[3] = dst[1] = dst[2] = dst[3] = 0;
  // A total length of 0 is what TCP segmentation offload leaves in captured outgoing packets.
  if (total === 0) total = avail;
  if (total < hlen) return st.set(Stop.MALFORMED, layer, off - base, 'IPv4 total length shorter than its header');
  ip.payloadOff = off + hlen;
  ip.payloadLen = total - hlen;
  if (avail < hlen) return st.set(Stop.TRUNCATED, layer, off - base, 'IPv4 options cut off');
  return off + hlen;
}
