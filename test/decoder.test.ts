/**
 * Decoder tests on packets built with test/helpers/packets.ts: every link type, tags and labels,
 * IPv4 options and fragments, IPv6 extension headers, TCP options and padding, truncation,
 * malformed headers, ICMP/ICMPv6 quotes, tunnels, and a seeded fuzz loop that must never throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { EtherType, Layer, OptBit } from '../src/decode/constants.js';
import { Decoder, type DecodedPacket } from '../src/decode/decoder.js';
import { Stop } from '../src/decode/status.js';
import { LinkType } from '../src/model/linktypes.js';
import {
  AF_INET, AF_INET6_BSD, AF_INET6_DARWIN, AF_INET6_FREEBSD, ethernet, fragmentIpv4, fragmentIpv6, icmpv4TimeExceeded,
  icmpv4Unreachable, icmpv6Unreachable, ipTcp, ipv4, ipv4Bytes, ipv6, ipv6Bytes, nullLoop, sll, sll2, tcp, tcp4, tcp6,
  type Ipv6ExtHeader,
} from './helpers/packets.js';
import { mulberry32 } from './helpers/prng.js';

const C4 = '198.51.100.10';
const S4 = '203.0.113.20';
const R4 = '203.0.113.1';
const C6 = '2001:db8::10';
const S6 = '2001:db8:1::20';
const R6 = '2001:db8:1::1';

const OPTS = { mss: 1460, sackOk: true, ts: [123456, 0] as [number, number], wscale: 7 };
const SEQ = 0xdeadbeef;

function syn4(extra: { sport?: number; dport?: number; seq?: number; options?: typeof OPTS | undefined } = {}): Buffer {
  return ipTcp({ src: C4, dst: S4, sport: extra.sport ?? 40001, dport: extra.dport ?? 443, seq: extra.seq ?? SEQ, flags: 'S', options: 'options' in extra ? extra.options : OPTS });
}
function syn6(extra: { sport?: number; dport?: number; seq?: number } = {}): Buffer {
  return ipTcp({ src: C6, dst: S6, sport: extra.sport ?? 40002, dport: extra.dport ?? 8443, seq: extra.seq ?? SEQ, flags: 'S', options: OPTS });
}

const dec = new Decoder();

/**
 * Decodes `frame` placed at an odd offset inside a larger buffer whose bytes after `caplen` are
 * junk: the decoder must honour `off` and must not look past the captured bytes.
 */
function decode(frame: Buffer, linkType: number, caplen = frame.length, origLen = frame.length): DecodedPacket {
  const pre = 7;
  const buf = Buffer.alloc(pre + frame.length + 64, 0xee);
  frame.copy(buf, pre, 0, caplen);
  return dec.decode(buf, pre, caplen, origLen, linkType);
}

function v4(a: string): number[] {
  return [ipv4Bytes(a).readUInt32BE(0), 0, 0, 0];
}
function v6(a: string): number[] {
  const b = ipv6Bytes(a);
  return [0, 4, 8, 12].map((i) => b.readUInt32BE(i));
}
function addr(a: string): number[] {
  return a.includes(':') ? v6(a) : v4(a);
}

/** The packet is a complete, cleanly decoded TCP SYN between the given endpoints. */
function assertSyn(p: DecodedPacket, src: string, dst: string, sport: number, dport: number, seq = SEQ): void {
  assert.equal(p.status.kind, Stop.NONE, `status: ${p.status.what}`);
  assert.equal(p.ip.version, src.includes(':') ? 6 : 4);
  assert.deepEqual(Array.from(p.ip.src), addr(src));
  assert.deepEqual(Array.from(p.ip.dst), addr(dst));
  assert.equal(p.hasTcp, true);
  assert.equal(p.hasIcmp, false);
  assert.equal(p.tcp.have, 20);
  assert.equal(p.tcp.sport, sport);
  assert.equal(p.tcp.dport, dport);
  assert.equal(p.tcp.seq, seq);
  assert.equal(p.tcp.flags, 0x02);
}

// ---------------------------------------------------------------------------
// link layers
// ---------------------------------------------------------------------------

test('Ethernet + 802.1Q VLAN', () => {
  const p = decode(ethernet({ vlans: [100] }, syn4()), LinkType.ETHERNET);
  assertSyn(p, C4, S4, 40001, 443);
  assert.equal(p.net.type, EtherType.IPV4);
  assert.equal(p.net.vlanCount, 1);
  assert.equal(p.net.vlans[0], 100);
  assert.equal(p.ip.ttl, 64);
  // PCP and DEI bits are not part of the VLAN ID.
  const q = decode(ethernet({ vlans: [0xb000 | 2049] }, syn6()), LinkType.ETHERNET);
  assertSyn(q, C6, S6, 40002, 8443);
  assert.equal(q.net.vlans[0], 2049);
});

test('QinQ: 802.1ad outer tag, 802.1Q inner tag, and the pre-standard 0x9100', () => {
  const frame = ethernet({ vlans: [200, 300] }, syn6());
  assert.equal(frame.readUInt16BE(12), 0x88a8);
  const p = decode(frame, LinkType.ETHERNET);
  assertSyn(p, C6, S6, 40002, 8443);
  assert.equal(p.net.vlanCount, 2);
  assert.deepEqual([p.net.vlans[0], p.net.vlans[1]], [200, 300]);
  const old = Buffer.from(frame);
  old.writeUInt16BE(0x9100, 12);
  const q = decode(old, LinkType.ETHERNET);
  assertSyn(q, C6, S6, 40002, 8443);
  assert.equal(q.net.vlanCount, 2);
});

test('MPLS 2-label stack with IPv4 and with IPv6 (and under a VLAN)', () => {
  const p4 = decode(ethernet({ mpls: [16001, 16002] }, syn4()), LinkType.ETHERNET);
  assertSyn(p4, C4, S4, 40001, 443);
  assert.equal(p4.net.mplsCount, 2);
  assert.equal(p4.net.type, EtherType.IPV4);
  const p6 = decode(ethernet({ mpls: [16001, 16002] }, syn6()), LinkType.ETHERNET);
  assertSyn(p6, C6, S6, 40002, 8443);
  assert.equal(p6.net.mplsCount, 2);
  assert.equal(p6.net.type, EtherType.IPV6);
  const pv = decode(ethernet({ vlans: [100], mpls: [17001, 17002] }, syn6()), LinkType.ETHERNET);
  assertSyn(pv, C6, S6, 40002, 8443);
  assert.equal(pv.net.vlanCount, 1);
  assert.equal(pv.net.mplsCount, 2);
});

test('MPLS stack without bottom-of-stack and a non-IP EtherType are reported, not thrown', () => {
  const frame = Buffer.concat([ethernet({ mpls: [1, 2] }, syn4()).subarray(0, 14), Buffer.alloc(17 * 4, 0x10)]);
  const p = decode(frame, LinkType.ETHERNET);
  assert.equal(p.status.kind, Stop.MALFORMED);
  assert.equal(p.status.layer, Layer.LINK);
  assert.equal(p.ip.version, 0);
  const arp = decode(ethernet({ etherType: 0x0806 }, Buffer.alloc(28)), LinkType.ETHERNET);
  assert.equal(arp.status.kind, Stop.UNSUPPORTED);
  assert.equal(arp.net.type, 0x0806);
  assert.equal(arp.hasTcp, false);
});

test('Linux cooked v1 and v2 (SLL2 interface index)', () => {
  const p = decode(sll({ packetType: 4 }, syn4()), LinkType.LINUX_SLL);
  assertSyn(p, C4, S4, 40001, 443);
  assert.equal(p.net.ifindex, 0);
  const q = decode(sll2({ ifIndex: 3 }, syn6()), LinkType.LINUX_SLL2);
  assertSyn(q, C6, S6, 40002, 8443);
  assert.equal(q.net.ifindex, 3);
  const r = decode(sll2({ ifIndex: 0x01020304 }, syn4()), LinkType.LINUX_SLL2);
  assertSyn(r, C4, S4, 40001, 443);
  assert.equal(r.net.ifindex, 0x01020304);
});

test('BSD null in both byte orders, every AF_INET6 value, and OpenBSD loop', () => {
  for (const bigEndian of [false, true]) {
    assertSyn(decode(nullLoop(AF_INET, syn4(), { bigEndian }), LinkType.NULL), C4, S4, 40001, 443);
    for (const fam of [AF_INET6_BSD, AF_INET6_FREEBSD, AF_INET6_DARWIN, 10]) {
      const p = decode(nullLoop(fam, syn6(), { bigEndian }), LinkType.NULL);
      assertSyn(p, C6, S6, 40002, 8443);
      assert.equal(p.net.type, EtherType.IPV6);
    }
  }
  assertSyn(decode(nullLoop(AF_INET, syn4(), { loop: true }), LinkType.LOOP), C4, S4, 40001, 443);
  assertSyn(decode(nullLoop(AF_INET6_BSD, syn6(), { loop: true }), LinkType.LOOP), C6, S6, 40002, 8443);
  // LOOP is always network byte order: a little-endian family is not AF_INET there.
  const le = decode(nullLoop(AF_INET, syn4()), LinkType.LOOP);
  assert.equal(le.status.kind, Stop.UNSUPPORTED);
  assert.equal(le.hasTcp, false);
  const unknown = decode(nullLoop(7, syn4()), LinkType.NULL);
  assert.equal(unknown.status.kind, Stop.UNSUPPORTED);
});

test('raw IP link types 101, 12, 14, 228 and 229', () => {
  for (const lt of [LinkType.RAW, LinkType.RAW_ALIAS_12, LinkType.RAW_ALIAS_14]) {
    assertSyn(decode(syn4(), lt), C4, S4, 40001, 443);
    assertSyn(decode(syn6(), lt), C6, S6, 40002, 8443);
  }
  assertSyn(decode(syn4(), LinkType.IPV4), C4, S4, 40001, 443);
  assertSyn(decode(syn6(), LinkType.IPV6), C6, S6, 40002, 8443);
  const bad = Buffer.from(syn4());
  bad[0] = 0x55;
  const p = decode(bad, LinkType.RAW);
  assert.equal(p.status.kind, Stop.MALFORMED);
  assert.equal(p.hasTcp, false);
  assert.equal(decode(Buffer.alloc(0), LinkType.RAW).status.kind, Stop.TRUNCATED);
});

test('decoder state is reset between packets', () => {
  assertSyn(decode(sll2({ ifIndex: 9 }, syn4()), LinkType.LINUX_SLL2), C4, S4, 40001, 443);
  const p = decode(ethernet({ etherType: 0x0806 }, Buffer.alloc(28)), LinkType.ETHERNET);
  assert.equal(p.hasTcp, false);
  assert.equal(p.tcp.sport, 0);
  assert.equal(p.tcp.flags, -1);
  assert.equal(p.ip.version, 0);
  assert.equal(p.net.ifindex, 0);
  assert.equal(p.net.vlanCount, 0);
});

// ---------------------------------------------------------------------------
// IPv4 / IPv6
// ---------------------------------------------------------------------------

test('IPv4 with options (IHL 6, 7 and 15)', () => {
  const seg = tcp({ sport: 40003, dport: 22, seq: SEQ, flags: 'S', options: OPTS }, { srcIp: C4, dstIp: S4 });
  for (const [opts, ihl] of [[Buffer.from([0x94, 4, 0, 0]), 6], [Buffer.from([0x94, 4, 0, 0, 1, 1, 1, 0]), 7], [Buffer.alloc(40, 1), 15]] as const) {
    const pkt = ipv4({ src: C4, dst: S4, proto: 6, options: opts }, seg);
    assert.equal(pkt[0]! & 15, ihl);
    const p = decode(ethernet({}, pkt), LinkType.ETHERNET);
    assertSyn(p, C4, S4, 40003, 22);
    assert.equal(p.ip.payloadOff - p.ip.off, ihl * 4);
    assert.equal(p.ip.payloadLen, seg.length);
    assert.equal(p.tcp.mss, 1460);
  }
});

test('IPv4 fragments: first fragment decodes TCP, later ones do not (even if they look like TCP)', () => {
  const seg = tcp({ sport: 40004, dport: 80, seq: SEQ, ack: 1, flags: 'PA', payload: Buffer.alloc(100, 0x61) }, { srcIp: C4, dstIp: S4 });
  // Make the bytes at offset 48 look like a SYN 6666 -> 7777.
  tcp({ sport: 6666, dport: 7777, seq: 1, flags: 'S' }, { srcIp: C4, dstIp: S4 }).copy(seg, 48);
  const [first, second, third] = fragmentIpv4({ src: C4, dst: S4, proto: 6, id: 0x4242 }, seg, 48);
  const p = decode(ethernet({}, first!), LinkType.ETHERNET);
  assert.equal(p.hasTcp, true);
  assert.equal(p.ip.fragment, true);
  assert.equal(p.ip.moreFragments, true);
  assert.equal(p.ip.fragOffset, 0);
  assert.equal(p.ip.id, 0x4242);
  assert.equal(p.tcp.sport, 40004);
  assert.equal(p.tcp.flags, 0x18);
  assert.equal(p.tcp.payloadLen, 48 - 20);
  for (const [frag, off] of [[second!, 48], [third!, 96]] as const) {
    const q = decode(ethernet({}, frag), LinkType.ETHERNET);
    assert.equal(q.hasTcp, false);
    assert.equal(q.tcp.sport, 0);
    assert.equal(q.ip.fragment, true);
    assert.equal(q.ip.fragOffset, off);
    assert.equal(q.ip.proto, 6);
    assert.equal(q.status.kind, Stop.NONE);
  }
  // A tiny first fragment with only 8 bytes of TCP: ports and sequence number, no flags.
  const [tiny] = fragmentIpv4({ src: C4, dst: S4, proto: 6 }, tcp({ sport: 40005, dport: 25, seq: SEQ, flags: 'S' }, { srcIp: C4, dstIp: S4 }), 8);
  const t = decode(ethernet({}, tiny!), LinkType.ETHERNET);
  assert.equal(t.hasTcp, true);
  assert.equal(t.tcp.have, 8);
  assert.equal(t.tcp.sport, 40005);
  assert.equal(t.tcp.dport, 25);
  assert.equal(t.tcp.seq, SEQ);
  assert.equal(t.tcp.flags, -1);
});

test('IPv6 hop-by-hop + routing + dstopts + fragment + AH before TCP', () => {
  const seg = tcp({ sport: 40006, dport: 443, seq: SEQ, flags: 'S', options: OPTS }, { srcIp: C6, dstIp: S6 });
  const exts: Ipv6ExtHeader[] = [
    { type: 0, options: Buffer.from([5, 2, 0, 0]) }, // router alert
    { type: 43 },
    { type: 60 },
    { type: 44, offset: 0, more: false, id: 0x1234 },
    { type: 51 },
  ];
  const p = decode(ethernet({}, ipv6({ src: C6, dst: S6, nextHeader: 6, extHeaders: exts }, seg)), LinkType.ETHERNET);
  assertSyn(p, C6, S6, 40006, 443);
  assert.equal(p.ip.extHeaders, 5);
  assert.equal(p.ip.proto, 6);
  assert.equal(p.ip.fragment, true);
  assert.equal(p.ip.fragOffset, 0);
  assert.equal(p.ip.id, 0x1234);
  assert.equal(p.ip.payloadOff - p.ip.off, 40 + 8 + 8 + 8 + 8 + 24);
  assert.equal(p.ip.payloadLen, seg.length);
  assert.equal(p.tcp.wscale, 7);
});

test('IPv6 fragments: the first decodes TCP behind AH; a later one is data, not headers', () => {
  const seg = tcp({ sport: 40007, dport: 443, seq: SEQ, flags: 'S', payload: Buffer.alloc(64, 0x62) }, { srcIp: C6, dstIp: S6 });
  // The fragmentable part: AH (next header TCP) + the segment.
  const ahAndSeg = ipv6({ src: C6, dst: S6, nextHeader: 6, extHeaders: [{ type: 51 }] }, seg).subarray(40);
  const frags = fragmentIpv6({ src: C6, dst: S6, extHeaders: [{ type: 0 }] }, 51, ahAndSeg, 56, 0x1001);
  assert.equal(frags.length, 2);
  const p = decode(ethernet({}, frags[0]!), LinkType.ETHERNET);
  assertSyn(p, C6, S6, 40007, 443);
  assert.equal(p.ip.moreFragments, true);
  assert.equal(p.ip.extHeaders, 3);
  const q = decode(ethernet({}, frags[1]!), LinkType.ETHERNET);
  assert.equal(q.status.kind, Stop.NONE, q.status.what);
  assert.equal(q.hasTcp, false);
  assert.equal(q.ip.fragOffset, 56);
  assert.equal(q.ip.moreFragments, false);
  assert.equal(q.ip.id, 0x1001);
  assert.equal(q.ip.proto, 51);
});

test('an IPv6 extension-header chain longer than 16 headers stops with MALFORMED', () => {
  const seg = tcp({ sport: 40008, dport: 443, seq: SEQ, flags: 'S' }, { srcIp: C6, dstIp: S6 });
  const chain = (n: number) => ethernet({}, ipv6({ src: C6, dst: S6, nextHeader: 6, extHeaders: Array.from({ length: n }, () => ({ type: 60 as const })) }, seg));
  const ok = decode(chain(16), LinkType.ETHERNET);
  assertSyn(ok, C6, S6, 40008, 443, SEQ);
  assert.equal(ok.ip.extHeaders, 16);
  for (const n of [17, 100, 7000]) {
    const p = decode(chain(n), LinkType.ETHERNET);
    assert.equal(p.status.kind, Stop.MALFORMED, `${n} headers`);
    assert.equal(p.status.layer, Layer.IPV6);
    assert.equal(p.hasTcp, false);
    assert.ok(p.ip.extHeaders <= 17);
  }
  // An extension header that claims more than the payload holds.
  const long = Buffer.from(chain(1));
  long[14 + 40 + 1] = 200;
  assert.equal(decode(long, LinkType.ETHERNET).status.kind, Stop.MALFORMED);
});

// ---------------------------------------------------------------------------
// TCP
// ---------------------------------------------------------------------------

test('TCP options: MSS, window scale, SACK-permitted, timestamps', () => {
  const pkt = ipTcp({ src: C4, dst: S4, sport: 40009, dport: 443, seq: SEQ, flags: 'S', options: { mss: 1400, wscale: 9, sackOk: true, ts: [0xfedcba98, 0x01234567] } });
  const p = decode(pkt, LinkType.RAW);
  assertSyn(p, C4, S4, 40009, 443);
  assert.equal(p.tcp.hdrLen, 40);
  assert.equal(p.tcp.mss, 1400);
  assert.equal(p.tcp.wscale, 9);
  assert.equal(p.tcp.tsVal, 0xfedcba98);
  assert.equal(p.tcp.tsEcr, 0x01234567);
  assert.equal(p.tcp.optMask, OptBit.MSS | OptBit.WSCALE | OptBit.SACK_OK | OptBit.TIMESTAMP);
  assert.equal(p.tcp.optionsComplete, true);
  assert.equal(p.tcp.payloadLen, 0);
  assert.equal(p.tcp.window, 64240);
  // No options at all.
  const bare = decode(ipTcp({ src: C4, dst: S4, sport: 1, dport: 2, seq: 3, ack: 4, flags: 'RA', window: 0 }), LinkType.RAW);
  assert.equal(bare.tcp.optMask, 0);
  assert.equal(bare.tcp.wscale, -1);
  assert.equal(bare.tcp.flags, 0x14);
  assert.equal(bare.tcp.ack, 4);
  assert.equal(bare.tcp.hdrLen, 20);
});

test('Ethernet padding is not TCP payload', () => {
  const frame = tcp4({ src: C4, dst: S4, sport: 40010, dport: 443, seq: SEQ, flags: 'S' });
  assert.equal(frame.length, 54);
  const padded = Buffer.concat([frame, Buffer.alloc(6, 0xab)]);
  const p = decode(padded, LinkType.ETHERNET);
  assertSyn(p, C4, S4, 40010, 443);
  assert.equal(p.caplen, 60);
  assert.equal(p.ip.payloadLen, 20);
  assert.equal(p.tcp.payloadLen, 0);
  const data = tcp4({ src: C4, dst: S4, sport: 40010, dport: 443, seq: SEQ, flags: 'PA', payload: Buffer.from('abc') });
  const q = decode(Buffer.concat([data, Buffer.alloc(60 - data.length)]), LinkType.ETHERNET);
  assert.equal(q.tcp.payloadLen, 3);
  // IPv6 with padding after a short segment on a VLAN-less frame is not possible (>= 74 bytes), but
  // trailing bytes (e.g. an FCS) must still not count.
  const v6frame = tcp6({ src: C6, dst: S6, sport: 40011, dport: 443, seq: SEQ, flags: 'S' });
  const r = decode(Buffer.concat([v6frame, Buffer.alloc(4, 0xff)]), LinkType.ETHERNET);
  assert.equal(r.tcp.payloadLen, 0);
});

test('snap-length truncation: TRUNCATED, and the fields decoded so far are right', () => {
  const frame = ethernet({}, syn4()); // 14 + 20 + 40 = 74 bytes
  // 8 bytes of TCP: ports and sequence number.
  const p = decode(frame, LinkType.ETHERNET, 14 + 20 + 8, frame.length);
  assert.equal(p.status.kind, Stop.TRUNCATED);
  assert.equal(p.status.layer, Layer.TCP);
  assert.equal(p.status.offset, 34);
  assert.equal(p.truncated, true);
  assert.equal(p.wireLen, 74);
  assert.equal(p.hasTcp, true);
  assert.equal(p.tcp.have, 8);
  assert.equal(p.tcp.sport, 40001);
  assert.equal(p.tcp.dport, 443);
  assert.equal(p.tcp.seq, SEQ);
  assert.equal(p.tcp.flags, -1);
  assert.deepEqual(Array.from(p.ip.src), v4(C4));
  // 6 bytes of TCP: ports only.
  const q = decode(frame, LinkType.ETHERNET, 40, frame.length);
  assert.equal(q.tcp.have, 4);
  assert.equal(q.tcp.sport, 40001);
  assert.equal(q.tcp.seq, 0);
  // Whole fixed header, options cut (snaplen 54).
  const r = decode(frame, LinkType.ETHERNET, 54, frame.length);
  assert.equal(r.status.kind, Stop.TRUNCATED);
  assert.equal(r.tcp.have, 20);
  assert.equal(r.tcp.flags, 0x02);
  assert.equal(r.tcp.optionsComplete, false);
  // IPv6 header itself cut inside the source address.
  const s = decode(ethernet({}, syn6()), LinkType.ETHERNET, 40, 94);
  assert.equal(s.status.kind, Stop.TRUNCATED);
  assert.equal(s.status.layer, Layer.IPV6);
  assert.equal(s.ip.version, 6);
  assert.equal(s.hasTcp, false);
  // Ethernet header cut.
  assert.equal(decode(frame, LinkType.ETHERNET, 13, 74).status.kind, Stop.TRUNCATED);
});

test('malformed headers give MALFORMED, not an exception', () => {
  const frame = ethernet({}, syn4());
  for (const ihlByte of [0x44, 0x40, 0x41]) {
    const f = Buffer.from(frame);
    f[14] = ihlByte;
    const p = decode(f, LinkType.ETHERNET);
    assert.equal(p.status.kind, Stop.MALFORMED, `IHL byte ${ihlByte.toString(16)}`);
    assert.equal(p.status.layer, Layer.IPV4);
    assert.equal(p.hasTcp, false);
  }
  for (const off of [0x00, 0x40]) {
    const f = Buffer.from(frame);
    f[14 + 20 + 12] = off;
    const p = decode(f, LinkType.ETHERNET);
    assert.equal(p.status.kind, Stop.MALFORMED, `data offset byte ${off.toString(16)}`);
    assert.equal(p.status.layer, Layer.TCP);
  }
  // Data offset 15 (60 bytes) in a 40-byte segment.
  const longHdr = Buffer.from(frame);
  longHdr[14 + 20 + 12] = 0xf0;
  assert.equal(decode(longHdr, LinkType.ETHERNET).status.kind, Stop.MALFORMED);
  // Total length shorter than the header, and an IPv6 packet behind EtherType IPv4.
  const shortTotal = Buffer.from(frame);
  shortTotal.writeUInt16BE(12, 14 + 2);
  assert.equal(decode(shortTotal, LinkType.ETHERNET).status.kind, Stop.MALFORMED);
  const wrongVer = decode(ethernet({ etherType: EtherType.IPV4 }, syn6()), LinkType.ETHERNET);
  assert.equal(wrongVer.status.kind, Stop.MALFORMED);
});

// ---------------------------------------------------------------------------
// ICMP errors
// ---------------------------------------------------------------------------

test('ICMPv4 unreachable codes 3, 10, 13 (and 4 with MTU) quoting a SYN', () => {
  const quoted = syn4({ sport: 40100, dport: 5432, seq: 0x01020304 });
  for (const code of [3, 10, 13, 4]) {
    const from = code === 3 ? S4 : R4;
    const frame = ethernet({}, ipv4({ src: from, dst: C4, proto: 1 }, icmpv4Unreachable(code, quoted, undefined, code === 4 ? 1400 : undefined)));
    const p = decode(frame, LinkType.ETHERNET);
    assert.equal(p.status.kind, Stop.NONE);
    assert.equal(p.quoteStatus.kind, Stop.NONE);
    assert.equal(p.hasIcmp, true);
    assert.equal(p.hasTcp, false, 'a quoted TCP header is not the packet\'s own TCP');
    assert.deepEqual(Array.from(p.ip.src), v4(from));
    assert.deepEqual([p.icmp.family, p.icmp.type, p.icmp.code, p.icmp.quotes], [4, 3, code, true]);
    assert.equal(p.icmp.mtu, code === 4 ? 1400 : 0);
    assert.equal(p.quotedIp.version, 4);
    assert.deepEqual(Array.from(p.quotedIp.src), v4(C4));
    assert.deepEqual(Array.from(p.quotedIp.dst), v4(S4));
    assert.equal(p.quotedTcp.sport, 40100);
    assert.equal(p.quotedTcp.dport, 5432);
    assert.equal(p.quotedTcp.seq, 0x01020304);
    assert.equal(p.quotedTcp.flags, 0x02);
    assert.equal(p.quotedTcp.mss, 1460);
  }
});

test('ICMPv4 quote of only IP header + 8 TCP bytes (RFC 792 minimum)', () => {
  const quoted = syn4({ sport: 40101, dport: 3306, seq: 0x0a0b0c0d });
  const p = decode(ethernet({}, ipv4({ src: R4, dst: C4, proto: 1 }, icmpv4Unreachable(10, quoted, 28))), LinkType.ETHERNET);
  assert.equal(p.status.kind, Stop.NONE, 'a short quote does not make the error itself bad');
  assert.equal(p.quoteStatus.kind, Stop.TRUNCATED);
  assert.equal(p.hasIcmp, true);
  assert.deepEqual([p.icmp.type, p.icmp.code], [3, 10]);
  assert.deepEqual(Array.from(p.quotedIp.dst), v4(S4));
  assert.equal(p.quotedTcp.have, 8);
  assert.equal(p.quotedTcp.sport, 40101);
  assert.equal(p.quotedTcp.dport, 3306);
  assert.equal(p.quotedTcp.seq, 0x0a0b0c0d);
  assert.equal(p.quotedTcp.flags, -1);
  // Time exceeded quotes too.
  const t = decode(ethernet({}, ipv4({ src: R4, dst: C4, proto: 1 }, icmpv4TimeExceeded(0, quoted))), LinkType.ETHERNET);
  assert.deepEqual([t.icmp.type, t.icmp.code, t.icmp.quotes, t.quotedTcp.sport], [11, 0, true, 40101]);
  // An echo request quotes nothing.
  const echo = Buffer.alloc(16);
  echo[0] = 8;
  const e = decode(ethernet({}, ipv4({ src: C4, dst: S4, proto: 1 }, echo)), LinkType.ETHERNET);
  assert.equal(e.hasIcmp, true);
  assert.equal(e.icmp.quotes, false);
  assert.equal(e.quotedIp.version, 0);
});

test('ICMPv6 unreachable codes 1 and 4 quoting a SYN, full and minimal quotes', () => {
  const quoted = syn6({ sport: 40200, dport: 636, seq: 0x11111111 });
  for (const code of [1, 4]) {
    const from = code === 4 ? S6 : R6;
    const icmp = icmpv6Unreachable(code, quoted, { srcIp: from, dstIp: C6 });
    const p = decode(ethernet({}, ipv6({ src: from, dst: C6, nextHeader: 58 }, icmp)), LinkType.ETHERNET);
    assert.equal(p.status.kind, Stop.NONE);
    assert.equal(p.hasIcmp, true);
    assert.equal(p.hasTcp, false);
    assert.deepEqual([p.icmp.family, p.icmp.type, p.icmp.code, p.icmp.quotes], [6, 1, code, true]);
    assert.equal(p.quotedIp.version, 6);
    assert.deepEqual(Array.from(p.quotedIp.src), v6(C6));
    assert.deepEqual(Array.from(p.quotedIp.dst), v6(S6));
    assert.equal(p.quotedTcp.sport, 40200);
    assert.equal(p.quotedTcp.dport, 636);
    assert.equal(p.quotedTcp.seq, 0x11111111);
    assert.equal(p.quotedTcp.flags, 0x02);
    const min = icmpv6Unreachable(code, quoted, { srcIp: from, dstIp: C6 }, 48);
    const q = decode(ipv6({ src: from, dst: C6, nextHeader: 58 }, min), LinkType.RAW);
    assert.equal(q.quotedTcp.have, 8);
    assert.equal(q.quotedTcp.seq, 0x11111111);
    assert.equal(q.quotedTcp.flags, -1);
  }
});

// ---------------------------------------------------------------------------
// tunnels
// ---------------------------------------------------------------------------

function gre(flags: number, proto: number, inner: Buffer): Buffer {
  let len = 4;
  if (flags & 0x8000) len += 4;
  if (flags & 0x2000) len += 4;
  if (flags & 0x1000) len += 4;
  const h = Buffer.alloc(len, 0x77);
  h.writeUInt16BE(flags, 0);
  h.writeUInt16BE(proto, 2);
  return Buffer.concat([h, inner]);
}

const T1 = '192.0.2.1';
const T2 = '192.0.2.2';

test('GRE tunnels: IPv4, IPv6 with checksum/key/sequence, and Ethernet (TEB); innermost TCP decoded', () => {
  const p = decode(ethernet({}, ipv4({ src: T1, dst: T2, proto: 47 }, gre(0, 0x0800, syn4()))), LinkType.ETHERNET);
  assertSyn(p, C4, S4, 40001, 443);
  assert.equal(p.tunnels, 1);
  const q = decode(ethernet({}, ipv4({ src: T1, dst: T2, proto: 47 }, gre(0xb000, 0x86dd, syn6()))), LinkType.ETHERNET);
  assertSyn(q, C6, S6, 40002, 8443);
  assert.equal(q.tunnels, 1);
  const teb = decode(ethernet({}, ipv4({ src: T1, dst: T2, proto: 47 }, gre(0x2000, 0x6558, ethernet({ vlans: [5] }, syn4())))), LinkType.ETHERNET);
  assertSyn(teb, C4, S4, 40001, 443);
  assert.equal(teb.net.vlans[0], 5);
  const notIp = decode(ethernet({}, ipv4({ src: T1, dst: T2, proto: 47 }, gre(0, 0x0806, Buffer.alloc(28)))), LinkType.ETHERNET);
  assert.equal(notIp.status.kind, Stop.UNSUPPORTED);
  assert.equal(notIp.hasTcp, false);
});

test('IP-in-IP, 6in4, 4in6 and VXLAN; more than 4 nested tunnels are refused', () => {
  const ipip = decode(ethernet({}, ipv4({ src: T1, dst: T2, proto: 4 }, syn4())), LinkType.ETHERNET);
  assertSyn(ipip, C4, S4, 40001, 443);
  assert.equal(ipip.tunnels, 1);
  const sixin4 = decode(ipv4({ src: T1, dst: T2, proto: 41 }, syn6()), LinkType.RAW);
  assertSyn(sixin4, C6, S6, 40002, 8443);
  const fourin6 = decode(ipv6({ src: '2001:db8:ff::1', dst: '2001:db8:ff::2', nextHeader: 4 }, syn4()), LinkType.RAW);
  assertSyn(fourin6, C4, S4, 40001, 443);
  // VXLAN: UDP to 4789, flags with the I bit, VNI, then an Ethernet frame.
  const inner = ethernet({}, syn4());
  const udp = Buffer.alloc(16);
  udp.writeUInt16BE(50000, 0);
  udp.writeUInt16BE(4789, 2);
  udp.writeUInt16BE(16 + inner.length, 4);
  udp[8] = 0x08;
  udp.writeUInt32BE(42 << 8, 12);
  const vx = decode(ethernet({}, ipv4({ src: T1, dst: T2, proto: 17 }, Buffer.concat([udp, inner]))), LinkType.ETHERNET);
  assertSyn(vx, C4, S4, 40001, 443);
  assert.equal(vx.tunnels, 1);
  let pkt = syn4();
  for (let i = 0; i < 4; i++) pkt = ipv4({ src: T1, dst: T2, proto: 4 }, pkt);
  const four = decode(pkt, LinkType.RAW);
  assertSyn(four, C4, S4, 40001, 443);
  assert.equal(four.tunnels, 4);
  const five = decode(ipv4({ src: T1, dst: T2, proto: 4 }, pkt), LinkType.RAW);
  assert.equal(five.status.kind, Stop.UNSUPPORTED);
  assert.equal(five.status.layer, Layer.TUNNEL);
  assert.equal(five.hasTcp, false);
});

// ---------------------------------------------------------------------------
// fuzz
// ---------------------------------------------------------------------------

const prng = mulberry32;

test('random and mutated buffers on every link type never throw', () => {
  const rand = prng(0x5eed);
  const ip = [syn4(), syn6(), ipv6({ src: C6, dst: S6, nextHeader: 6, extHeaders: [{ type: 0 }, { type: 44 }, { type: 51 }] }, Buffer.alloc(20)),
    ipv4({ src: R4, dst: C4, proto: 1 }, icmpv4Unreachable(3, syn4(), 28)), ipv6({ src: R6, dst: C6, nextHeader: 58 }, icmpv6Unreachable(1, syn6(), { srcIp: R6, dstIp: C6 })),
    ipv4({ src: T1, dst: T2, proto: 47 }, gre(0xb000, 0x0800, syn4())), ipv4({ src: T1, dst: T2, proto: 4 }, syn4())];
  const seeds: Record<number, Buffer[]> = {
    [LinkType.ETHERNET]: ip.map((p) => ethernet({ vlans: [1] }, p)).concat(ip.map((p) => ethernet({ mpls: [1, 2] }, p))),
    [LinkType.LINUX_SLL]: ip.map((p) => sll({}, p)),
    [LinkType.LINUX_SLL2]: ip.map((p) => sll2({}, p)),
    [LinkType.NULL]: ip.map((p) => nullLoop(p[0]! >> 4 === 4 ? 2 : 24, p)),
    [LinkType.LOOP]: ip.map((p) => nullLoop(p[0]! >> 4 === 4 ? 2 : 24, p, { loop: true })),
    [LinkType.PPP]: ip.map((p) => Buffer.concat([Buffer.from([0xff, 0x03, 0x00, p[0]! >> 4 === 4 ? 0x21 : 0x57]), p])),
    [LinkType.PPP_ETHER]: ip.map((p) => Buffer.concat([Buffer.from([0x11, 0, 0, 1, 0, 0, 0x00, p[0]! >> 4 === 4 ? 0x21 : 0x57]), p])),
    [LinkType.NFLOG]: ip.map((p) => { const h = Buffer.from([2, 0, 0, 0, 8, 0, 9, 0]); h.writeUInt16LE(4 + p.length, 4); return Buffer.concat([h, p]); }),
  };
  const linkTypes = [0, 1, 9, 12, 14, 50, 51, 101, 108, 113, 228, 229, 239, 276, 105, 65535];
  let decoded = 0;
  let withTcp = 0;
  for (const lt of linkTypes) {
    const base = seeds[lt] ?? ip;
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rand() * 201);
      let buf: Buffer;
      if (i % 2 === 0) {
        buf = Buffer.alloc(len);
        for (let j = 0; j < len; j++) buf[j] = Math.floor(rand() * 256);
      } else {
        // A valid frame cut to `len`, with a few bytes changed: reaches the deeper layers.
        const src = base[Math.floor(rand() * base.length)]!;
        buf = Buffer.from(src.subarray(0, Math.min(len, src.length)));
        const flips = Math.floor(rand() * 4);
        for (let k = 0; k < flips && buf.length > 0; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      }
      let p: DecodedPacket;
      try {
        // Exactly-sized buffer: a read past the end throws a RangeError.
        p = dec.decode(buf, 0, buf.length, buf.length, lt);
      } catch (e) {
        assert.fail(`link type ${lt}, buffer ${buf.toString('hex')}: ${(e as Error).stack}`);
      }
      decoded++;
      assert.ok(p.status.kind >= Stop.NONE && p.status.kind <= Stop.UNSUPPORTED);
      assert.ok([0, 4, 8, 12, 14, 16, 20].includes(p.tcp.have));
      if (p.hasTcp) {
        withTcp++;
        assert.ok(p.tcp.have >= 4);
      }
      if (p.status.kind === Stop.NONE && p.hasTcp) assert.equal(p.tcp.have, 20);
    }
  }
  assert.equal(decoded, linkTypes.length * 2000);
  assert.ok(withTcp > 1000, `the mutated frames should often reach TCP (got ${withTcp})`);
});
