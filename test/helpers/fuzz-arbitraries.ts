/**
 * fast-check arbitraries for the fuzz tests (test/fuzz.test.ts): whole captures built field by
 * field so that every length, type and pointer can lie. Nothing here computes a checksum (the
 * decoder checks none) and every address is a documentation address (RFC 5737, RFC 3849), so
 * that an input kept as a regression fixture is harmless to publish.
 *
 * - `ipPacketArb`: IPv4 / IPv6 packets with random IHL, total length, TCP data offset and flags,
 *   IPv6 extension-header chains (including "loops": a header whose next-header names itself or an
 *   earlier type, repeated past the decoder's limit), ICMP / ICMPv6 errors quoting packets
 *   (including other ICMP errors, cut at any length), and tunnels (IP-in-IP, GRE, VXLAN).
 * - `frameArb(linkType)`: such a packet behind the link layer `linkType` needs, with random VLAN
 *   tags, MPLS stacks, cooked headers, BSD address families, PPP protocols, NFLOG TLVs.
 * - `pcapArb`, `pcapngArb`: whole files with random magic, byte order, snap length, link type
 *   (including FCS bits and unknown values), record lengths that lie, pcapng blocks whose leading
 *   or trailing lengths or option lengths are broken, interface ids that do not exist, and
 *   timestamp resolutions / offsets at their extremes.
 * - `conversationArb` / `packetCaptureArb`: handshakes among a few documentation addresses with
 *   hostile answers (RSTs with right, wrong or no ACK, blind RSTs, SYN+RST and SYN+FIN, ICMP errors
 *   quoting the SYN, another ICMP error or nothing known, duplicates, clocks going backwards), so
 *   that the handshake engine reaches every verdict; chaotic packets are mixed in.
 * - `mutationsArb`: byte flips, sets, 16/32-bit writes of interesting values at length fields,
 *   deletions and duplications, applied to a fixture by `applyMutations`.
 */
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';

type Arb<T> = fc.Arbitrary<T>;

// ---------------------------------------------------------------------------
// small pools: packets of one capture share addresses and ports so that they form attempts
// ---------------------------------------------------------------------------

const V4 = ['198.51.100.10', '198.51.100.11', '203.0.113.20', '203.0.113.21', '203.0.113.1', '198.51.100.1'];
const V6 = ['2001:db8:1::10', '2001:db8:2::20', '2001:db8:2::21', '2001:db8:2::1'];
const PORTS = [40000, 40001, 80, 8081];
const SEQS = [1000, 1001, 5000, 5001, 0, 0xffffffff];

function v4Bytes(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

function v6Bytes(a: string): Buffer {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (maxLength: number): Arb<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

/** A value that is right most of the time, and otherwise anything. */
function mostly<T>(_right: T, wrong: Arb<T>): Arb<T | null> {
  return fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: wrong }) as Arb<T | null>;
}

const pick = <T>(xs: readonly T[]): Arb<T> => fc.constantFrom(...xs);
const seqArb = fc.oneof(pick(SEQS), u32);
const portArb = fc.oneof({ weight: 5, arbitrary: pick(PORTS) }, { weight: 1, arbitrary: u16 });

// ---------------------------------------------------------------------------
// layer 4
// ---------------------------------------------------------------------------

/** A transport payload and the protocol number the IP header should name. */
export interface L4 {
  proto: number;
  /** 4 or 6 when the payload only makes sense in that IP version (ICMP vs ICMPv6, tunnels). */
  family: 0 | 4 | 6;
  bytes: Buffer;
}

const COMMON_FLAGS = [0x02, 0x12, 0x14, 0x04, 0x10, 0x11, 0x18, 0x06, 0x03, 0x07, 0x16, 0x01, 0x00, 0xff];

export const tcpArb: Arb<L4> = fc.record({
  sport: portArb,
  dport: portArb,
  seq: seqArb,
  ack: seqArb,
  dataOffset: mostly(0, fc.integer({ min: 0, max: 15 })),
  flags: fc.oneof({ weight: 3, arbitrary: pick(COMMON_FLAGS) }, { weight: 1, arbitrary: u8 }),
  options: fc.oneof(
    fc.constant(Buffer.alloc(0)),
    // MSS, SACK-permitted, timestamps, window scale: what a Linux SYN carries
    fc.constant(Buffer.from([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7])),
    fc.constant(Buffer.from([2, 4, 5, 0xb4])),
    bytes(44),
  ),
  payload: fc.oneof({ weight: 3, arbitrary: fc.constant(Buffer.alloc(0)) }, { weight: 1, arbitrary: bytes(64) }),
}).map((t) => {
  const opts = t.options.length % 4 === 0 ? t.options : Buffer.concat([t.options, Buffer.alloc(4 - (t.options.length % 4))]);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(t.sport, 0);
  h.writeUInt16BE(t.dport, 2);
  h.writeUInt32BE(t.seq >>> 0, 4);
  h.writeUInt32BE(t.ack >>> 0, 8);
  const words = t.dataOffset ?? Math.min(15, (20 + opts.length) / 4);
  h[12] = words << 4;
  h[13] = t.flags;
  h.writeUInt16BE(64240, 14);
  return { proto: 6, family: 0 as const, bytes: Buffer.concat([h, opts, t.payload]) };
});

const rawL4Arb: Arb<L4> = fc.record({
  proto: fc.oneof(pick([6, 1, 58, 17, 4, 41, 47, 0, 43, 44, 51, 59, 60]), u8),
  bytes: bytes(48),
}).map((r) => ({ proto: r.proto, family: 0 as const, bytes: r.bytes }));

/** ICMP or ICMPv6, errors quoting `quoted` (cut at some length). */
function icmpArb(quoted: Arb<Buffer>): Arb<L4> {
  return fc.record({
    v6: fc.boolean(),
    type: fc.option(u8, { freq: 4, nil: null }),
    code: fc.oneof(fc.integer({ min: 0, max: 15 }), u8),
    word: fc.oneof(fc.constant(0), u32),
    quote: quoted,
    cut: fc.oneof(
      { weight: 3, arbitrary: fc.constant(-1) },
      { weight: 1, arbitrary: fc.constantFrom(0, 1, 8, 20, 28, 40, 48) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 200 }) },
    ),
  }).chain((r) => {
    // Without a random type, an error type that quotes (v4: 3, 11, 12, 4, 5; v6: 1..4).
    const types = r.v6 ? [1, 3, 4, 2] : [3, 11, 12, 4, 5];
    return pick(types).map((errType) => {
      const q = r.cut < 0 ? r.quote : r.quote.subarray(0, r.cut);
      const h = Buffer.alloc(8);
      h[0] = r.type ?? errType;
      h[1] = r.code;
      h.writeUInt32BE(r.word >>> 0, 4);
      return { proto: r.v6 ? 58 : 1, family: (r.v6 ? 6 : 4) as 4 | 6, bytes: Buffer.concat([h, q]) };
    });
  });
}

/** IP-in-IP (4 / 41), GRE (47) and VXLAN (UDP 4789) around an inner packet. */
function tunnelArb(inner: Arb<Buffer>): Arb<L4> {
  const ipip = inner.map((b) => ({ proto: b.length && b[0] >> 4 === 6 ? 41 : 4, family: 0 as const, bytes: b }));
  const gre = fc.record({
    flags: fc.oneof(pick([0, 0x8000, 0x2000, 0x1000, 0xb000, 0x0001]), u16),
    proto: fc.oneof(pick([0x0800, 0x86dd, 0x6558, 0x8847]), u16),
    inner,
    eth: bytes(14).map((b) => Buffer.concat([b, Buffer.alloc(14 - b.length)])),
  }).map((g) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(g.flags, 0);
    h.writeUInt16BE(g.proto, 2);
    const optLen = ((g.flags & 0x8000) ? 4 : 0) + ((g.flags & 0x2000) ? 4 : 0) + ((g.flags & 0x1000) ? 4 : 0);
    let body = g.inner;
    if (g.proto === 0x6558) {
      const eth = Buffer.from(g.eth);
      eth.writeUInt16BE(g.inner.length && g.inner[0] >> 4 === 6 ? 0x86dd : 0x0800, 12);
      body = Buffer.concat([eth, g.inner]);
    } else if (g.proto === 0x8847) {
      body = Buffer.concat([Buffer.from([0, 0x10, 0x01, 64]), g.inner]);
    }
    return { proto: 47, family: 0 as const, bytes: Buffer.concat([h, Buffer.alloc(optLen), body]) };
  });
  const vxlan = fc.record({ inner, flags: fc.oneof(fc.constant(0x08), u8), dport: fc.oneof({ weight: 4, arbitrary: fc.constant(4789) }, { weight: 1, arbitrary: u16 }) }).map((v) => {
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(49152, 0);
    udp.writeUInt16BE(v.dport, 2);
    const vx = Buffer.alloc(8);
    vx[0] = v.flags;
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(v.inner.length && v.inner[0] >> 4 === 6 ? 0x86dd : 0x0800, 12);
    const body = Buffer.concat([udp, vx, eth, v.inner]);
    body.writeUInt16BE(body.length & 0xffff, 4);
    return { proto: 17, family: 0 as const, bytes: body };
  });
  return fc.oneof(ipip, gre, vxlan);
}

// ---------------------------------------------------------------------------
// IPv4 / IPv6
// ---------------------------------------------------------------------------

function ipv4(l4: L4, f: {
  version: number | null; ihl: number | null; totalLength: number | null; frag: number | null; ttl: number;
  proto: number | null; src: string; dst: string; options: Buffer; id: number;
}): Buffer {
  const opts = f.options.subarray(0, 40);
  const padded = opts.length % 4 === 0 ? opts : Buffer.concat([opts, Buffer.alloc(4 - (opts.length % 4))]);
  const h = Buffer.alloc(20);
  const ihl = f.ihl ?? (20 + padded.length) / 4;
  h[0] = ((f.version ?? 4) << 4) | (ihl & 15);
  h.writeUInt16BE(f.totalLength ?? Math.min(0xffff, 20 + padded.length + l4.bytes.length), 2);
  h.writeUInt16BE(f.id, 4);
  h.writeUInt16BE(f.frag ?? 0x4000, 6);
  h[8] = f.ttl;
  h[9] = f.proto ?? l4.proto;
  v4Bytes(f.src).copy(h, 12);
  v4Bytes(f.dst).copy(h, 16);
  return Buffer.concat([h, padded, l4.bytes]);
}

/** One IPv6 extension header as generated: its type, its length byte (or null: right), body units. */
interface Ext {
  type: number;
  lenByte: number | null;
  units: number;
  fragWord: number;
}

const EXT_TYPES = [0, 43, 44, 51, 60, 135, 139, 140];

const extArb: Arb<Ext> = fc.record({
  type: fc.oneof({ weight: 6, arbitrary: pick(EXT_TYPES) }, { weight: 1, arbitrary: u8 }),
  lenByte: mostly(0, u8),
  units: fc.integer({ min: 0, max: 3 }),
  fragWord: fc.oneof(pick([0, 1, 0x0008, 0x0009, 0xfff8]), u16),
});

/** A chain that loops: the same header types over and over, past the decoder's limit of 16. */
const loopChainArb: Arb<Ext[]> = fc.record({
  cycle: fc.array(extArb, { minLength: 1, maxLength: 3 }),
  times: fc.integer({ min: 5, max: 30 }),
}).map(({ cycle, times }) => {
  const out: Ext[] = [];
  for (let i = 0; i < times; i++) out.push(...cycle);
  return out;
});

function ipv6(l4: L4, f: {
  version: number | null; flowLabel: number; payloadLength: number | null; hop: number; src: string; dst: string;
  chain: Ext[]; finalNext: number | null;
}): Buffer {
  const parts: Buffer[] = [];
  const last = f.finalNext ?? l4.proto;
  f.chain.forEach((e, i) => {
    const next = i + 1 < f.chain.length ? f.chain[i + 1]!.type : last;
    let b: Buffer;
    if (e.type === 44) {
      b = Buffer.alloc(8);
      b.writeUInt16BE(e.fragWord, 2);
      b.writeUInt32BE(0x1234, 4);
      if (e.lenByte !== null) b[1] = e.lenByte;
    } else if (e.type === 51) {
      b = Buffer.alloc(8 + 4 * e.units * 2);
      b[1] = e.lenByte ?? b.length / 4 - 2;
    } else {
      b = Buffer.alloc(8 * (e.units + 1));
      b[1] = e.lenByte ?? e.units;
    }
    b[0] = next;
    parts.push(b);
  });
  const rest = Buffer.concat([...parts, l4.bytes]);
  const h = Buffer.alloc(40);
  h.writeUInt32BE((((f.version ?? 6) & 15) * 0x10000000 + (f.flowLabel & 0xfffff)) >>> 0, 0);
  h.writeUInt16BE(f.payloadLength ?? Math.min(0xffff, rest.length), 4);
  h[6] = f.chain.length ? f.chain[0]!.type : last;
  h[7] = f.hop;
  v6Bytes(f.src).copy(h, 8);
  v6Bytes(f.dst).copy(h, 24);
  return Buffer.concat([h, rest]);
}

const ttlArb = fc.oneof(pick([64, 63, 62, 128, 255, 254, 1, 0]), u8);

function ipOver(l4: Arb<L4>): Arb<Buffer> {
  const v4 = fc.record({
    l4,
    version: mostly(4, fc.integer({ min: 0, max: 15 })),
    ihl: mostly(5, fc.integer({ min: 0, max: 15 })),
    totalLength: mostly(0, fc.oneof(fc.constant(0), u16)),
    frag: mostly(0x4000, fc.oneof(pick([0x2000, 0x0001, 0x2001, 0x1fff]), u16)),
    ttl: ttlArb,
    proto: mostly(6, fc.oneof(pick([6, 1, 58, 4, 41, 47, 17]), u8)),
    src: pick(V4),
    dst: pick(V4),
    options: fc.oneof({ weight: 4, arbitrary: fc.constant(Buffer.alloc(0)) }, { weight: 1, arbitrary: bytes(40) }),
    id: u16,
  }).map((r) => ipv4(r.l4, r));
  const v6 = fc.record({
    l4,
    version: mostly(6, fc.integer({ min: 0, max: 15 })),
    flowLabel: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xfffff })),
    payloadLength: mostly(0, fc.oneof(fc.constant(0), u16)),
    hop: ttlArb,
    src: pick(V6),
    dst: pick(V6),
    chain: fc.oneof({ weight: 4, arbitrary: fc.constant<Ext[]>([]) }, { weight: 2, arbitrary: fc.array(extArb, { maxLength: 6 }) }, { weight: 1, arbitrary: loopChainArb }),
    finalNext: mostly(6, fc.oneof(pick([6, 58, 59, 0, 44]), u8)),
  }).map((r) => ipv6(r.l4, r));
  return fc.oneof(v4, v6);
}

/**
 * IP packets: TCP most of the time, ICMP errors quoting IP packets (that may themselves be ICMP
 * errors), tunnels nested up to six deep (the decoder stops at four), and junk payloads.
 */
export const ipPacketArb: Arb<Buffer> = fc.letrec<{ ip: Buffer; l4: L4 }>((tie) => ({
  ip: ipOver(tie('l4') as Arb<L4>),
  l4: fc.oneof(
    { maxDepth: 6, depthIdentifier: 'ip-nesting' },
    { weight: 6, arbitrary: tcpArb },
    { weight: 1, arbitrary: rawL4Arb },
    { weight: 2, arbitrary: icmpArb(tie('ip') as Arb<Buffer>) },
    { weight: 1, arbitrary: tunnelArb(tie('ip') as Arb<Buffer>) },
  ),
})).ip;

// ---------------------------------------------------------------------------
// link layers
// ---------------------------------------------------------------------------

export const LINK_TYPES = [0, 1, 9, 12, 14, 50, 51, 101, 108, 113, 228, 229, 239, 276] as const;

function etherTypeOf(ip: Buffer): number {
  return ip.length && ip[0] >> 4 === 6 ? 0x86dd : 0x0800;
}

const tagsArb: Arb<Array<{ tpid: number; tci: number }>> = fc.array(fc.record({ tpid: pick([0x8100, 0x88a8, 0x9100]), tci: u16 }), { maxLength: 10 });
const mplsArb: Arb<Array<{ label: number; bos: boolean }>> = fc.array(fc.record({ label: fc.integer({ min: 0, max: 0xfffff }), bos: fc.boolean() }), { maxLength: 20 });

function ethernetArb(ip: Arb<Buffer>): Arb<Buffer> {
  return fc.record({ ip, tags: fc.oneof({ weight: 3, arbitrary: fc.constant<Array<{ tpid: number; tci: number }>>([]) }, { weight: 1, arbitrary: tagsArb }), mpls: fc.oneof({ weight: 3, arbitrary: fc.constant<Array<{ label: number; bos: boolean }>>([]) }, { weight: 1, arbitrary: mplsArb }), type: mostly(0, fc.oneof(pick([0x0806, 0x8864, 0x05dc, 0x8847]), u16)), pppoe: fc.boolean() })
    .map((e) => {
      const macs = Buffer.from([0, 0, 0x5e, 0, 0x53, 2, 0, 0, 0x5e, 0, 0x53, 1]);
      const parts: Buffer[] = [macs];
      for (const t of e.tags) {
        const b = Buffer.alloc(4);
        b.writeUInt16BE(t.tpid, 0);
        b.writeUInt16BE(t.tci, 2);
        parts.push(b);
      }
      const type = Buffer.alloc(2);
      const inner = e.mpls.length ? 0x8847 : e.pppoe ? 0x8864 : etherTypeOf(e.ip);
      type.writeUInt16BE(e.type ?? inner, 0);
      parts.push(type);
      e.mpls.forEach((m, i) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE((((m.label << 12) | ((m.bos || i === e.mpls.length - 1 ? 1 : 0) << 8) | 64) >>> 0), 0);
        parts.push(b);
      });
      if (!e.mpls.length && e.pppoe) {
        parts.push(Buffer.from([0x11, 0, 0, 1, 0, 0]), Buffer.from([0, etherTypeOf(e.ip) === 0x0800 ? 0x21 : 0x57]));
      }
      parts.push(e.ip);
      return Buffer.concat(parts);
    });
}

/** A frame of link type `lt` around a generated IP packet (or, sometimes, junk). */
export function frameArb(lt: number, ip: Arb<Buffer> = ipPacketArb): Arb<Buffer> {
  let framed: Arb<Buffer>;
  switch (lt) {
    case 1: framed = ethernetArb(ip); break;
    case 113: framed = fc.record({ ip, proto: mostly(0, u16) }).map((r) => {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(1, 2);
      h.writeUInt16BE(6, 4);
      h.writeUInt16BE(r.proto ?? etherTypeOf(r.ip), 14);
      return Buffer.concat([h, r.ip]);
    }); break;
    case 276: framed = fc.record({ ip, proto: mostly(0, u16), ifindex: fc.oneof(pick([1, 2, 3]), u32) }).map((r) => {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(r.proto ?? etherTypeOf(r.ip), 0);
      h.writeUInt32BE(r.ifindex >>> 0, 4);
      h.writeUInt16BE(1, 8);
      h[11] = 6;
      return Buffer.concat([h, r.ip]);
    }); break;
    case 0: case 108: framed = fc.record({ ip, fam: mostly(0, fc.oneof(pick([2, 10, 24, 28, 30, 0x02000000]), u32)), le: fc.boolean() }).map((r) => {
      const h = Buffer.alloc(4);
      const fam = r.fam ?? (etherTypeOf(r.ip) === 0x0800 ? 2 : 28);
      if (lt === 0 && r.le) h.writeUInt32LE(fam >>> 0, 0);
      else h.writeUInt32BE(fam >>> 0, 0);
      return Buffer.concat([h, r.ip]);
    }); break;
    case 9: case 50: case 51: framed = fc.record({ ip, proto: mostly(0, fc.oneof(pick([0x21, 0x57, 0xc021]), u16)), compressed: fc.boolean() }).map((r) => {
      const proto = r.proto ?? (etherTypeOf(r.ip) === 0x0800 ? 0x21 : 0x57);
      const p = r.compressed && proto < 0x100 && (proto & 1) ? Buffer.from([proto]) : Buffer.from([proto >> 8, proto & 0xff]);
      const pre = lt === 50 ? Buffer.from([0xff, 0x03]) : lt === 51 ? Buffer.from([0x11, 0, 0, 1, 0, 0]) : Buffer.alloc(0);
      return Buffer.concat([pre, p, r.ip]);
    }); break;
    case 239: framed = fc.record({ ip, family: fc.oneof(pick([2, 10]), u8), tlvs: fc.array(fc.record({ len: fc.oneof(fc.integer({ min: 0, max: 12 }), u16), type: u16 }), { maxLength: 4 }) }).map((r) => {
      const parts: Buffer[] = [Buffer.from([r.family, 0, 0, 0])];
      for (const t of r.tlvs) {
        const b = Buffer.alloc(Math.max(4, Math.min(t.len, 12) + 3 & ~3));
        b.writeUInt16LE(t.len, 0);
        b.writeUInt16LE(t.type, 2);
        parts.push(b);
      }
      const h = Buffer.alloc(4);
      h.writeUInt16LE(4 + r.ip.length & 0xffff, 0);
      h.writeUInt16LE(9, 2);
      parts.push(h, r.ip);
      return Buffer.concat(parts);
    }); break;
    default: framed = ip; // raw IP: 12, 14, 101, 228, 229, and unknown link types
  }
  return fc.oneof({ weight: 8, arbitrary: framed }, { weight: 1, arbitrary: bytes(80) });
}

// ---------------------------------------------------------------------------
// classic pcap
// ---------------------------------------------------------------------------

export const BASE_SEC = 1_773_480_413; // 2026-03-14T09:26:53Z, as the crafted fixtures

export interface PcapRecordSpec {
  dt: number;
  frac: number | null;
  caplen: number | null;
  origLen: number | null;
  data: Buffer;
}

export interface PcapSpec {
  magic: number;
  bigEndian: boolean;
  major: number;
  minor: number;
  snaplen: number;
  linkField: number;
  records: PcapRecordSpec[];
}

const linkTypeArb: Arb<number> = fc.oneof({ weight: 6, arbitrary: pick(LINK_TYPES) }, { weight: 1, arbitrary: pick([105, 127, 104, 220, 147, 0xffff]) }, { weight: 1, arbitrary: u16 });

/** Time steps: mostly forward by up to a few seconds, sometimes backwards, sometimes far. */
const dtArb: Arb<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 4_000_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -5_000_000, max: 0 }) },
  { weight: 1, arbitrary: fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }) },
);

function recordArb(lt: number): Arb<PcapRecordSpec> {
  return fc.record({
    dt: dtArb,
    frac: mostly(0, fc.oneof(pick([999_999, 1_000_000, 999_999_999, 1_000_000_000, 0xffffffff]), u32)),
    caplen: mostly(0, fc.oneof(pick([0, 1, 0xffff, 262144, 262145, 0x7fffffff, 0xffffffff]), fc.integer({ min: 0, max: 300 }), u32)),
    origLen: mostly(0, fc.oneof(fc.constant(0), u32)),
    data: frameArb(lt),
  });
}

export const pcapSpecArb: Arb<PcapSpec> = fc.record({
  magic: pick([0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34]),
  bigEndian: fc.boolean(),
  major: fc.oneof({ weight: 6, arbitrary: fc.constant(2) }, { weight: 1, arbitrary: u16 }),
  minor: fc.oneof({ weight: 6, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: u16 }),
  snaplen: fc.oneof(pick([262144, 65535, 0, 54, 40, 1]), u32),
  // The top bits may carry an FCS length (0x1 << 28 = "FCS present", then its length); or junk.
  linkField: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: pick([0x10000000, 0x14000000, 0xffff0000]) }, { weight: 1, arbitrary: u32 }),
  lt: linkTypeArb,
}).chain((h) => fc.array(recordArb(h.lt & 0xffff), { maxLength: 14 }).map((records): PcapSpec => ({
  magic: h.magic, bigEndian: h.bigEndian, major: h.major, minor: h.minor, snaplen: h.snaplen,
  linkField: ((h.linkField & 0xffff0000) | (h.lt & 0xffff)) >>> 0, records,
})));

export function buildPcap(s: PcapSpec): Buffer {
  const be = s.bigEndian;
  const w32 = (b: Buffer, off: number, v: number) => (be ? b.writeUInt32BE(v >>> 0, off) : b.writeUInt32LE(v >>> 0, off));
  const w16 = (b: Buffer, off: number, v: number) => (be ? b.writeUInt16BE(v, off) : b.writeUInt16LE(v, off));
  const h = Buffer.alloc(24);
  w32(h, 0, s.magic);
  w16(h, 4, s.major);
  w16(h, 6, s.minor);
  w32(h, 16, s.snaplen);
  w32(h, 20, s.linkField);
  const parts: Buffer[] = [h];
  const recHdr = s.magic === 0xa1b2cd34 ? 24 : 16;
  let t = BASE_SEC * 1_000_000;
  for (const r of s.records) {
    t = Math.max(0, t + r.dt);
    const sec = Math.floor(t / 1e6) % 0x100000000;
    const usec = t % 1_000_000;
    const rh = Buffer.alloc(recHdr);
    w32(rh, 0, sec);
    w32(rh, 4, r.frac ?? (s.magic === 0xa1b23c4d ? usec * 1000 : usec));
    w32(rh, 8, r.caplen ?? r.data.length);
    w32(rh, 12, r.origLen ?? r.data.length);
    parts.push(rh, r.data);
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------

/** How a block's length fields are written. */
type LenMode = 'ok' | 'trailing' | 'leading' | 'unaligned' | 'tiny' | 'huge' | 'random';

interface OptionSpec {
  code: number;
  value: Buffer;
  /** The option's length field, or null for the true length. */
  len: number | null;
}

export interface BlockSpec {
  type: number;
  body: Buffer;
  lenMode: LenMode;
  randomLen: number;
}

export interface SectionSpec {
  bigEndian: boolean;
  magicOk: boolean;
  major: number;
  shbOptions: OptionSpec[];
  shbLenMode: LenMode;
  blocks: BlockSpec[];
}

const lenModeArb: Arb<LenMode> = fc.oneof(
  { weight: 20, arbitrary: fc.constant<LenMode>('ok') },
  { weight: 1, arbitrary: pick<LenMode>(['trailing', 'leading', 'unaligned', 'tiny', 'huge', 'random']) },
);

function optionsArb(codes: number[]): Arb<OptionSpec[]> {
  return fc.array(fc.record({
    code: fc.oneof({ weight: 4, arbitrary: pick(codes) }, { weight: 1, arbitrary: u16 }),
    value: bytes(12),
    len: mostly(0, fc.oneof(pick([0, 1, 8, 0xffff]), u16)),
  }), { maxLength: 4 }).chain((opts) => fc.boolean().map((end) => (end ? [...opts, { code: 0, value: Buffer.alloc(0), len: null }] : opts)));
}

function encodeOptions(opts: OptionSpec[], be: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const o of opts) {
    const h = Buffer.alloc(4);
    if (be) { h.writeUInt16BE(o.code, 0); h.writeUInt16BE(o.len ?? o.value.length, 2); } else { h.writeUInt16LE(o.code, 0); h.writeUInt16LE(o.len ?? o.value.length, 2); }
    const pad = (4 - (o.value.length % 4)) % 4;
    parts.push(h, o.value, Buffer.alloc(pad));
  }
  return Buffer.concat(parts);
}

/** Block bodies are built for one byte order at serialisation time. */
type BodyFn = (be: boolean) => Buffer;

function w(be: boolean, size: number, ...fields: Array<[number, 16 | 32, number]>): Buffer {
  const b = Buffer.alloc(size);
  for (const [off, bits, v] of fields) {
    if (bits === 16) (be ? b.writeUInt16BE(v & 0xffff, off) : b.writeUInt16LE(v & 0xffff, off));
    else (be ? b.writeUInt32BE(v >>> 0, off) : b.writeUInt32LE(v >>> 0, off));
  }
  return b;
}

const tsresolArb = fc.oneof({ weight: 4, arbitrary: pick([6, 9, 3, 0]) }, { weight: 1, arbitrary: pick([0x80 | 20, 0x80 | 0, 0x80 | 63, 0xff, 10, 19, 127]) }, { weight: 1, arbitrary: u8 });
const tsoffsetArb = fc.oneof(pick([0n, 1n, -1n, 1_000_000_000n, -(2n ** 63n), 2n ** 63n - 1n]), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));

function idbArb(): Arb<{ lt: number; body: BodyFn }> {
  return fc.record({
    lt: linkTypeArb,
    snaplen: fc.oneof(pick([262144, 0, 54, 65535]), u32),
    tsresol: fc.option(tsresolArb, { freq: 2, nil: null }),
    tsoffset: fc.option(tsoffsetArb, { freq: 3, nil: null }),
    name: fc.option(fc.constantFrom('eth0', 'any', 'lo'), { nil: null }),
    extra: optionsArb([2, 9, 14, 3, 4, 1]),
  }).map((i) => ({
    lt: i.lt,
    body: (be: boolean) => {
      const opts: OptionSpec[] = [];
      if (i.name !== null) opts.push({ code: 2, value: Buffer.from(i.name), len: null });
      if (i.tsresol !== null) opts.push({ code: 9, value: Buffer.from([i.tsresol]), len: null });
      if (i.tsoffset !== null) {
        const v = Buffer.alloc(8);
        if (be) v.writeBigInt64BE(i.tsoffset); else v.writeBigInt64LE(i.tsoffset);
        opts.push({ code: 14, value: v, len: null });
      }
      opts.push(...i.extra);
      return Buffer.concat([w(be, 8, [0, 16, i.lt], [4, 32, i.snaplen]), encodeOptions(opts, be)]);
    },
  }));
}

function packetBlocksArb(lt: number): Arb<{ type: number; body: BodyFn }> {
  const epb = fc.record({
    ifid: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: pick([1, 2, 0xffff, 0xffffffff]) }),
    hi: fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: u32 }),
    lo: u32,
    caplen: mostly(0, fc.oneof(pick([0, 0xffffffff, 0x7fffffff, 16 * 1024 * 1024]), u32, fc.integer({ min: 0, max: 300 }))),
    origLen: mostly(0, u32),
    data: frameArb(lt),
    opts: fc.oneof({ weight: 4, arbitrary: fc.constant<OptionSpec[]>([]) }, { weight: 1, arbitrary: optionsArb([1, 2, 3, 4, 5, 6, 7]) }),
    obsolete: fc.boolean(),
  }).map((e) => ({
    type: e.obsolete ? 2 : 6,
    body: (be: boolean) => {
      // Microsecond timestamps near BASE_SEC unless a random high word was drawn.
      const units = BigInt(BASE_SEC) * 1_000_000n + BigInt(e.lo % 1_000_000_000);
      const hi = e.hi >= 0 ? e.hi : Number(units >> 32n);
      const lo = e.hi >= 0 ? e.lo : Number(units & 0xffffffffn);
      const fixed = e.obsolete
        ? w(be, 20, [0, 16, e.ifid], [2, 16, 0xffff], [4, 32, hi], [8, 32, lo], [12, 32, e.caplen ?? e.data.length], [16, 32, e.origLen ?? e.data.length])
        : w(be, 20, [0, 32, e.ifid], [4, 32, hi], [8, 32, lo], [12, 32, e.caplen ?? e.data.length], [16, 32, e.origLen ?? e.data.length]);
      const pad = Buffer.alloc((4 - (e.data.length % 4)) % 4);
      return Buffer.concat([fixed, e.data, pad, encodeOptions(e.opts, be)]);
    },
  }));
  const spb = fc.record({ data: frameArb(lt), origLen: mostly(0, u32) }).map((s) => ({
    type: 3,
    body: (be: boolean) => Buffer.concat([w(be, 4, [0, 32, s.origLen ?? s.data.length]), s.data, Buffer.alloc((4 - (s.data.length % 4)) % 4)]),
  }));
  const isb = fc.record({ ifid: fc.oneof(fc.constant(0), u32), hi: u32, lo: u32, opts: optionsArb([2, 3, 4, 5, 6, 7, 8]) }).map((s) => ({
    type: 5,
    body: (be: boolean) => Buffer.concat([w(be, 12, [0, 32, s.ifid], [4, 32, s.hi], [8, 32, s.lo]), encodeOptions(s.opts, be)]),
  }));
  const other = fc.record({ type: fc.oneof(pick([4, 10, 0x0bad, 0x40000bad, 7, 8]), u32), body: bytes(32) }).map((o) => ({
    type: o.type,
    body: () => Buffer.concat([o.body, Buffer.alloc((4 - (o.body.length % 4)) % 4)]),
  }));
  return fc.oneof({ weight: 8, arbitrary: epb }, { weight: 1, arbitrary: spb }, { weight: 1, arbitrary: isb }, { weight: 1, arbitrary: other });
}

export interface PcapngSpec {
  sections: Array<{ bigEndian: boolean; magicOk: boolean; major: number; shbOptions: OptionSpec[]; shbLen: LenMode; randomLen: number; blocks: Array<{ type: number; body: BodyFn; lenMode: LenMode; randomLen: number }> }>;
}

const sectionArb = fc.record({
  bigEndian: fc.boolean(),
  magicOk: fc.oneof({ weight: 12, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  major: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: u16 }),
  shbOptions: fc.oneof({ weight: 3, arbitrary: fc.constant<OptionSpec[]>([]) }, { weight: 1, arbitrary: optionsArb([2, 3, 4, 1]) }),
  shbLen: lenModeArb,
  randomLen: u32,
  idbs: fc.array(idbArb(), { minLength: 0, maxLength: 3 }),
}).chain((s) => {
  const lt = s.idbs[0]?.lt ?? 1;
  return fc.array(fc.record({ b: packetBlocksArb(lt), lenMode: lenModeArb, randomLen: u32 }), { maxLength: 12 }).chain((pkts) =>
    fc.array(fc.record({ lenMode: lenModeArb, randomLen: u32 }), { minLength: s.idbs.length, maxLength: s.idbs.length }).map((idbLens) => ({
      bigEndian: s.bigEndian, magicOk: s.magicOk, major: s.major, shbOptions: s.shbOptions, shbLen: s.shbLen, randomLen: s.randomLen,
      blocks: [
        ...s.idbs.map((i, k) => ({ type: 1, body: i.body, lenMode: idbLens[k]!.lenMode, randomLen: idbLens[k]!.randomLen })),
        ...pkts.map((p) => ({ type: p.b.type, body: p.b.body, lenMode: p.lenMode, randomLen: p.randomLen })),
      ],
    })));
});

export const pcapngSpecArb: Arb<PcapngSpec> = fc.array(sectionArb, { minLength: 1, maxLength: 3 }).map((sections) => ({ sections }));

function block(type: number, body: Buffer, be: boolean, mode: LenMode, randomLen: number): Buffer {
  const total = body.length + 12;
  let lead = total;
  let trail = total;
  switch (mode) {
    case 'trailing': trail = total + 4; break;
    case 'leading': lead = total + 4; break;
    case 'unaligned': lead = trail = total + 1; break;
    case 'tiny': lead = trail = 8; break;
    case 'huge': lead = trail = 0x7ffffffc; break;
    case 'random': lead = trail = randomLen; break;
    default: break;
  }
  return Buffer.concat([w(be, 8, [0, 32, type], [4, 32, lead]), body, w(be, 4, [0, 32, trail])]);
}

export function buildPcapng(s: PcapngSpec): Buffer {
  const parts: Buffer[] = [];
  for (const sec of s.sections) {
    const be = sec.bigEndian;
    const shb = Buffer.concat([
      w(be, 4, [0, 32, sec.magicOk ? 0x1a2b3c4d : 0x4d3c2b1b]),
      w(be, 4, [0, 16, sec.major], [2, 16, 0]),
      Buffer.alloc(8, 0xff),
      encodeOptions(sec.shbOptions, be),
    ]);
    // The SHB type reads the same in both byte orders; its lengths follow the section's order.
    parts.push(block(0x0a0d0d0a, shb, be, sec.shbLen, sec.randomLen));
    for (const b of sec.blocks) parts.push(block(b.type, b.body(be), be, b.lenMode, b.randomLen));
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------
// whole inputs
// ---------------------------------------------------------------------------

/** Sometimes gzip the capture, and sometimes cut the gzip stream short. */
export function maybeGzip(inner: Arb<Buffer>): Arb<Buffer> {
  return fc.record({ b: inner, gz: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) }), cut: fc.nat() })
    .map(({ b, gz, cut }) => {
      if (gz === 0) return b;
      const z = gzipSync(b);
      return gz === 1 ? z : z.subarray(0, cut % (z.length + 1));
    });
}

export const pcapFileArb: Arb<Buffer> = maybeGzip(pcapSpecArb.map(buildPcap));
export const pcapngFileArb: Arb<Buffer> = maybeGzip(pcapngSpecArb.map(buildPcapng));

// ---------------------------------------------------------------------------
// conversations: handshakes the engine can follow, with hostile answers mixed in
// ---------------------------------------------------------------------------

interface Flow { v6: boolean; cli: number; srv: number; cport: number; sport: number; isn: number; sisn: number }

const flowArb: Arb<Flow> = fc.record({
  v6: fc.boolean(),
  cli: fc.nat({ max: 1 }),
  srv: fc.nat({ max: 1 }),
  cport: pick([40000, 40001, 40002]),
  sport: pick([80, 8081]),
  isn: fc.oneof(pick([1000, 0xffffffff, 0]), u32),
  sisn: fc.oneof(pick([5000, 0xfffffffe]), u32),
});

const EVENTS = ['syn', 'syn', 'synack', 'synack', 'ack', 'rst', 'rst-blind', 'cli-rst', 'data', 'fin', 'icmp', 'icmp-icmp', 'syn-rst', 'syn-fin', 'dup'] as const;
type EventKind = (typeof EVENTS)[number];

interface Event { flow: number; kind: EventKind; ttl: number; right: boolean; seq: number; ack: number; code: number; dt: number; quote: number }

const eventArb: Arb<Event> = fc.record({
  flow: fc.nat({ max: 3 }),
  kind: pick(EVENTS),
  ttl: fc.oneof({ weight: 4, arbitrary: pick([64, 63, 128]) }, { weight: 1, arbitrary: u8 }),
  right: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  seq: u32,
  ack: u32,
  code: fc.oneof(pick([0, 1, 3, 4, 10, 13]), u8),
  dt: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 1_500_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000_000, max: 12_000_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: -3_000_000, max: 0 }) },
  ),
  quote: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: pick([8, 20, 28, 40, 48]) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 80 }) }),
});

function tcpBytes(sport: number, dport: number, seq: number, ack: number, flags: number, payload = 0, options = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = ((20 + options.length) / 4) << 4;
  h[13] = flags;
  h.writeUInt16BE(64240, 14);
  return Buffer.concat([h, options, Buffer.alloc(payload, 0x61)]);
}

function cleanIp(v6: boolean, src: string, dst: string, l4: L4, ttl: number): Buffer {
  return v6
    ? ipv6(l4, { version: null, flowLabel: 0x12345, payloadLength: null, hop: ttl, src, dst, chain: [], finalNext: null })
    : ipv4(l4, { version: null, ihl: null, totalLength: null, frag: null, ttl, proto: null, src, dst, options: Buffer.alloc(0), id: 1 });
}

const MSS = Buffer.from([2, 4, 5, 0xb4]);

/** The IP packets of a conversation: attempts and (often hostile) answers, in capture order. */
function conversation(flows: Flow[], events: Event[]): Array<{ dt: number; ip: Buffer }> {
  const out: Array<{ dt: number; ip: Buffer }> = [];
  let last: Buffer | null = null;
  for (const e of events) {
    const f = flows[e.flow % flows.length]!;
    const pool = f.v6 ? V6 : V4;
    const c = pool[f.cli]!;
    const srv = pool[2 + f.srv]!;
    const router = f.v6 ? V6[3]! : V4[4]!;
    const tcp = (fromClient: boolean, seq: number, ack: number, flags: number, payload = 0, opts = Buffer.alloc(0)): L4 => ({
      proto: 6, family: 0, bytes: fromClient ? tcpBytes(f.cport, f.sport, seq, ack, flags, payload, opts) : tcpBytes(f.sport, f.cport, seq, ack, flags, payload, opts),
    });
    const fromClient = (l4: L4) => cleanIp(f.v6, c, srv, l4, 64);
    const fromServer = (l4: L4) => cleanIp(f.v6, srv, c, l4, e.ttl);
    const isn1 = (f.isn + 1) >>> 0;
    let ip: Buffer;
    switch (e.kind) {
      case 'syn': ip = fromClient(tcp(true, f.isn, 0, 0x02, 0, MSS)); break;
      case 'syn-rst': ip = fromClient(tcp(true, f.isn, 0, 0x06)); break;
      case 'syn-fin': ip = fromClient(tcp(true, f.isn, 0, 0x03)); break;
      case 'synack': ip = fromServer(tcp(false, f.sisn, e.right ? isn1 : e.ack, 0x12, 0, MSS)); break;
      case 'ack': ip = fromClient(tcp(true, isn1, e.right ? (f.sisn + 1) >>> 0 : e.ack, 0x10)); break;
      case 'data': ip = fromClient(tcp(true, isn1, (f.sisn + 1) >>> 0, 0x18, 20)); break;
      case 'fin': ip = fromServer(tcp(false, (f.sisn + 1) >>> 0, isn1, 0x11)); break;
      case 'rst': ip = fromServer(tcp(false, 0, e.right ? isn1 : e.ack, 0x14)); break;
      case 'rst-blind': ip = fromServer(tcp(false, e.seq, e.ack, e.right ? 0x04 : 0x14)); break;
      case 'cli-rst': ip = fromClient(tcp(true, isn1, 0, 0x04)); break;
      case 'icmp': case 'icmp-icmp': {
        let quoted = fromClient(tcp(true, e.right ? f.isn : e.seq, 0, 0x02, 0, MSS));
        if (e.kind === 'icmp-icmp') {
          // an error quoting an error that quotes the SYN
          const inner: L4 = { proto: f.v6 ? 58 : 1, family: f.v6 ? 6 : 4, bytes: Buffer.concat([Buffer.from([f.v6 ? 1 : 3, e.code, 0, 0, 0, 0, 0, 0]), quoted]) };
          quoted = cleanIp(f.v6, router, c, inner, 64);
        }
        if (e.quote >= 0) quoted = quoted.subarray(0, e.quote);
        const h = Buffer.from([f.v6 ? 1 : 3, e.code, 0, 0, 0, 0, 0, 0]);
        ip = cleanIp(f.v6, e.right ? srv : router, c, { proto: f.v6 ? 58 : 1, family: f.v6 ? 6 : 4, bytes: Buffer.concat([h, quoted]) }, e.ttl);
        break;
      }
      case 'dup': ip = last ?? fromClient(tcp(true, f.isn, 0, 0x02)); break;
    }
    out.push({ dt: e.kind === 'dup' ? 0 : e.dt, ip });
    last = ip;
  }
  return out;
}

/** Typical exchanges, so that every verdict comes up; their events keep random answers. */
const SCRIPTS: EventKind[][] = [
  ['syn', 'synack', 'ack', 'data', 'fin'],
  ['syn', 'rst'],
  ['syn', 'icmp'],
  ['syn', 'syn', 'syn'],
  ['syn', 'rst-blind', 'rst-blind', 'rst-blind', 'rst-blind', 'rst'],
  ['syn', 'synack', 'cli-rst'],
  ['syn', 'synack', 'synack', 'ack'],
  ['syn', 'icmp-icmp', 'syn'],
  ['syn-rst', 'syn-fin', 'synack'],
  ['syn', 'dup', 'synack', 'dup', 'ack', 'dup'],
];

const scriptedArb: Arb<Event[]> = fc.array(fc.record({
  flow: fc.nat({ max: 3 }),
  script: fc.nat({ max: SCRIPTS.length - 1 }),
  events: fc.array(eventArb, { minLength: 6, maxLength: 6 }),
}), { minLength: 1, maxLength: 5 }).map((xs) => xs.flatMap((x) => SCRIPTS[x.script]!.map((kind, i) => ({ ...x.events[i]!, flow: x.flow, kind }))));

export const conversationArb: Arb<Array<{ dt: number; ip: Buffer }>> = fc.record({
  flows: fc.array(flowArb, { minLength: 1, maxLength: 4 }),
  events: fc.oneof(scriptedArb, fc.array(eventArb, { minLength: 1, maxLength: 40 })),
  // chaotic packets mixed in, at positions given as fractions
  chaos: fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), ip: ipPacketArb }), { maxLength: 3 }),
}).map(({ flows, events, chaos }) => {
  const pkts = conversation(flows, events);
  for (const c of chaos) pkts.splice(Math.floor(c.at * pkts.length), 0, { dt: 1000, ip: c.ip });
  return pkts;
});

/**
 * A pcap of conversations (and some chaos) behind one of the link types synscope decodes: the
 * decoder and the handshake engine get all of it.
 */
export const packetCaptureArb: Arb<Buffer> = fc.record({ lt: pick(LINK_TYPES), convo: conversationArb }).chain(({ lt, convo }) =>
  fc.tuple(...convo.map((p) => frameArb(lt, fc.constant(p.ip)))).map((frames) => buildPcap({
    magic: 0xa1b2c3d4, bigEndian: false, major: 2, minor: 4, snaplen: 262144, linkField: lt,
    records: convo.map((p, i) => ({ dt: p.dt, frac: null, caplen: null, origLen: null, data: frames[i]! })),
  })));

// ---------------------------------------------------------------------------
// mutations of existing captures
// ---------------------------------------------------------------------------

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u16' | 'u32'; field: number; le: boolean; value: number }
  | { kind: 'delete' | 'duplicate'; at: number; len: number };

const INTERESTING_32 = [0, 1, 4, 11, 12, 13, 16, 20, 28, 32, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc, 262144, 262145, 16 * 1024 * 1024, 16 * 1024 * 1024 + 4, 0x0a0d0d0a, 0x1a2b3c4d, 0xa1b2c3d4];
const INTERESTING_16 = [0, 1, 4, 5, 6, 8, 9, 14, 0x7fff, 0x8000, 0xffff, 0x0800, 0x86dd, 0x8100, 0x8847];
const INTERESTING_8 = [0, 0x45, 0x4f, 0x40, 0x41, 0x60, 0xf0, 0xff, 0x7f, 0x80, 0x00, 6, 1, 58, 43, 44, 51, 60, 59, 4, 41, 47, 17, 0x02, 0x12, 0x14];

export const mutationArb: Arb<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(pick(INTERESTING_8), u8) }),
  // `field` indexes the fixture's list of length and header fields (see fieldOffsets)
  fc.record({ kind: fc.constant('u32' as const), field: fc.nat(), le: fc.boolean(), value: fc.oneof(pick(INTERESTING_32), u32) }),
  fc.record({ kind: fc.constant('u16' as const), field: fc.nat(), le: fc.boolean(), value: fc.oneof(pick(INTERESTING_16), u16) }),
  fc.record({ kind: pick(['delete', 'duplicate'] as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
);

export const mutationsArb: Arb<Mutation[]> = fc.array(mutationArb, { minLength: 1, maxLength: 6 });

/** Applies mutations to a copy; `fields` are byte offsets worth hitting (length fields, headers). */
export function applyMutations(src: Buffer, muts: Mutation[], fields: number[]): Buffer {
  let b: Buffer = Buffer.from(src);
  for (const m of muts) {
    if (b.length === 0) break;
    switch (m.kind) {
      case 'flip': b[m.at % b.length] ^= 1 << m.bit; break;
      case 'set': b[m.at % b.length] = m.value; break;
      case 'u16': case 'u32': {
        const size = m.kind === 'u16' ? 2 : 4;
        const at = fields.length ? fields[m.field % fields.length]! : m.field % b.length;
        if (at + size > b.length) break;
        if (size === 2) (m.le ? b.writeUInt16LE(m.value & 0xffff, at) : b.writeUInt16BE(m.value & 0xffff, at));
        else (m.le ? b.writeUInt32LE(m.value >>> 0, at) : b.writeUInt32BE(m.value >>> 0, at));
        break;
      }
      case 'delete': {
        const at = m.at % b.length;
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + m.len))]);
        break;
      }
      case 'duplicate': {
        const at = m.at % b.length;
        b = Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
        break;
      }
    }
  }
  return b;
}
