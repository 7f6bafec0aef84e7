/**
 * Packet builders for tests: each function returns the wire bytes of one
 * header plus its payload, with lengths and checksums filled in.
 *
 * Use documentation addresses only: 198.51.100.0/24, 203.0.113.0/24,
 * 2001:db8::/32, MAC 00:00:5e:00:53:xx (RFC 7042).
 */

export const ETH_P_IPV4 = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const ETH_P_MPLS = 0x8847;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_ICMPV6 = 58;

/** BSD address-family values seen in DLT_NULL / DLT_LOOP headers. */
export const AF_INET = 2;
export const AF_INET6_BSD = 24; // NetBSD, OpenBSD
export const AF_INET6_FREEBSD = 28;
export const AF_INET6_DARWIN = 30;

export const MAC_CLIENT = '00:00:5e:00:53:01';
export const MAC_SERVER = '00:00:5e:00:53:02';

// ---------------------------------------------------------------------------
// addresses and checksums
// ---------------------------------------------------------------------------

export function isIpv6(addr: string): boolean {
  return addr.includes(':');
}

export function ipv4Bytes(addr: string): Buffer {
  const parts = addr.split('.');
  if (parts.length !== 4) throw new Error(`bad IPv4 address ${addr}`);
  return Buffer.from(
    parts.map((p) => {
      const n = Number(p);
      if (!/^\d{1,3}$/.test(p) || n > 255) throw new Error(`bad IPv4 address ${addr}`);
      return n;
    }),
  );
}

export function ipv6Bytes(addr: string): Buffer {
  let text = addr;
  const tail: number[] = [];
  // An embedded dotted quad (::ffff:198.51.100.1) supplies the last 32 bits.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = ipv4Bytes(text.slice(lastColon + 1));
    tail.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
    const prefix = text.slice(0, lastColon + 1);
    // Keep a '::' that directly precedes the quad; drop a lone separator.
    text = prefix.endsWith('::') ? prefix : prefix.slice(0, -1);
  }
  const parseGroups = (s: string): number[] =>
    s === ''
      ? []
      : s.split(':').map((g) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`bad IPv6 address ${addr}`);
          return parseInt(g, 16);
        });
  const want = 8 - tail.length;
  let groups: number[];
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    const head = parseGroups(text.slice(0, dbl));
    const rest = parseGroups(text.slice(dbl + 2));
    const zeros = want - head.length - rest.length;
    if (zeros < 1) throw new Error(`bad IPv6 address ${addr}`);
    groups = [...head, ...new Array<number>(zeros).fill(0), ...rest];
  } else {
    groups = parseGroups(text);
  }
  groups.push(...tail);
  if (groups.length !== 8) throw new Error(`bad IPv6 address ${addr}`);
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  return b;
}

export function ipBytes(addr: string): Buffer {
  return isIpv6(addr) ? ipv6Bytes(addr) : ipv4Bytes(addr);
}

export function macBytes(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`bad MAC ${mac}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** RFC 1071 one's-complement sum over any number of buffers, folded, not inverted. */
function onesSum(bufs: Buffer[]): number {
  let sum = 0;
  // Odd-length buffers are only allowed last, as in every real checksum use.
  for (const b of bufs) {
    let i = 0;
    for (; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
    if (i < b.length) sum += b[i]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function internetChecksum(...bufs: Buffer[]): number {
  return ~onesSum(bufs) & 0xffff;
}

/** IPv4 or IPv6 pseudo header for upper-layer checksums. */
export function pseudoHeader(srcIp: string, dstIp: string, proto: number, length: number): Buffer {
  if (isIpv6(srcIp) !== isIpv6(dstIp)) throw new Error('mixed address families');
  if (isIpv6(srcIp)) {
    const p = Buffer.alloc(40);
    ipv6Bytes(srcIp).copy(p, 0);
    ipv6Bytes(dstIp).copy(p, 16);
    p.writeUInt32BE(length, 32);
    p[39] = proto;
    return p;
  }
  const p = Buffer.alloc(12);
  ipv4Bytes(srcIp).copy(p, 0);
  ipv4Bytes(dstIp).copy(p, 4);
  p[9] = proto;
  p.writeUInt16BE(length, 10);
  return p;
}

// ---------------------------------------------------------------------------
// link layers
// ---------------------------------------------------------------------------

/** Guess the EtherType of an IP packet from its version nibble. */
function ipEtherType(payload: Buffer): number {
  const v = payload.length > 0 ? payload[0]! >> 4 : 0;
  if (v === 4) return ETH_P_IPV4;
  if (v === 6) return ETH_P_IPV6;
  throw new Error('cannot infer EtherType: payload is not IPv4/IPv6; pass etherType');
}

export interface EthernetOptions {
  src?: string;
  dst?: string;
  /** 802.1Q TCIs (VID in the low 12 bits), outer first; with 2+ the outer uses TPID 0x88a8. */
  vlans?: number[];
  /** MPLS labels, top of stack first; bottom-of-stack bit is set on the last. */
  mpls?: number[];
  /** Type of the payload (after any MPLS stack); inferred for IPv4/IPv6. */
  etherType?: number;
  /** TTL for every MPLS label stack entry (default 64). */
  mplsTtl?: number;
}

export function ethernet(opts: EthernetOptions, payload: Buffer): Buffer {
  const vlans = opts.vlans ?? [];
  const mpls = opts.mpls ?? [];
  const innerType = mpls.length > 0 ? ETH_P_MPLS : (opts.etherType ?? ipEtherType(payload));
  const parts: Buffer[] = [];
  const macs = Buffer.alloc(12);
  macBytes(opts.dst ?? MAC_SERVER).copy(macs, 0);
  macBytes(opts.src ?? MAC_CLIENT).copy(macs, 6);
  parts.push(macs);
  // Each tag is TPID + TCI; the type field after the last tag names the payload.
  vlans.forEach((tci, i) => {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(i === 0 && vlans.length >= 2 ? ETH_P_8021AD : ETH_P_8021Q, 0);
    tag.writeUInt16BE(tci & 0xffff, 2);
    parts.push(tag);
  });
  const type = Buffer.alloc(2);
  type.writeUInt16BE(innerType, 0);
  parts.push(type);
  mpls.forEach((label, i) => {
    const lse = Buffer.alloc(4);
    const bos = i === mpls.length - 1 ? 1 : 0;
    lse.writeUInt32BE((((label & 0xfffff) << 12) | (bos << 8) | ((opts.mplsTtl ?? 64) & 0xff)) >>> 0, 0);
    parts.push(lse);
  });
  parts.push(payload);
  return Buffer.concat(parts);
}

export interface SllOptions {
  /** 0 = to us, 1 = broadcast, 2 = multicast, 3 = to other host, 4 = outgoing. */
  packetType?: number;
  /** ARPHRD_* (1 = Ethernet). */
  arphrd?: number;
  /** Link-layer source address (up to 8 bytes used). */
  addr?: string;
  /** Protocol (EtherType); inferred for IPv4/IPv6. */
  protocol?: number;
}

function sllAddr(addr: string | undefined): Buffer {
  return addr === undefined ? macBytes(MAC_CLIENT) : macBytes(addr);
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113): 16-byte header. */
export function sll(opts: SllOptions, payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  const addr = sllAddr(opts.addr);
  h.writeUInt16BE(opts.packetType ?? 0, 0);
  h.writeUInt16BE(opts.arphrd ?? 1, 2);
  h.writeUInt16BE(addr.length, 4);
  addr.copy(h, 6, 0, Math.min(8, addr.length));
  h.writeUInt16BE(opts.protocol ?? ipEtherType(payload), 14);
  return Buffer.concat([h, payload]);
}

export interface Sll2Options extends SllOptions {
  ifIndex?: number;
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276): 20-byte header, protocol first. */
export function sll2(opts: Sll2Options, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  const addr = sllAddr(opts.addr);
  h.writeUInt16BE(opts.protocol ?? ipEtherType(payload), 0);
  // 2..3 reserved
  h.writeUInt32BE(opts.ifIndex ?? 2, 4);
  h.writeUInt16BE(opts.arphrd ?? 1, 8);
  h[10] = opts.packetType ?? 0;
  h[11] = addr.length;
  addr.copy(h, 12, 0, Math.min(8, addr.length));
  return Buffer.concat([h, payload]);
}

/**
 * DLT_NULL (0) / DLT_LOOP (108) 4-byte family header. DLT_NULL stores the
 * family in the capturing host's byte order (default little-endian here);
 * DLT_LOOP is always network order.
 */
export function nullLoop(family: number, payload: Buffer, opts: { bigEndian?: boolean; loop?: boolean } = {}): Buffer {
  const h = Buffer.alloc(4);
  if (opts.loop || opts.bigEndian) h.writeUInt32BE(family, 0);
  else h.writeUInt32LE(family, 0);
  return Buffer.concat([h, payload]);
}

// ---------------------------------------------------------------------------
// IPv4 / IPv6
// ---------------------------------------------------------------------------

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;
  id?: number;
  /** Don't Fragment; defaults to true unless the packet is a fragment. */
  df?: boolean;
  tos?: number;
  /** Raw option bytes, zero-padded to 32 bits. */
  options?: Buffer;
  /** Fragment offset in BYTES (must be a multiple of 8). */
  fragOffset?: number;
  moreFragments?: boolean;
  /** Override the total-length field (default: header + payload). */
  totalLength?: number;
}

export function ipv4(opts: Ipv4Options, payload: Buffer): Buffer {
  const rawOpts = opts.options ?? Buffer.alloc(0);
  const optLen = Math.ceil(rawOpts.length / 4) * 4;
  if (optLen > 40) throw new Error('IPv4 options exceed 40 bytes');
  const hl = 20 + optLen;
  const fragOffset = opts.fragOffset ?? 0;
  if (fragOffset % 8 !== 0 || fragOffset < 0 || fragOffset > 0x1fff * 8) {
    throw new Error(`fragOffset is in bytes and must be a multiple of 8, got ${fragOffset}`);
  }
  const mf = opts.moreFragments ?? false;
  const df = opts.df ?? (!mf && fragOffset === 0);
  const h = Buffer.alloc(hl);
  h[0] = 0x40 | (hl / 4);
  h[1] = opts.tos ?? 0;
  h.writeUInt16BE(opts.totalLength ?? hl + payload.length, 2);
  h.writeUInt16BE(opts.id ?? 0, 4);
  h.writeUInt16BE((df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (fragOffset / 8), 6);
  h[8] = opts.ttl ?? 64;
  h[9] = opts.proto;
  ipv4Bytes(opts.src).copy(h, 12);
  ipv4Bytes(opts.dst).copy(h, 16);
  rawOpts.copy(h, 20);
  h.writeUInt16BE(internetChecksum(h), 10);
  return Buffer.concat([h, payload]);
}

/** IPv6 extension headers, in the order given (type = Next Header value). */
export type Ipv6ExtHeader =
  /** Hop-by-hop (0) / destination options (60): option TLVs, PadN-padded to 8n. */
  | { type: 0 | 60; options?: Buffer }
  /** Routing (43). segmentsLeft defaults to 0 so the destination stays final. */
  | { type: 43; routingType?: number; segmentsLeft?: number; addresses?: string[] }
  /** Fragment (44): offset in BYTES (multiple of 8). */
  | { type: 44; offset?: number; more?: boolean; id?: number }
  /** Authentication header (51): ICV defaults to 12 bytes (HMAC-SHA1-96). */
  | { type: 51; spi?: number; seq?: number; icv?: Buffer };

export interface Ipv6Options {
  src: string;
  dst: string;
  nextHeader: number;
  hopLimit?: number;
  flowLabel?: number;
  trafficClass?: number;
  extHeaders?: Ipv6ExtHeader[];
  /** Override the payload-length field. */
  payloadLength?: number;
}

/** Pad option TLVs so that 2 + options is a multiple of 8, using Pad1/PadN. */
function padOptions(opts: Buffer): Buffer {
  const rem = (2 + opts.length) % 8;
  if (rem === 0) return opts;
  const need = 8 - rem;
  const pad = need === 1 ? Buffer.from([0]) : Buffer.concat([Buffer.from([1, need - 2]), Buffer.alloc(need - 2)]);
  return Buffer.concat([opts, pad]);
}

function extHeader(ext: Ipv6ExtHeader, next: number): Buffer {
  switch (ext.type) {
    case 0:
    case 60: {
      const body = padOptions(ext.options ?? Buffer.alloc(0));
      const h = Buffer.alloc(2 + body.length);
      h[0] = next;
      h[1] = h.length / 8 - 1; // length in 8-octet units, not counting the first 8
      body.copy(h, 2);
      return h;
    }
    case 43: {
      const addrs = ext.addresses ?? [];
      const h = Buffer.alloc(8 + 16 * addrs.length);
      h[0] = next;
      h[1] = h.length / 8 - 1;
      h[2] = ext.routingType ?? 0;
      h[3] = ext.segmentsLeft ?? 0;
      addrs.forEach((a, i) => ipv6Bytes(a).copy(h, 8 + 16 * i));
      return h;
    }
    case 44: {
      const off = ext.offset ?? 0;
      if (off % 8 !== 0 || off < 0 || off > 0x1fff * 8) throw new Error(`fragment offset must be a multiple of 8 bytes, got ${off}`);
      const h = Buffer.alloc(8);
      h[0] = next;
      h.writeUInt16BE(off | (ext.more ? 1 : 0), 2); // offset/8 << 3 == offset
      h.writeUInt32BE(ext.id ?? 0, 4);
      return h;
    }
    case 51: {
      const icv = ext.icv ?? Buffer.alloc(12, 0xa5);
      const h = Buffer.alloc(12 + icv.length);
      if (h.length % 8 !== 0) throw new Error('IPv6 AH length must be a multiple of 8 bytes');
      h[0] = next;
      h[1] = h.length / 4 - 2; // AH counts 32-bit words minus 2, unlike other ext headers
      h.writeUInt32BE(ext.spi ?? 0x100, 4);
      h.writeUInt32BE(ext.seq ?? 1, 8);
      icv.copy(h, 12);
      return h;
    }
  }
}

export function ipv6(opts: Ipv6Options, payload: Buffer): Buffer {
  const exts = opts.extHeaders ?? [];
  const extBufs = exts.map((e, i) => extHeader(e, i + 1 < exts.length ? exts[i + 1]!.type : opts.nextHeader));
  const rest = Buffer.concat([...extBufs, payload]);
  const h = Buffer.alloc(40);
  const tc = opts.trafficClass ?? 0;
  h.writeUInt32BE(((6 << 28) | ((tc & 0xff) << 20) | ((opts.flowLabel ?? 0) & 0xfffff)) >>> 0, 0);
  h.writeUInt16BE(opts.payloadLength ?? rest.length, 4);
  h[6] = exts.length > 0 ? exts[0]!.type : opts.nextHeader;
  h[7] = opts.hopLimit ?? 64;
  ipv6Bytes(opts.src).copy(h, 8);
  ipv6Bytes(opts.dst).copy(h, 24);
  return Buffer.concat([h, rest]);
}

// ---------------------------------------------------------------------------
// TCP
// ---------------------------------------------------------------------------

export interface TcpOptionsSpec {
  mss?: number;
  wscale?: number;
  sackOk?: boolean;
  /** [TSval, TSecr] */
  ts?: [number, number];
}

export interface TcpSegmentOptions {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  /** Letters F S R P A U E C, e.g. 'S', 'SA', 'RA', 'PA'. */
  flags: string;
  window?: number;
  urgent?: number;
  options?: TcpOptionsSpec;
  /** Raw option bytes instead of `options` (zero-padded to 32 bits). */
  rawOptions?: Buffer;
  payload?: Buffer;
}

export interface IpPair {
  srcIp: string;
  dstIp: string;
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

export function tcpFlags(flags: string): number {
  let bits = 0;
  for (const c of flags.toUpperCase()) {
    const b = FLAG_BITS[c];
    if (b === undefined) throw new Error(`unknown TCP flag ${c} in '${flags}'`);
    bits |= b;
  }
  return bits;
}

/** Option bytes in the order Linux emits them, padded to 32 bits. */
export function tcpOptionBytes(o: TcpOptionsSpec): Buffer {
  const parts: number[] = [];
  if (o.mss !== undefined) parts.push(2, 4, (o.mss >> 8) & 0xff, o.mss & 0xff);
  const ts = o.ts;
  if (o.sackOk && ts) parts.push(4, 2);
  else if (o.sackOk) parts.push(1, 1, 4, 2);
  else if (ts) parts.push(1, 1);
  if (ts) {
    const t = Buffer.alloc(8);
    t.writeUInt32BE(ts[0] >>> 0, 0);
    t.writeUInt32BE(ts[1] >>> 0, 4);
    parts.push(8, 10, ...t);
  }
  if (o.wscale !== undefined) parts.push(1, 3, 3, o.wscale);
  while (parts.length % 4 !== 0) parts.push(0);
  return Buffer.from(parts);
}

export function tcp(seg: TcpSegmentOptions, ips: IpPair): Buffer {
  const raw = seg.rawOptions ?? (seg.options ? tcpOptionBytes(seg.options) : Buffer.alloc(0));
  const optLen = Math.ceil(raw.length / 4) * 4;
  if (optLen > 40) throw new Error('TCP options exceed 40 bytes');
  const payload = seg.payload ?? Buffer.alloc(0);
  const h = Buffer.alloc(20 + optLen);
  h.writeUInt16BE(seg.sport, 0);
  h.writeUInt16BE(seg.dport, 2);
  h.writeUInt32BE(seg.seq >>> 0, 4);
  h.writeUInt32BE((seg.ack ?? 0) >>> 0, 8);
  h[12] = (h.length / 4) << 4;
  h[13] = tcpFlags(seg.flags);
  h.writeUInt16BE(seg.window ?? 64240, 14);
  h.writeUInt16BE(seg.urgent ?? 0, 18);
  raw.copy(h, 20);
  const len = h.length + payload.length;
  h.writeUInt16BE(internetChecksum(pseudoHeader(ips.srcIp, ips.dstIp, IPPROTO_TCP, len), h, payload), 16);
  return Buffer.concat([h, payload]);
}

// ---------------------------------------------------------------------------
// ICMP errors
// ---------------------------------------------------------------------------

/** RFC 1812: errors carry as much of the offending packet as fits in 576 bytes. */
const ICMPV4_MAX_QUOTE = 576 - 20 - 8;
/** RFC 4443: as much as fits in the IPv6 minimum MTU. */
const ICMPV6_MAX_QUOTE = 1280 - 40 - 8;

function icmpv4(type: number, code: number, word: number, quoted: Buffer, quoteBytes: number | undefined): Buffer {
  const q = quoted.subarray(0, Math.min(quoteBytes ?? ICMPV4_MAX_QUOTE, quoted.length));
  const h = Buffer.alloc(8);
  h[0] = type;
  h[1] = code;
  h.writeUInt32BE(word >>> 0, 4);
  h.writeUInt16BE(internetChecksum(h, q), 2);
  return Buffer.concat([h, q]);
}

function icmpv6(type: number, code: number, word: number, quoted: Buffer, ips: IpPair, quoteBytes: number | undefined): Buffer {
  const q = quoted.subarray(0, Math.min(quoteBytes ?? ICMPV6_MAX_QUOTE, quoted.length));
  const h = Buffer.alloc(8);
  h[0] = type;
  h[1] = code;
  h.writeUInt32BE(word >>> 0, 4);
  const len = h.length + q.length;
  h.writeUInt16BE(internetChecksum(pseudoHeader(ips.srcIp, ips.dstIp, IPPROTO_ICMPV6, len), h, q), 2);
  return Buffer.concat([h, q]);
}

/**
 * ICMPv4 destination unreachable (type 3). quoteBytes limits how much of the
 * offending IP packet is quoted (RFC 792 minimum: IP header + 8 bytes);
 * nextHopMtu fills the code-4 "fragmentation needed" field.
 */
export function icmpv4Unreachable(code: number, quotedIpPacket: Buffer, quoteBytes?: number, nextHopMtu?: number): Buffer {
  return icmpv4(3, code, nextHopMtu ?? 0, quotedIpPacket, quoteBytes);
}

/** ICMPv4 time exceeded (type 11); code 0 = TTL exceeded in transit. */
export function icmpv4TimeExceeded(code: number, quotedIpPacket: Buffer, quoteBytes?: number): Buffer {
  return icmpv4(11, code, 0, quotedIpPacket, quoteBytes);
}

/** ICMPv6 destination unreachable (type 1). ips are the OUTER (error packet) addresses. */
export function icmpv6Unreachable(code: number, quoted: Buffer, ips: IpPair, quoteBytes?: number): Buffer {
  return icmpv6(1, code, 0, quoted, ips, quoteBytes);
}

/** ICMPv6 time exceeded (type 3); code 0 = hop limit exceeded. */
export function icmpv6TimeExceeded(code: number, quoted: Buffer, ips: IpPair, quoteBytes?: number): Buffer {
  return icmpv6(3, code, 0, quoted, ips, quoteBytes);
}

/** ICMPv6 packet too big (type 2, code 0). */
export function icmpv6PacketTooBig(mtu: number, quoted: Buffer, ips: IpPair, quoteBytes?: number): Buffer {
  return icmpv6(2, 0, mtu, quoted, ips, quoteBytes);
}

// ---------------------------------------------------------------------------
// convenience: whole packets
// ---------------------------------------------------------------------------

export interface IpTcpOptions extends TcpSegmentOptions {
  src: string;
  dst: string;
  ttl?: number;
  /** IPv4 only */
  id?: number;
  /** IPv4 only */
  df?: boolean;
}

/** IPv4 or IPv6 (by address) + TCP: what raw-IP link types carry. */
export function ipTcp(o: IpTcpOptions): Buffer {
  const seg = tcp(o, { srcIp: o.src, dstIp: o.dst });
  if (isIpv6(o.src)) return ipv6({ src: o.src, dst: o.dst, nextHeader: IPPROTO_TCP, hopLimit: o.ttl }, seg);
  return ipv4({ src: o.src, dst: o.dst, proto: IPPROTO_TCP, ttl: o.ttl, id: o.id, df: o.df }, seg);
}

export interface FrameTcpOptions extends IpTcpOptions {
  eth?: EthernetOptions;
}

/** Ethernet + IPv4 + TCP. */
export function tcp4(o: FrameTcpOptions): Buffer {
  if (isIpv6(o.src)) throw new Error('tcp4 needs IPv4 addresses');
  return ethernet(o.eth ?? {}, ipTcp(o));
}

/** Ethernet + IPv6 + TCP. */
export function tcp6(o: FrameTcpOptions): Buffer {
  if (!isIpv6(o.src)) throw new Error('tcp6 needs IPv6 addresses');
  return ethernet(o.eth ?? {}, ipTcp(o));
}

// ---------------------------------------------------------------------------
// fragmentation
// ---------------------------------------------------------------------------

/**
 * Split an IPv4 payload into fragments of at most fragSize bytes (a multiple
 * of 8). Every fragment repeats the header of `opts` with its own offset/MF.
 */
export function fragmentIpv4(opts: Ipv4Options, payload: Buffer, fragSize: number): Buffer[] {
  if (fragSize <= 0 || fragSize % 8 !== 0) throw new Error('fragSize must be a positive multiple of 8');
  const out: Buffer[] = [];
  for (let off = 0; off < payload.length; off += fragSize) {
    const chunk = payload.subarray(off, off + fragSize);
    out.push(ipv4({ ...opts, fragOffset: off, moreFragments: off + fragSize < payload.length, df: false }, chunk));
  }
  return out;
}

/**
 * Split the fragmentable part of an IPv6 packet (RFC 8200 4.5) into fragments.
 * `opts.extHeaders` are the unfragmentable headers (hop-by-hop, routing),
 * `firstHeader` is the Next Header value of the fragmentable part's first
 * header (e.g. 51 for AH, 6 for TCP), and `fragmentable` its bytes.
 */
export function fragmentIpv6(
  opts: Omit<Ipv6Options, 'nextHeader'>,
  firstHeader: number,
  fragmentable: Buffer,
  fragSize: number,
  id: number,
): Buffer[] {
  if (fragSize <= 0 || fragSize % 8 !== 0) throw new Error('fragSize must be a positive multiple of 8');
  const out: Buffer[] = [];
  for (let off = 0; off < fragmentable.length; off += fragSize) {
    const chunk = fragmentable.subarray(off, off + fragSize);
    const frag: Ipv6ExtHeader = { type: 44, offset: off, more: off + fragSize < fragmentable.length, id };
    out.push(ipv6({ ...opts, nextHeader: firstHeader, extHeaders: [...(opts.extHeaders ?? []), frag] }, chunk));
  }
  return out;
}
