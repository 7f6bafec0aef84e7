/**
 * IPv6 (RFC 8200) and its extension headers: hop-by-hop, routing, fragment, destination options,
 * AH (RFC 4302, length in 4-byte units), mobility, HIP, shim6. The chain is bounded so that a
 * crafted loop of headers cannot hold the decoder. Only a first fragment (offset 0) carries the
 * upper-layer header.
 */
import * as constants from './constants.js';
import type { LayerId } from './constants.js';
import type { IpFields } from './fields.js';
import { DecodeStatus, Stop } from './status.js';
import * as bytes from '../util/bytes.js';

// Local bindings of what runs for every packet: see "Local bindings" in src/util/bytes.ts.
const { IpProto, Layer } = constants;
const { u16be, u32be } = bytes;

const MAX_EXT_HEADERS = 16;

export function decodeIpv6(buf: Buffer, off: number, end: number, ip: IpFields, st: DecodeStatus, base: number, layer: LayerId = Layer.IPV6): number {
  const avail = end - off;
  if (avail < 40) {
    if (avail >= 1) ip.version = 6;
    return st.set(Stop.TRUNCATED, layer, off - base, 'IPv6 header cut off');
  }
  const w0 = u32be(buf, off);
  if (w0 >>> 28 !== 6) return st.set(Stop.MALFORMED, layer, off - base, 'IPv6 header with another version number');
  ip.version = 6;
  ip.off = off;
  ip.tos = (w0 >>> 20) & 0xff;
  ip.flowLabel = w0 & 0xfffff;
  let remaining = u16be(buf, off + 4);
  // Payload length 0 means a jumbogram (RFC 2675) or TSO: fall back to what was captured.
  if (remaining === 0) remaining = avail - 40;
  let next = buf[off + 6];
  ip.ttl = buf[off + 7];
  for (let i = 0; i < 4; i++) {
    ip.src[i] = u32be(buf, off + 8 + 4 * i);
    ip.dst[i] = u32be(buf, off + 24 + 4 * i);
  }
  let p = off + 40;
  for (let n = 0; ; n++) {
    if (n > MAX_EXT_HEADERS) return st.set(Stop.MALFORMED, layer, p - base, 'more than 16 IPv6 extension headers');
    let len: number;
    switch (next) {
      case IpProto.HOPOPT: case IpProto.ROUTING: case IpProto.DSTOPTS:
      case IpProto.MOBILITY: case IpProto.HIP: case IpProto.SHIM6:
        if (end - p < 2) return cut(ip, p, remaining, next, st, base, layer);
        len = (buf[p + 1] + 1) * 8;
        break;
      case IpProto.AH:
        if (end - p < 2) return cut(ip, p, remaining, next, st, base, layer);
        len = (buf[p + 1] + 2) * 4;
        break;
      case IpProto.FRAGMENT: {
        if (end - p < 8) return cut(ip, p, remaining, next, st, base, layer);
        const fo = u16be(buf, p + 2);
        ip.fragment = true;
        ip.fragOffset = fo & 0xfff8;
        ip.moreFragments = (fo & 1) === 1;
        ip.id = u32be(buf, p + 4);
        len = 8;
        if (ip.fragOffset !== 0) {
          // A later fragment holds data, not headers: what follows is the middle of the payload.
          if (len > remaining) return st.set(Stop.MALFORMED, layer, p - base, 'IPv6 extension header longer than the payload');
          ip.proto = buf[p];
          ip.payloadOff = p + len;
          ip.payloadLen = remaining - len;
          ip.extHeaders++;
          return p + len;
        }
        break;
      }
      default:
        ip.proto = next;
        ip.payloadOff = p;
        ip.payloadLen = remaining;
        return p;
    }
    if (len > remaining) return st.set(Stop.MALFORMED, layer, p - base, 'IPv6 extension header longer than the payload');
    next = buf[p];
    p += len;
    remaining -= len;
    ip.extHeaders++;
  }
}

function cut(_ip: IpFields, p: number, _remaining: number, _next: number, st: DecodeStatus, base: number, layer: LayerId): number {
  return st.set(Stop.TRUNCATED, layer, p - base, 'IPv6 extension header cut off');
}
