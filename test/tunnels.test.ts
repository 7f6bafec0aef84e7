/**
 * Encapsulations added after the first tunnels: 802.1ah PBB, Cisco FabricPath, GRE-in-UDP,
 * AYIYA, Teredo on any port (heuristic), EtherIP, MPLS in IP, IPv4 AH; every one cut at every
 * length; the reasons a frame's TCP could not be reached (and no reason for frames that carry no
 * TCP: ARP, DNS, ICMP echo, IGMP, MLD, ...); the VLAN context and vlanKey(); the analysis warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { analyze, Analysis } from '../src/analyze.js';
import { CaptureRecord } from '../src/capture/record.js';
import { Decoder, type DecodedPacket } from '../src/decode/decoder.js';
import { Stop } from '../src/decode/status.js';
import { Unreached } from '../src/decode/unreached.js';
import { LinkType } from '../src/model/linktypes.js';
import { ayiya, esp, fabricPath, gre, macsec, pbb, teredoAuth, teredoOrigin, udp } from './helpers/encap.js';
import { ethernet, ipTcp, ipv4, ipv4Bytes, ipv6, ipv6Bytes } from './helpers/packets.js';
import { mulberry32 } from './helpers/prng.js';

const C4 = '198.51.100.10';
const S4 = '203.0.113.20';
const C6 = '2001:db8::10';
const S6 = '2001:db8:1::20';
const T1 = '192.0.2.1';
const T2 = '192.0.2.2';
const T6A = '2001:db8:ff::1';
const T6B = '2001:db8:ff::2';
const SEQ = 0x12345678;
const OPTS = { mss: 1460, sackOk: true, ts: [1, 0] as [number, number], wscale: 7 };

const syn4 = (): Buffer => ipTcp({ src: C4, dst: S4, sport: 40001, dport: 443, seq: SEQ, flags: 'S', options: OPTS });
const synAck6 = (): Buffer => ipTcp({ src: S6, dst: C6, sport: 8443, dport: 40002, seq: SEQ, ack: 7, flags: 'SA', options: OPTS });

const dec = new Decoder();

/** Decodes `frame` inside a larger buffer of junk, at an odd offset (as decoder.test.ts does). */
function decode(frame: Buffer, linkType: number = LinkType.ETHERNET, caplen = frame.length): DecodedPacket {
  const pre = 5;
  const buf = Buffer.alloc(pre + frame.length + 64, 0xee);
  frame.copy(buf, pre, 0, caplen);
  return dec.decode(buf, pre, caplen, frame.length, linkType);
}

function words(a: string): number[] {
  if (!a.includes(':')) return [ipv4Bytes(a).readUInt32BE(0), 0, 0, 0];
  const b = ipv6Bytes(a);
  return [0, 4, 8, 12].map((i) => b.readUInt32BE(i));
}

/** A cleanly decoded TCP segment with these endpoints and flags. */
function assertTcp(p: DecodedPacket, src: string, dst: string, sport: number, dport: number, flags: number): void {
  assert.equal(p.status.kind, Stop.NONE, `status: ${p.status.what}`);
  assert.equal(p.hasTcp, true);
  assert.equal(p.unreached, '');
  assert.deepEqual(Array.from(p.ip.src), words(src));
  assert.deepEqual(Array.from(p.ip.dst), words(dst));
  assert.equal(p.tcp.have, 20);
  assert.equal(p.tcp.sport, sport);
  assert.equal(p.tcp.dport, dport);
  assert.equal(p.tcp.seq, SEQ);
  assert.equal(p.tcp.flags, flags);
}
const SYN = 0x02;
const SYNACK = 0x12;

const outer4 = (proto: number, payload: Buffer): Buffer => ethernet({}, ipv4({ src: T1, dst: T2, proto }, payload));
const overUdp4 = (sport: number, dport: number, payload: Buffer): Buffer => outer4(17, udp(sport, dport, payload, { srcIp: T1, dstIp: T2 }));
const overUdp6 = (sport: number, dport: number, payload: Buffer): Buffer =>
  ethernet({}, ipv6({ src: T6A, dst: T6B, nextHeader: 17 }, udp(sport, dport, payload, { srcIp: T6A, dstIp: T6B })));

// ---------------------------------------------------------------------------
// decoded
// ---------------------------------------------------------------------------

test('802.1ah PBB: I-TAG and customer header, with and without a B-tag, customer tags inside', () => {
  const plain = decode(pbb({ isid: 0x12345 }, ethernet({}, syn4())));
  assertTcp(plain, C4, S4, 40001, 443, SYN);
  assert.equal(plain.tunnels, 0);
  assert.equal(plain.net.vlanCount, 0);
  assert.equal(plain.vlanKey(), 0);
  const tagged = decode(pbb({ isid: 0xabcdef, bvid: 100 }, ethernet({ vlans: [200] }, synAck6())));
  assertTcp(tagged, S6, C6, 8443, 40002, SYNACK);
  // The backbone tag, then the customer tag, as Zeek sees them (one packet, two tags).
  assert.equal(tagged.net.vlanCount, 2);
  assert.deepEqual([tagged.net.vlans[0], tagged.net.vlans[1]], [100, 200]);
  assert.equal(tagged.vlanKey(), 100 * 4096 + 200);
  // QinQ inside the customer frame.
  const qinq = decode(pbb({ isid: 1, bvid: 7 }, ethernet({ vlans: [300, 301] }, syn4())));
  assertTcp(qinq, C4, S4, 40001, 443, SYN);
  assert.deepEqual(Array.from(qinq.net.vlans.subarray(0, qinq.net.vlanCount)), [7, 300, 301]);
  assert.equal(qinq.vlanKey(), 7 * 4096 + 301);
  // A customer frame that is ARP is no TCP and no reason to warn.
  const arp = decode(pbb({ isid: 1 }, ethernet({ etherType: 0x0806 }, Buffer.alloc(28))));
  assert.equal(arp.hasTcp, false);
  assert.equal(arp.unreached, '');
});

test('Cisco FabricPath: the 16-byte header, and the 20-byte variant with an 802.1Q tag', () => {
  const frame = fabricPath({ ftag: 1, ttl: 31 }, ethernet({}, syn4()));
  assert.equal(frame.readUInt16BE(12), 0x8903);
  assert.equal(frame.readUInt16BE(16 + 12), 0x0800);
  assertTcp(decode(frame), C4, S4, 40001, 443, SYN);
  const tagged = decode(fabricPath({ vlan: 10 }, ethernet({ vlans: [20] }, synAck6())));
  assertTcp(tagged, S6, C6, 8443, 40002, SYNACK);
  assert.deepEqual([tagged.net.vlanCount, tagged.net.vlans[0], tagged.net.vlans[1]], [2, 10, 20]);
});

test('GRE-in-UDP (RFC 8086, port 4754): IPv4, IPv6 with key and sequence, Ethernet; no GRE is plain UDP', () => {
  const v4 = decode(overUdp4(49152, 4754, gre(0x0800, syn4())));
  assertTcp(v4, C4, S4, 40001, 443, SYN);
  assert.equal(v4.tunnels, 1);
  // The return direction: both ends send to 4754, the source port is entropy.
  const v6 = decode(overUdp6(4754, 4754, gre(0x86dd, synAck6(), { key: 42, seq: 9, checksum: true })));
  assertTcp(v6, S6, C6, 8443, 40002, SYNACK);
  const teb = decode(overUdp4(50000, 4754, gre(0x6558, ethernet({ vlans: [33] }, syn4()))));
  assertTcp(teb, C4, S4, 40001, 443, SYN);
  assert.equal(teb.vlanKey(), 33 * 4096);
  // Reserved bits, a version, a wrong inner version nibble, another protocol: no GRE, no noise
  // (only "looks like IP" where an IP packet with TCP does follow the 4 bytes).
  for (const [bad, why] of [
    [Buffer.concat([Buffer.from([0x00, 0x08, 0x08, 0x00]), syn4()]), Unreached.UDP_IP],
    [Buffer.concat([Buffer.from([0x00, 0x01, 0x08, 0x00]), syn4()]), Unreached.UDP_IP],
    [gre(0x0800, synAck6()), Unreached.UDP_IP],
    [gre(0x0806, Buffer.alloc(28)), ''],
    [Buffer.from('hello, this is no GRE at all'), ''],
  ] as const) {
    const p = decode(overUdp4(40000, 4754, bad));
    assert.equal(p.hasTcp, false);
    assert.equal(p.status.kind, Stop.NONE, p.status.what);
    assert.equal(p.unreached, why);
  }
});

test('AYIYA (port 5072): IPv6 and IPv4 forwarded, identity and signature skipped; other opcodes are not decoded', () => {
  const v6 = decode(overUdp4(5072, 5072, ayiya({ next: 41 }, synAck6())));
  assertTcp(v6, S6, C6, 8443, 40002, SYNACK);
  assert.equal(v6.tunnels, 1);
  const v4 = decode(overUdp4(40000, 5072, ayiya({ next: 4, idLenExp: 0, idType: 0, sigWords: 0, hash: 0, auth: 0 }, syn4())));
  assertTcp(v4, C4, S4, 40001, 443, SYN);
  const md5 = decode(overUdp4(5072, 40000, ayiya({ next: 4, idLenExp: 2, sigWords: 4, hash: 1 }, syn4())));
  assertTcp(md5, C4, S4, 40001, 443, SYN);
  for (const bad of [ayiya({ next: 41, opcode: 0 }, Buffer.alloc(0)), ayiya({ next: 41, opcode: 4 }, synAck6()), ayiya({ next: 4 }, synAck6()), ayiya({ next: 17 }, syn4())]) {
    const p = decode(overUdp4(5072, 5072, bad));
    assert.equal(p.hasTcp, false);
    assert.equal(p.status.kind, Stop.NONE, p.status.what);
  }
});

test('Teredo on another port: plain, origin indication, authentication; never over IPv6, below port 1024, or with a length mismatch', () => {
  assertTcp(decode(overUdp4(51413, 40000, synAck6())), S6, C6, 8443, 40002, SYNACK);
  const origin = decode(overUdp4(51413, 40000, Buffer.concat([teredoOrigin(3544, '192.0.2.99'), synAck6()])));
  assertTcp(origin, S6, C6, 8443, 40002, SYNACK);
  assert.equal(origin.tunnels, 1);
  const auth = decode(overUdp4(40000, 51413, Buffer.concat([teredoAuth(Buffer.from('id'), Buffer.alloc(20, 1)), teredoOrigin(1, T1), synAck6()])));
  assertTcp(auth, S6, C6, 8443, 40002, SYNACK);
  // The default port keeps working as before.
  assertTcp(decode(overUdp4(3544, 40000, synAck6())), S6, C6, 8443, 40002, SYNACK);
  const notTeredo = [
    overUdp6(51413, 40000, synAck6()), // Teredo runs over IPv4 only
    overUdp4(53, 40000, synAck6()), // a well-known port
    overUdp4(40000, 123, synAck6()),
    overUdp4(51413, 40000, Buffer.concat([synAck6(), Buffer.alloc(3)])), // IPv6 length is not the UDP length
    overUdp4(51413, 40000, ipv6({ src: S6, dst: C6, nextHeader: 17 }, udp(1, 2, Buffer.alloc(8), { srcIp: S6, dstIp: C6 }))), // UDP inside: not looked for
  ];
  for (const f of notTeredo) {
    const p = decode(f);
    assert.equal(p.hasTcp, false);
    assert.equal(p.tunnels, 0);
  }
});

test('EtherIP (97), MPLS in IP (137) and IPv4 AH are decoded to the TCP inside', () => {
  const etherip = decode(outer4(97, Buffer.concat([Buffer.from([0x30, 0x00]), ethernet({ vlans: [5] }, syn4())])));
  assertTcp(etherip, C4, S4, 40001, 443, SYN);
  assert.equal(etherip.vlanKey(), 5 * 4096);
  const lse = Buffer.alloc(4);
  lse.writeUInt32BE(((16001 << 12) | 0x100 | 64) >>> 0, 0);
  assertTcp(decode(outer4(137, Buffer.concat([lse, synAck6()]))), S6, C6, 8443, 40002, SYNACK);
  // AH: next header TCP, length 4 (24 bytes: 12 fixed + 12 ICV), SPI, sequence, ICV.
  const seg = syn4().subarray(20);
  const ah = Buffer.alloc(24, 0x99);
  ah[0] = 6;
  ah[1] = 4;
  ah.writeUInt16BE(0, 2);
  const p = decode(ethernet({}, ipv4({ src: C4, dst: S4, proto: 51 }, Buffer.concat([ah, seg]))));
  assertTcp(p, C4, S4, 40001, 443, SYN);
  const badVersion = decode(outer4(97, Buffer.concat([Buffer.from([0x20, 0x00]), ethernet({}, syn4())])));
  assert.equal(badVersion.hasTcp, false);
  assert.equal(badVersion.status.kind, Stop.UNSUPPORTED);
});

// ---------------------------------------------------------------------------
// truncation
// ---------------------------------------------------------------------------

const encapsulated: Array<[string, Buffer]> = [
  ['PBB', pbb({ isid: 5, bvid: 10 }, ethernet({ vlans: [20] }, syn4()))],
  ['FabricPath', fabricPath({ vlan: 3 }, ethernet({}, synAck6()))],
  ['GRE-in-UDP', overUdp4(49152, 4754, gre(0x86dd, synAck6(), { key: 1, seq: 2, checksum: true }))],
  ['GRE-in-UDP TEB', overUdp4(49152, 4754, gre(0x6558, ethernet({}, syn4())))],
  ['AYIYA', overUdp4(5072, 5072, ayiya({ next: 41 }, synAck6()))],
  ['Teredo heuristic', overUdp4(51413, 40000, Buffer.concat([teredoAuth(Buffer.from('x'), Buffer.alloc(4)), teredoOrigin(1, T2), synAck6()]))],
  ['EtherIP', outer4(97, Buffer.concat([Buffer.from([0x30, 0x00]), ethernet({}, syn4())]))],
  ['IPv4 AH', ethernet({}, ipv4({ src: C4, dst: S4, proto: 51 }, Buffer.concat([Buffer.from([6, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]), syn4().subarray(20)])))],
];

test('every new encapsulation cut at every length: no exception, never more TCP than was captured', () => {
  for (const [name, frame] of encapsulated) {
    const full = decode(frame);
    assert.equal(full.hasTcp, true, `${name}: ${full.status.what}`);
    assert.equal(full.status.kind, Stop.NONE, `${name}: ${full.status.what}`);
    const tcpAt = full.ip.payloadOff - 5;
    for (let len = 0; len < frame.length; len++) {
      const cut = Buffer.from(frame.subarray(0, len));
      let p: DecodedPacket;
      try {
        // Exactly sized: a read past the captured bytes would throw (Buffer readers) or read junk.
        p = dec.decode(cut, 0, len, frame.length, LinkType.ETHERNET);
      } catch (e) {
        assert.fail(`${name} cut at ${len}: ${(e as Error).stack}`);
      }
      if (p.hasTcp) {
        assert.ok(len - tcpAt >= p.tcp.have, `${name} cut at ${len}: ${p.tcp.have} TCP bytes claimed, ${len - tcpAt} captured`);
        assert.ok(p.tcp.have >= 4);
        // The inner TCP, not bytes of some header read as TCP.
        assert.equal(p.tcp.sport, full.tcp.sport, `${name} cut at ${len}`);
        if (p.tcp.have >= 20) assert.equal(p.tcp.flags, full.tcp.flags, `${name} cut at ${len}`);
      }
      if (len < tcpAt + 20) assert.ok(p.status.kind !== Stop.NONE || !p.hasTcp, `${name} cut at ${len}: TCP decoded cleanly`);
      // A cut frame is no reason to warn about an encapsulation.
      assert.equal(p.unreached, '', `${name} cut at ${len}: ${p.unreached}`);
    }
  }
});

test('every new encapsulation mutated at random (2000 times each) never throws', () => {
  const rand = mulberry32(0x7e4d0);
  let withTcp = 0;
  for (const [name, frame] of encapsulated) {
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rand() * (frame.length + 1));
      const buf = Buffer.from(frame.subarray(0, len));
      for (let k = Math.floor(rand() * 4); k > 0 && len > 0; k--) buf[Math.floor(rand() * len)] = Math.floor(rand() * 256);
      let p: DecodedPacket;
      try {
        p = dec.decode(buf, 0, len, frame.length, LinkType.ETHERNET);
      } catch (e) {
        assert.fail(`${name}, buffer ${buf.toString('hex')}: ${(e as Error).stack}`);
      }
      assert.ok(p.status.kind >= Stop.NONE && p.status.kind <= Stop.UNSUPPORTED);
      assert.ok([0, 4, 8, 12, 14, 16, 20].includes(p.tcp.have), `${name}: tcp.have ${p.tcp.have}`);
      assert.equal(typeof p.unreached, 'string');
      assert.ok(p.vlanKey() >= 0 && p.vlanKey() < 1 << 24);
      if (p.hasTcp) withTcp++;
    }
  }
  assert.ok(withTcp > 2000, `mutated frames should often still reach TCP (${withTcp})`);
});

// ---------------------------------------------------------------------------
// unreached
// ---------------------------------------------------------------------------

test('why TCP could not be reached: encryption, encapsulations and EtherTypes not decoded, IP behind an unknown UDP port', () => {
  const eth = ethernet({}, syn4());
  const cases: Array<[string, Buffer, number?]> = [
    [Unreached.MACSEC, macsec(eth, 1)],
    [Unreached.ESP, outer4(50, esp(0x1001, 1, syn4()))],
    [Unreached.ESP, ethernet({}, ipv6({ src: T6A, dst: T6B, nextHeader: 50 }, esp(0x1002, 1, synAck6())))],
    [Unreached.ESP_UDP, overUdp4(4500, 4500, esp(0x1003, 7, syn4()))],
    [Unreached.IPCOMP, outer4(108, Buffer.concat([Buffer.from([4, 0, 0, 1]), Buffer.alloc(40, 0x77)]))],
    [Unreached.L2TPV3, outer4(115, Buffer.concat([Buffer.from([0, 0, 0, 9]), eth]))],
    [Unreached.GRE_ERSPAN, outer4(47, gre(0x88be, Buffer.concat([Buffer.alloc(8), eth]), { seq: 1 }))],
    [Unreached.GRE_PAYLOAD, outer4(47, gre(0x894f, Buffer.concat([Buffer.alloc(8), syn4()])))],
    [Unreached.ETHERTYPE, ethernet({ etherType: 0x88b7 }, syn4())],
    [Unreached.ETHERTYPE, ethernet({ vlans: [10], etherType: 0x1234 }, syn4())],
    [Unreached.TRILL, ethernet({ etherType: 0x22f3 }, Buffer.concat([Buffer.alloc(6), eth]))],
    [Unreached.NSH, ethernet({ etherType: 0x894f }, Buffer.concat([Buffer.from([0, 6, 2, 1, 0, 0, 0, 0xff]), syn4()]))],
    [Unreached.MPLS_PW, ethernet({ mpls: [100] }, Buffer.concat([Buffer.alloc(4), eth]))],
    [Unreached.WIREGUARD, overUdp4(51820, 40000, Buffer.concat([Buffer.from([4, 0, 0, 0]), Buffer.alloc(60, 0x42)]))],
    [Unreached.UDP_IP, overUdp4(40000, 9999, syn4())],
    [Unreached.UDP_IP, overUdp4(40000, 9999, Buffer.concat([Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]), syn4()]))],
    [Unreached.UDP_IP, overUdp6(40000, 9999, Buffer.concat([Buffer.alloc(4), synAck6()]))],
    // IPv6 right at the start of a datagram to a well-known port is not Teredo, but looks like IP.
    [Unreached.UDP_IP, overUdp4(40000, 999, synAck6())],
  ];
  // Five nested IP-in-IP headers.
  let deep = syn4();
  for (let i = 0; i < 5; i++) deep = ipv4({ src: T1, dst: T2, proto: 4 }, deep);
  cases.push([Unreached.TUNNEL_DEPTH, ethernet({}, deep)]);
  for (const [want, frame] of cases) {
    const p = decode(frame);
    assert.equal(p.hasTcp, false, want);
    assert.equal(p.hasIcmp, false, want);
    assert.equal(p.unreached, want, `${want}: got "${p.unreached}" (${p.status.what})`);
  }
  // 802.11: a protected data frame and an A-MSDU.
  const wifi = (fc0: number, fc1: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([fc0, fc1]), Buffer.alloc(22), body]);
  const snap = Buffer.concat([Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]), syn4()]);
  assert.equal(decode(wifi(0x08, 0x41, snap), LinkType.IEEE802_11).unreached, Unreached.WIFI_PROTECTED);
  assert.equal(decode(wifi(0x88, 0x01, Buffer.concat([Buffer.from([0x80, 0]), snap])), LinkType.IEEE802_11).unreached, Unreached.WIFI_AMSDU);
});

/** A DNS message: id, flags, counts, a question for `name`, and `extra` bytes of answers. */
function dns(id: number, flags: number, name: string, counts: [number, number, number, number], extra = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  counts.forEach((c, i) => h.writeUInt16BE(c, 4 + 2 * i));
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([h, ...labels, Buffer.from([0, 0, 1, 0, 1]), extra]);
}

test('no reason and no TCP for frames that carry none: ARP, LLDP, STP, DNS, NTP, DHCP, ICMP echo, IGMP, MLD, ND, IS-IS, VRRP, OSPF', () => {
  const icmpEcho = Buffer.from([8, 0, 0xf7, 0xff, 0, 0, 0, 0]);
  const frames: Array<[string, Buffer, number?]> = [
    ['ARP', ethernet({ etherType: 0x0806 }, Buffer.alloc(28, 1))],
    ['LLDP', ethernet({ etherType: 0x88cc }, Buffer.alloc(40, 2))],
    ['STP', Buffer.concat([ethernet({ etherType: 38 }, Buffer.from([0x42, 0x42, 0x03])), Buffer.alloc(35)])],
    ['EAPOL', ethernet({ etherType: 0x888e }, Buffer.alloc(40, 3))],
    ['PTP', ethernet({ etherType: 0x88f7 }, Buffer.alloc(44, 4))],
    ['LACP', ethernet({ etherType: 0x8809 }, Buffer.alloc(110, 1))],
    ['PPPoE discovery', ethernet({ etherType: 0x8863 }, Buffer.alloc(20, 0x11))],
    ['DNS query', overUdp4(40000, 53, dns(0x4500, 0x0100, 'www.example.com', [1, 0, 0, 0]))],
    ['DNS query 0x6xxx id', overUdp4(40000, 53, dns(0x6abc, 0x0100, 'aaaaaaaaaaaaaaaaaaaaaaaa.b', [1, 0, 0, 0]))],
    ['mDNS', overUdp4(5353, 5353, dns(0x6000, 0x8400, 'printer.local', [0, 1, 0, 0], Buffer.alloc(60, 0x45)))],
    ['DNS over IPv6', overUdp6(40000, 53, dns(0x4506, 0x0100, 'example.org', [1, 0, 0, 1]))],
    ['NTP', overUdp4(123, 123, Buffer.concat([Buffer.from([0x23, 2, 6, 0xe9]), Buffer.alloc(44, 0x45)]))],
    ['DHCP', overUdp4(68, 67, Buffer.concat([Buffer.from([1, 1, 6, 0]), Buffer.alloc(296, 0)]))],
    ['QUIC', overUdp4(51000, 443, Buffer.concat([Buffer.from([0xc3, 0, 0, 0, 1]), Buffer.alloc(1200, 0x60)]))],
    ['ICMP echo', ethernet({}, ipv4({ src: C4, dst: S4, proto: 1 }, icmpEcho))],
    ['IGMP', ethernet({}, ipv4({ src: C4, dst: '224.0.0.22', proto: 2 }, Buffer.from([0x22, 0, 0xfa, 0xfd, 0, 0, 0, 0])))],
    ['MLD report', ethernet({}, ipv6({ src: 'fe80::1', dst: 'ff02::16', nextHeader: 58, hopLimit: 1, extHeaders: [{ type: 0, options: Buffer.from([5, 2, 0, 0]) }] }, Buffer.concat([Buffer.from([143, 0, 0, 0, 0, 0, 0, 1]), Buffer.alloc(20, 0)])))],
    ['ND solicitation', ethernet({}, ipv6({ src: 'fe80::1', dst: 'ff02::1:ff00:20', nextHeader: 58, hopLimit: 255 }, Buffer.concat([Buffer.from([135, 0, 0, 0, 0, 0, 0, 0]), ipv6Bytes(S6)])))],
    ['VRRP', ethernet({}, ipv4({ src: C4, dst: '224.0.0.18', proto: 112 }, Buffer.alloc(20, 0x21)))],
    ['OSPF', ethernet({}, ipv4({ src: C4, dst: '224.0.0.5', proto: 89 }, Buffer.alloc(44, 0x02)))],
    ['SCTP', ethernet({}, ipv4({ src: C4, dst: S4, proto: 132 }, Buffer.alloc(32, 0x02)))],
    ['plain UDP', overUdp4(40000, 9999, Buffer.from('just some datagram, no IP header in here at all'))],
    ['IKE on 4500', overUdp4(4500, 4500, Buffer.concat([Buffer.alloc(4), Buffer.alloc(28, 0x21)]))],
    ['WireGuard handshake', overUdp4(51820, 51820, Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.alloc(144, 0x42)]))],
    ['GRE keepalive (ARP payload)', outer4(47, gre(0x0806, Buffer.alloc(28)))],
  ];
  for (const [name, frame, lt] of frames) {
    const p = decode(frame, lt ?? LinkType.ETHERNET);
    assert.equal(p.hasTcp, false, name);
    assert.equal(p.unreached, '', `${name}: "${p.unreached}"`);
  }
});

test('random DNS-shaped and random datagrams on every kind of port never become TCP or a reason (20000 each)', () => {
  const rand = mulberry32(0xd15);
  const byte = (): number => Math.floor(rand() * 256);
  let checked = 0;
  for (let i = 0; i < 20000; i++) {
    const qname = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join('');
    const answers = Buffer.alloc(Math.floor(rand() * 80));
    for (let j = 0; j < answers.length; j++) answers[j] = byte();
    const msg = dns((byte() << 8) | byte(), rand() < 0.5 ? 0x0100 : 0x8180, `${qname}.example`, [1, Math.floor(rand() * 3), 0, Math.floor(rand() * 2)], answers);
    const port = [53, 5353, 5355, 40000 + Math.floor(rand() * 20000)][i % 4]!;
    const p = decode(i % 2 ? overUdp4(port, 40001, msg) : overUdp4(40001, port, msg));
    assert.equal(p.hasTcp, false, msg.toString('hex'));
    assert.equal(p.unreached, '', msg.toString('hex'));
    // Random bytes, of the lengths an IPv6 header would leave.
    const junk = Buffer.alloc(40 + Math.floor(rand() * 60));
    for (let j = 0; j < junk.length; j++) junk[j] = byte();
    if (rand() < 0.5) junk[0] = 0x60 | (junk[0]! & 15);
    const q = decode(overUdp4(1024 + Math.floor(rand() * 60000), 1024 + Math.floor(rand() * 60000), junk));
    assert.equal(q.hasTcp, false, junk.toString('hex'));
    checked++;
  }
  assert.equal(checked, 20000);
});

// ---------------------------------------------------------------------------
// VLAN context
// ---------------------------------------------------------------------------

test('vlanKey: 0 untagged; first and last tag (Zeek vlan, inner_vlan); priority tags skipped; tunnels start afresh', () => {
  assert.equal(decode(ethernet({}, syn4())).vlanKey(), 0);
  const one = decode(ethernet({ vlans: [100] }, syn4()));
  assert.equal(one.vlanKey(), 100 * 4096);
  assert.equal(one.net.vlanKey(), one.vlanKey());
  assert.equal(decode(ethernet({ vlans: [200, 300] }, syn4())).vlanKey(), 200 * 4096 + 300);
  // Three tags: the outermost and the innermost, as Zeek's VLAN analyzer keeps them.
  const three = ethernet({ vlans: [1, 2], etherType: 0x8100 }, Buffer.concat([Buffer.from([0x00, 0x03, 0x08, 0x00]), syn4()]));
  const p3 = decode(three);
  assertTcp(p3, C4, S4, 40001, 443, SYN);
  assert.deepEqual(Array.from(p3.net.vlans.subarray(0, 3)), [1, 2, 3]);
  assert.equal(p3.vlanKey(), 1 * 4096 + 3);
  // An 802.1p priority tag (VID 0) does not take the outer place.
  assert.equal(decode(ethernet({ vlans: [0xa000, 55] }, syn4())).vlanKey(), 55 * 4096);
  // PCP/DEI bits are no part of the key.
  assert.equal(decode(ethernet({ vlans: [0xf000 | 9] }, syn4())).vlanKey(), 9 * 4096);
  // A tunnel: the outer frame's VLAN is the underlay's; only the inner frame's tags count.
  const gre4 = decode(ethernet({ vlans: [10] }, ipv4({ src: T1, dst: T2, proto: 47 }, gre(0x0800, syn4()))));
  assertTcp(gre4, C4, S4, 40001, 443, SYN);
  assert.equal(gre4.net.vlans[0], 10);
  assert.equal(gre4.vlanKey(), 0);
  const vx = Buffer.alloc(8);
  vx[0] = 0x08;
  const vxlan = decode(ethernet({ vlans: [10] }, ipv4({ src: T1, dst: T2, proto: 17 }, udp(50000, 4789, Buffer.concat([vx, ethernet({ vlans: [77] }, syn4())])))));
  assertTcp(vxlan, C4, S4, 40001, 443, SYN);
  assert.deepEqual([vxlan.net.vlanCount, vxlan.net.vlans[0], vxlan.net.vlans[1]], [2, 10, 77]);
  assert.equal(vxlan.vlanKey(), 77 * 4096);
  // The decoder object is reused: the next packet starts untagged.
  assert.equal(decode(ethernet({}, syn4())).vlanKey(), 0);
});

// ---------------------------------------------------------------------------
// the analysis warning
// ---------------------------------------------------------------------------

test('the analysis warns once per reason with the number of frames, and not for ARP or DNS', () => {
  const an = new Analysis();
  const rec = new CaptureRecord();
  const feed = (buf: Buffer): void => {
    rec.buf = buf;
    rec.caplen = rec.origLen = buf.length;
    rec.linkType = LinkType.ETHERNET;
    rec.frame++;
    rec.tsSec = 1_700_000_000 + rec.frame;
    an.packet(rec);
  };
  for (let i = 0; i < 3; i++) feed(macsec(ethernet({}, syn4()), i + 1));
  for (let i = 0; i < 2; i++) feed(outer4(50, esp(0x2000, i + 1, syn4())));
  feed(ethernet({ etherType: 0x0806 }, Buffer.alloc(28)));
  feed(overUdp4(40000, 53, dns(0x1234, 0x0100, 'example.com', [1, 0, 0, 0])));
  feed(pbb({ isid: 1 }, ethernet({}, syn4())));
  const r = an.finish();
  const lines = r.summary.warnings.filter((w) => w.includes('could not be reached'));
  assert.deepEqual(lines, [
    `3 frame(s) whose TCP could not be reached: ${Unreached.MACSEC}; not analysed`,
    `2 frame(s) whose TCP could not be reached: ${Unreached.ESP}; not analysed`,
  ]);
  assert.equal(r.summary.attempts, 1);
});

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('fixtures/crafted/unreached.pcap: its warning names each encapsulation, and its decodable attempts are analysed', async () => {
  const r = await analyze(join(root, 'fixtures', 'crafted', 'unreached.pcap'));
  const lines = r.summary.warnings.filter((w) => w.includes('could not be reached'));
  assert.ok(lines.some((w) => w.includes(Unreached.MACSEC)), lines.join('\n'));
  assert.ok(lines.some((w) => w.includes(Unreached.ESP)), lines.join('\n'));
  assert.ok(lines.some((w) => w.includes(Unreached.UDP_IP)), lines.join('\n'));
  assert.ok(!lines.some((w) => w.includes(Unreached.ETHERTYPE)), lines.join('\n'));
});
