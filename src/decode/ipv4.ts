/**
 * IPv4 (RFC 791). Reads the header at `off` into `ip`; returns the offset of the payload, or a
 * negative status. `end` is the end of the captured bytes; the header's total length may say
 * the datagram is longer (cut by the snap length, or a quote inside an ICMP error) or shorter
 * (Ethernet padding after it, which must not count as TCP payload).
 */
import * as constants from './constants.js';
import type { LayerId } from './constants.js';
import type { IpFields } from './fields.js';
import { DecodeStatus, Stop } from './status.js';
import * as bytes from '../util/bytes.js';

// Local bindings of what runs for every packet: see "Local bindings" in src/util/bytes.ts.
const { Layer } = constants;
const { u16be, u32be } = bytes;

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
  const frag = u16be(buf, off + 6);
  const moreFragments = (frag & 0x2000) !== 0;
  const fragOffset = (frag & 0x1fff) * 8;
  let total = u16be(buf, off + 2);
  ip.version = 4;
  ip.off = off;
  ip.tos = buf[off + 1];
  ip.id = u16be(buf, off + 4);
  ip.df = (frag & 0x4000) !== 0;
  ip.moreFragments = moreFragments;
  ip.fragOffset = fragOffset;
  ip.fragment = moreFragments || fragOffset !== 0;
  ip.ttl = buf[off + 8];
  ip.proto = buf[off + 9];
  const src = ip.src;
  const dst = ip.dst;
  src[0] = u32be(buf, off + 12);
  dst[0] = u32be(buf, off + 16);
  src[1] = src[2] = src[3] = dst[1] = dst[2] = dst[3] = 0;
  // A total length of 0 is what TCP segmentation offload leaves in captured outgoing packets.
  if (total === 0) total = avail;
  if (total < hlen) return st.set(Stop.MALFORMED, layer, off - base, 'IPv4 total length shorter than its header');
  ip.payloadOff = off + hlen;
  ip.payloadLen = total - hlen;
  if (avail < hlen) return st.set(Stop.TRUNCATED, layer, off - base, 'IPv4 options cut off');
  return off + hlen;
}
