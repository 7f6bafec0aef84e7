/**
 * Capture filters (src/filter): the parser (grouping, inherited qualifiers, errors), every
 * primitive on hand-built packets over IPv4 and IPv6 and a dozen link types, tags and tunnels
 * (the innermost packet is tested), cut packets (a read past the captured bytes rejects, as in
 * BPF), and an oracle run against tcpdump on every record of every fixture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CaptureRecord } from '../src/capture/record.js';
import { Decoder } from '../src/decode/decoder.js';
import { SynscopeError } from '../src/errors.js';
import { compileFilter, type PacketFilter } from '../src/index.js';
import { LinkType } from '../src/model/linktypes.js';
import { compileBpf, haveTcpdump, runBpf } from './helpers/bpf.js';
import { gre, udp } from './helpers/encap.js';
import { loadRecords, runOracle, writeGroups } from './helpers/filter-oracle.js';
import {
  AF_INET, AF_INET6_BSD, MAC_CLIENT, MAC_SERVER, ethernet, icmpv4Unreachable, icmpv6Unreachable, ipTcp, ipv4, ipv6,
  macBytes, nullLoop, sll, sll2, tcp,
} from './helpers/packets.js';

const C4 = '198.51.100.10';
const S4 = '203.0.113.20';
const R4 = '203.0.113.1';
const C6 = '2001:db8::10';
const S6 = '2001:db8:1::20';
const R6 = '2001:db8:1::1';

// ---------------------------------------------------------------------------
// the packets: IP packets (network layer and up), wrapped in every link type below
// ---------------------------------------------------------------------------

const syn4 = ipTcp({ src: C4, dst: S4, sport: 40000, dport: 8080, seq: 1, flags: 'S', options: { mss: 1460 } });
const synack4 = ipTcp({ src: S4, dst: C4, sport: 8080, dport: 40000, seq: 7, ack: 2, flags: 'SA' });
const syn6 = ipTcp({ src: C6, dst: S6, sport: 41000, dport: 443, seq: 1, flags: 'S' });
const rst6 = ipTcp({ src: S6, dst: C6, sport: 443, dport: 41000, seq: 0, ack: 2, flags: 'RA' });
const dnsQuery = Buffer.from('123401000001000000000000076578616d706c6503636f6d0000010001', 'hex');
const dns4 = ipv4({ src: C4, dst: '198.51.100.53', proto: 17 }, udp(5353, 53, dnsQuery, { srcIp: C4, dstIp: '198.51.100.53' }));
const dns6 = ipv6({ src: C6, dst: '2001:db8::53', nextHeader: 17 }, udp(5353, 53, dnsQuery, { srcIp: C6, dstIp: '2001:db8::53' }));
const unreach4 = ipv4({ src: R4, dst: C4, proto: 1 }, icmpv4Unreachable(13, syn4));
const unreach6 = ipv6({ src: R6, dst: C6, nextHeader: 58 }, icmpv6Unreachable(1, syn6, { srcIp: R6, dstIp: C6 }));

const PACKETS: Record<string, Buffer> = { syn4, synack4, syn6, rst6, dns4, dns6, unreach4, unreach6 };
const V4 = ['syn4', 'synack4', 'dns4', 'unreach4'];
const V6 = ['syn6', 'rst6', 'dns6', 'unreach6'];

interface Frame { linkType: number; bytes: Buffer }

/** Link layers: each takes an IP packet; null when the link type cannot carry that IP version. */
const LINKS: Record<string, (ip: Buffer) => Frame | null> = {
  ethernet: (ip) => ({ linkType: LinkType.ETHERNET, bytes: ethernet({}, ip) }),
  vlan: (ip) => ({ linkType: LinkType.ETHERNET, bytes: ethernet({ vlans: [100] }, ip) }),
  qinq: (ip) => ({ linkType: LinkType.ETHERNET, bytes: ethernet({ vlans: [200, 300] }, ip) }),
  mpls: (ip) => ({ linkType: LinkType.ETHERNET, bytes: ethernet({ mpls: [16001, 16002] }, ip) }),
  sll: (ip) => ({ linkType: LinkType.LINUX_SLL, bytes: sll({}, ip) }),
  sll2: (ip) => ({ linkType: LinkType.LINUX_SLL2, bytes: sll2({}, ip) }),
  raw: (ip) => ({ linkType: LinkType.RAW, bytes: ip }),
  raw12: (ip) => ({ linkType: LinkType.RAW_ALIAS_12, bytes: ip }),
  raw14: (ip) => ({ linkType: LinkType.RAW_ALIAS_14, bytes: ip }),
  ipv4: (ip) => (ip[0] >> 4 === 4 ? { linkType: LinkType.IPV4, bytes: ip } : null),
  ipv6: (ip) => (ip[0] >> 4 === 6 ? { linkType: LinkType.IPV6, bytes: ip } : null),
  null: (ip) => ({ linkType: LinkType.NULL, bytes: nullLoop(ip[0] >> 4 === 4 ? AF_INET : AF_INET6_BSD, ip) }),
  loop: (ip) => ({ linkType: LinkType.LOOP, bytes: nullLoop(ip[0] >> 4 === 4 ? AF_INET : AF_INET6_BSD, ip, { loop: true }) }),
  // Tunnels: the packet inside is the one tested.
  gre: (ip) => ({
    linkType: LinkType.ETHERNET,
    bytes: ethernet({}, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 47 }, gre(ip[0] >> 4 === 4 ? 0x0800 : 0x86dd, ip))),
  }),
  vxlan: (ip) => {
    const vx = Buffer.from([0x08, 0, 0, 0, 0, 0, 0x2a, 0]);
    const inner = Buffer.concat([vx, ethernet({ vlans: [77] }, ip)]);
    return { linkType: LinkType.ETHERNET, bytes: ethernet({}, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17 }, udp(50000, 4789, inner))) };
  },
};

function frameOf(link: string, name: string): Frame | null {
  return LINKS[link](PACKETS[name]);
}

function match(f: PacketFilter, fr: Frame, caplen = fr.bytes.length): boolean {
  return f.matchesFrame(fr.bytes, 0, caplen, fr.bytes.length, fr.linkType);
}

/** Expression -> the packets it matches, whatever the link layer around them. */
const EXPECT: [string, string[]][] = [
  ['tcp', ['syn4', 'synack4', 'syn6', 'rst6']],
  ['udp', ['dns4', 'dns6']],
  ['icmp', ['unreach4']],
  ['icmp6', ['unreach6']],
  ['ip', V4],
  ['ip6', V6],
  ['ip6 and tcp', ['syn6', 'rst6']],
  ['ip and not tcp', ['dns4', 'unreach4']],
  ['host 198.51.100.10', V4],
  ['src host 198.51.100.10', ['syn4', 'dns4']],
  ['dst host 198.51.100.10', ['synack4', 'unreach4']],
  ['src and dst host 198.51.100.10', []],
  ['src or dst host 203.0.113.20', ['syn4', 'synack4']],
  ['ip host 203.0.113.1', ['unreach4']],
  ['host 2001:db8::10', V6],
  ['src host 2001:db8:1::20', ['rst6']],
  ['dst host 2001:db8:1::20', ['syn6']],
  ['host 2001:db8::10 and host 2001:db8:1::20', ['syn6', 'rst6']],
  ['net 203.0.113.0/24', ['syn4', 'synack4', 'unreach4']],
  ['net 203.0.113', ['syn4', 'synack4', 'unreach4']],
  ['net 203.0.113.0 mask 255.255.255.0', ['syn4', 'synack4', 'unreach4']],
  ['src net 198.51.100.0/24', ['syn4', 'dns4']],
  ['net 198.51', V4],
  ['net 2001:db8:1::/48', ['syn6', 'rst6', 'unreach6']],
  ['dst net 2001:db8:1::/48', ['syn6']],
  ['net 2001:db8::/32', V6],
  ['ip6 net ::/0', V6],
  ['port 8080', ['syn4', 'synack4']],
  ['tcp port 443', ['syn6', 'rst6']],
  ['udp port 443', []],
  ['port 53', ['dns4', 'dns6']],
  ['udp port domain', ['dns4', 'dns6']],
  ['tcp port 53', []],
  ['src port 8080', ['synack4']],
  ['dst port 8080', ['syn4']],
  ['tcp dst port https', ['syn6']],
  ['portrange 400-450', ['syn6', 'rst6']],
  ['portrange 41000-40000', ['syn4', 'synack4', 'syn6', 'rst6']],
  ['tcp src portrange 8000-8999', ['synack4']],
  ['port 8080 or 443', ['syn4', 'synack4', 'syn6', 'rst6']],
  ['not tcp', ['dns4', 'dns6', 'unreach4', 'unreach6']],
  ['! tcp && ! udp', ['unreach4', 'unreach6']],
  ['tcp and not port 8080', ['syn6', 'rst6']],
  ['(tcp or icmp) and host 198.51.100.10', ['syn4', 'synack4', 'unreach4']],
  ['tcp or icmp and host 198.51.100.10', ['syn4', 'synack4', 'unreach4']],
  ['host 198.51.100.10 or host 2001:db8::10 and tcp', ['syn4', 'synack4', 'syn6', 'rst6']],
  ['tcp[tcpflags] & tcp-syn != 0', ['syn4', 'synack4', 'syn6']],
  ['tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn', ['syn4', 'syn6']],
  ['tcp[13] & tcp-rst != 0', ['rst6']],
  ['tcp[13] != 2', ['synack4', 'rst6']],
  ['tcp[0:2] = 8080 or tcp[2:2] = 8080', ['syn4', 'synack4']],
  ['tcp[12] >> 4 > 5', ['syn4']],
  ['icmp[icmptype] = icmp-unreach and icmp[icmpcode] = 13', ['unreach4']],
  ['icmp6[icmp6type] = icmp6-destinationunreach', ['unreach6']],
  ['udp[2:2] = 53', ['dns4', 'dns6']],
  ['ip[9] = 17', ['dns4']],
  ['ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) == 0', ['syn4', 'synack4']],
  ['ip6[6] = 58', ['unreach6']],
  ['ip[8] = 64 and ip6[7] = 64', []],
  ['ip proto \\udp', ['dns4']],
  ['ip6 proto \\tcp', ['syn6', 'rst6']],
  ['proto 17', ['dns4', 'dns6']],
  ['ether proto \\ip6', V6],
  ['ether proto 0x0800', V4],
  ['1 = 1', [...V4, ...V6]],
  ['2 + 3 * 4 = 14 and not 1 = 2', [...V4, ...V6]],
  ['ip[0] & 0xf0 = 0x40 or ip6[0] >> 4 = 6', [...V4, ...V6]],
];

for (const link of Object.keys(LINKS)) {
  test(`primitives on ${link}`, () => {
    for (const [expr, want] of EXPECT) {
      const f = compileFilter(expr);
      for (const name of Object.keys(PACKETS)) {
        const fr = frameOf(link, name);
        if (!fr) continue;
        assert.equal(match(f, fr), want.includes(name), `${link}: '${expr}' on ${name}`);
      }
    }
  });
}

test('vlan: any tag, transparent to everything else', () => {
  const cases: [string, string[]][] = [
    ['vlan', ['vlan', 'qinq', 'vxlan']],
    ['vlan 100', ['vlan']],
    ['vlan 300', ['qinq']],
    ['vlan 200 and vlan 300', ['qinq']],
    ['vlan 77', ['vxlan']],
    ['not vlan', ['ethernet', 'mpls', 'sll', 'gre']],
    ['vlan and tcp port 8080', ['vlan', 'qinq', 'vxlan']],
  ];
  for (const [expr, links] of cases) {
    const f = compileFilter(expr);
    for (const link of ['ethernet', 'vlan', 'qinq', 'mpls', 'sll', 'gre', 'vxlan']) {
      assert.equal(match(f, frameOf(link, 'syn4')!), links.includes(link), `'${expr}' on ${link}`);
    }
  }
});

test('tunnels: the inner packet is tested, its outer headers are not', () => {
  for (const link of ['gre', 'vxlan']) {
    const fr = frameOf(link, 'syn6')!;
    for (const [expr, want] of [
      ['ip6 and tcp port 443', true], ['host 2001:db8::10', true], ['host 192.0.2.1', false], ['ip', false],
      ['udp port 4789', false], ['proto 47', false],
    ] as const) assert.equal(match(compileFilter(expr), fr), want, `'${expr}' on ${link}`);
  }
});

test('ether host/src/dst and ether proto on Ethernet; no Ethernet addresses elsewhere', () => {
  const eth = frameOf('ethernet', 'syn4')!;
  const tagged = frameOf('vlan', 'syn4')!;
  for (const fr of [eth, tagged]) {
    assert.equal(match(compileFilter(`ether host ${MAC_CLIENT}`), fr), true);
    assert.equal(match(compileFilter(`ether src ${MAC_CLIENT}`), fr), true);
    assert.equal(match(compileFilter(`ether dst ${MAC_CLIENT}`), fr), false);
    assert.equal(match(compileFilter(`ether dst ${MAC_SERVER}`), fr), true);
    assert.equal(match(compileFilter('ether host 00-00-5e-00-53-02'), fr), true);
    assert.equal(match(compileFilter('ether host 0000.5e00.5302'), fr), true);
    assert.equal(match(compileFilter('ether src 0:0:5e:0:53:1 and ether dst 0:0:5e:0:53:2'), fr), true);
  }
  assert.equal(match(compileFilter(`ether host ${MAC_CLIENT}`), frameOf('sll', 'syn4')!), false);
  assert.equal(match(compileFilter('ether[12:2] = 0x8100'), tagged), true);
  assert.equal(match(compileFilter('ether[0] = 0 and ether[5] = 2'), eth), true);
});

test('less, greater and len use the length on the wire', () => {
  const fr = frameOf('ethernet', 'syn4')!; // 14 + 20 + 24 = 58 bytes
  assert.equal(fr.bytes.length, 58);
  const cut = (expr: string, caplen: number): boolean => compileFilter(expr).matchesFrame(fr.bytes, 0, caplen, 58, fr.linkType);
  for (const [expr, want] of [['less 58', true], ['less 57', false], ['greater 58', true], ['greater 59', false], ['len = 58', true], ['len - 14 > 40', true]] as const) {
    assert.equal(cut(expr, 58), want, expr);
    // A snap length does not change the wire length.
    assert.equal(cut(expr, 40), want, `${expr} (cut)`);
  }
});

test('ARP: host and net look into ARP as in tcpdump; ip host does not', () => {
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(1, 0);
  arp.writeUInt16BE(0x0800, 2);
  arp[4] = 6;
  arp[5] = 4;
  arp.writeUInt16BE(1, 6);
  macBytes(MAC_CLIENT).copy(arp, 8);
  Buffer.from([198, 51, 100, 10]).copy(arp, 14);
  Buffer.from([198, 51, 100, 1]).copy(arp, 24);
  const fr = { linkType: LinkType.ETHERNET, bytes: ethernet({ etherType: 0x0806, dst: 'ff:ff:ff:ff:ff:ff' }, arp) };
  for (const [expr, want] of [
    ['arp', true], ['rarp', false], ['ip', false], ['host 198.51.100.1', true], ['dst host 198.51.100.1', true],
    ['src host 198.51.100.1', false], ['arp host 198.51.100.10', true], ['ip host 198.51.100.10', false],
    ['net 198.51.100.0/24', true], ['ether proto \\arp', true], ['tcp or udp', false], ['not tcp', true],
  ] as const) assert.equal(match(compileFilter(expr), fr), want, expr);
});

test('a read past the captured bytes rejects the packet, wherever it is in the expression', () => {
  const fr = frameOf('ethernet', 'syn4')!;
  const at = (expr: string, caplen: number): boolean => match(compileFilter(expr), fr, caplen);
  // 14 + 20 + 2: the source port only.
  assert.equal(at('tcp', 36), true);
  assert.equal(at('src port 40000', 36), true);
  assert.equal(at('port 40000', 36), true, 'the source port matches before the destination is read');
  assert.equal(at('port 8080', 36), false);
  assert.equal(at('not port 8080', 36), false, 'the destination port is not there: rejected, as by BPF');
  assert.equal(at('not port 8080 or tcp', 36), false);
  assert.equal(at('tcp or not port 8080', 36), true, 'tcp decides before the port is read');
  // tcp[13] is byte 14 + 20 + 13 = 47 of the frame.
  assert.equal(at('tcp[13] & 2 != 0', 48), true);
  assert.equal(at('not tcp[13] & 2 != 0', 48), false);
  assert.equal(at('tcp[13] & 2 != 0', 47), false);
  assert.equal(at('not tcp[13] & 2 != 0', 47), false);
  // Cut inside the IPv4 header: the protocol byte (offset 23) is there, the addresses are not.
  assert.equal(at('ip', 24), true);
  assert.equal(at('tcp', 24), true);
  assert.equal(at('host 198.51.100.10', 24), false);
  assert.equal(at('not host 198.51.100.10', 24), false);
  assert.equal(at('tcp', 23), false);
  assert.equal(at('not tcp', 23), false);
  assert.equal(at('not udp', 23), false);
  // Cut inside the Ethernet header.
  assert.equal(at('not ip', 10), false);
  assert.equal(at('less 100', 10), true);
  // IPv6 cut inside the source address: its first word is there.
  const v6 = frameOf('ethernet', 'syn6')!;
  const at6 = (expr: string, caplen: number): boolean => match(compileFilter(expr), v6, caplen);
  assert.equal(at6('ip6', 30), true);
  assert.equal(at6('tcp', 30), true);
  assert.equal(at6('src net 2001:db8::/32', 30), true);
  assert.equal(at6('not src net 2001:db8::/32', 30), false);
  assert.equal(at6('src host 2001:db8::10', 30), false);
  assert.equal(at6('not src host 2001:db8::10', 30), false);
  assert.equal(at6('src host 2001:db9::10', 30), false, 'the first word differs: no further read');
  assert.equal(at6('not src host 2001:db9::10', 30), true);
});

test('arithmetic: unsigned 32-bit, division by zero rejects, shifts by 32 or more give 0', () => {
  const fr = frameOf('ethernet', 'syn4')!;
  for (const [expr, want] of [
    ['ip[0] - 0x46 = 0xffffffff', true], ['-1 = 0xffffffff', true], ['0 - 1 > 0', true],
    ['ip[0] * 0x10000000 = 0x50000000', true], ['ip[0] / 2 = 34', true], ['ip[0] % 16 = 5', true],
    ['ip[0] ^ 0x45 = 0', true], ['ip[0] | 0x0f = 0x4f', true], ['ip[0] << 32 = 0', true], ['ip[0] >> ip[0] = 0', true],
    ['tcp[0] / (tcp[1] - tcp[1]) = 0', false], ['not tcp[0] / (tcp[1] - tcp[1]) = 0', false],
    ['ip[0:4] = 0x4500002c', true], ['ip[2:2] = 44', true], ['ip[100000] = 0', false], ['not ip[100000] = 0', false],
    ['tcp[13] = 2 and udp[0] = 0', false], ['not udp[0] = 0', true],
  ] as const) assert.equal(match(compileFilter(expr), fr), want, expr);
});

test('fragments: only the first carries ports and transport bytes; tcp matches every fragment', () => {
  const later = ipv4({ src: C4, dst: S4, proto: 6, fragOffset: 24, moreFragments: false }, tcp({ sport: 6666, dport: 8080, seq: 1, flags: 'S' }, { srcIp: C4, dstIp: S4 }));
  const fr = { linkType: LinkType.ETHERNET, bytes: ethernet({}, later) };
  for (const [expr, want] of [['tcp', true], ['host 198.51.100.10', true], ['port 8080', false], ['not port 8080', true], ['tcp[13] & 2 != 0', false], ['not tcp[13] & 2 != 0', true]] as const) {
    assert.equal(match(compileFilter(expr), fr), want, expr);
  }
  const later6 = ipv6({ src: C6, dst: S6, nextHeader: 6, extHeaders: [{ type: 44, offset: 1232, id: 9 }] }, Buffer.alloc(40, 0x11));
  const fr6 = { linkType: LinkType.ETHERNET, bytes: ethernet({}, later6) };
  for (const [expr, want] of [['tcp', true], ['ip6 proto 44', true], ['port 4369', false], ['ip6 proto 6', true]] as const) {
    assert.equal(match(compileFilter(expr), fr6), want, expr);
  }
});

test('IPv6 extension headers are walked (tcp, port); proto of an extension header compares the header field', () => {
  const pkt = ipv6({ src: C6, dst: S6, nextHeader: 6, extHeaders: [{ type: 0 }, { type: 60 }] }, tcp({ sport: 41000, dport: 443, seq: 1, flags: 'S' }, { srcIp: C6, dstIp: S6 }));
  const fr = { linkType: LinkType.ETHERNET, bytes: ethernet({}, pkt) };
  for (const [expr, want] of [['tcp', true], ['tcp port 443', true], ['tcp[13] & 2 != 0', true], ['ip6 proto 0', true], ['ip6 proto 60', false], ['ip6 proto 6', true], ['ip6[6] = 0', true]] as const) {
    assert.equal(match(compileFilter(expr), fr), want, expr);
  }
});

test('matches(rec, p) and matchesDecoded() decide as matchesFrame() on an offset inside a larger buffer', () => {
  const f = compileFilter('tcp dst port 8080 and src net 198.51.100.0/24');
  const frame = frameOf('vlan', 'syn4')!.bytes;
  const buf = Buffer.concat([Buffer.alloc(100, 0xee), frame, Buffer.alloc(50, 0xee)]);
  const rec = new CaptureRecord();
  rec.buf = buf;
  rec.off = 100;
  rec.caplen = frame.length;
  rec.origLen = frame.length;
  rec.linkType = LinkType.ETHERNET;
  const p = new Decoder().decode(rec.buf, rec.off, rec.caplen, rec.origLen, rec.linkType);
  assert.equal(f.matches(rec, p), true);
  assert.equal(f.matchesDecoded(buf, 100, frame.length, frame.length, LinkType.ETHERNET, p), true);
  assert.equal(compileFilter('tcp dst port 8081').matches(rec, p), false);
  // Raw IP at buffer offset 0 and at an offset: the IP header's position comes from the decoder either way.
  const raw = PACKETS.syn6;
  const inBig = Buffer.concat([Buffer.alloc(7), raw]);
  const g = compileFilter('ip6 and src host 2001:db8::10 and tcp dst port 443');
  assert.equal(g.matchesFrame(raw, 0, raw.length, raw.length, LinkType.RAW), true);
  assert.equal(g.matchesFrame(inBig, 7, raw.length, raw.length, LinkType.RAW), true);
  assert.equal(g.matchesFrame(raw, 0, 30, raw.length, LinkType.RAW), false);
});

test('the empty expression matches everything', () => {
  for (const e of ['', '   ']) {
    const f = compileFilter(e);
    assert.equal(f.matchesAll, true);
    assert.equal(match(f, { linkType: LinkType.ETHERNET, bytes: Buffer.alloc(3) }), true);
  }
  assert.equal(compileFilter('tcp').matchesAll, false);
});

// ---------------------------------------------------------------------------
// parser
// ---------------------------------------------------------------------------

test('grouping and inherited qualifiers, as libpcap parses them', () => {
  const cases: [string, string][] = [
    ['tcp port 80', 'tcp port 80'],
    ['a or b', ''],
    ['tcp or udp and icmp', '((tcp or udp) and icmp)'],
    ['tcp and udp or icmp', '((tcp and udp) or icmp)'],
    ['not tcp and udp', '(not tcp and udp)'],
    ['!(tcp || udp) && icmp', '(not (tcp or udp) and icmp)'],
    ['port 80 or 443', '(port 80 or port 443)'],
    ['tcp dst port 80 or 8080 or 443', '((tcp dst port 80 or tcp dst port 8080) or tcp dst port 443)'],
    ['port 80 and not 443', '(port 80 and not port 443)'],
    ['host 198.51.100.1 or 203.0.113.2', '(host 198.51.100.1 or host 203.0.113.2)'],
    ['src host 198.51.100.1 and (203.0.113.2 or 203.0.113.3)', '(src host 198.51.100.1 and (src host 203.0.113.2 or src host 203.0.113.3))'],
    ['host (198.51.100.1 or 2001:db8::1)', '(host 198.51.100.1 or host 2001:db8::1)'],
    ['port 80 or (tcp) or 443', '((port 80 or tcp) or port 443)'],
    ['dst port 80 or src 443', '(dst port 80 or src host 0.0.1.187)'],
    ['src or dst host 198.51.100.1', 'host 198.51.100.1'],
    ['src and dst net 10', 'src and dst net 10.0.0.0/8'],
    ['net 172.16', 'net 172.16.0.0/16'],
    ['net 256', 'net 1.0.0.0/16'],
    ['host 10', 'host 0.0.0.10'],
    ['host 010.0.0.1', 'host 10.0.0.1'],
    ['host 0x0a000001', 'host 10.0.0.1'],
    ['net 10.0.0.0 mask 255.0.255.0', 'net 10.0.0.0 mask 255.0.255.0'],
    ['ip host 198.51.100.1', 'ip host 198.51.100.1'],
    ['portrange 90-80', 'portrange 80-90'],
    ['port http or https', '(port 80 or port 443)'],
    ['less 100', 'len <= 100'],
    ['ip[0] & ip[1] ^ ip[2] = 1', '(ip[0] & (ip[1] ^ ip[2])) = 1'],
    ['ip[0] ^ ip[1] & ip[2] = 1', '(ip[0] ^ (ip[1] & ip[2])) = 1'],
    ['ip[0] - ip[1] - ip[2] = 1', '((ip[0] - ip[1]) - ip[2]) = 1'],
    ['ip[0] << ip[1] + ip[2] = 1', '(ip[0] << (ip[1] + ip[2])) = 1'],
    ['ip[0] | ip[1] & ip[2] = 1', '(ip[0] | (ip[1] & ip[2])) = 1'],
    ['-ip[0] * 2 = 1', '(-ip[0] * 2) = 1'],
    ['(len - 14) / 4 > 10', '((len - 14) / 4) > 10'],
    ['(tcp[13] & 2 != 0)', '(tcp[13] & 2) != 0'],
    ['tcp[tcpflags] & (tcp-syn|tcp-ack) != 0', '(tcp[13] & (2 | 16)) != 0'],
    ['icmp[icmptype] = icmp-echo', 'icmp[0] = 8'],
    ['ip[0:4] = 010', 'ip[0:4] = 8'],
    ['ip proto \\tcp or proto 17', '(ip proto 6 or proto 17)'],
    ['ether proto \\ip6', 'ether proto 0x86dd'],
    ['vlan 100 and vlan', '(vlan 100 and vlan)'],
  ];
  for (const [expr, want] of cases) {
    if (want === '') continue;
    assert.equal(compileFilter(expr).canonical, want, expr);
  }
});

test('errors: ERR_USAGE, one line, with the column and the token', () => {
  const cases: [string, RegExp][] = [
    ['gateway 1.2.3.4', /^filter: unsupported keyword 'gateway' at column 1; supported: host, net, mask, port, portrange, src, dst, proto, ether, ip, ip6,/],
    ['tcp and gateway 1.2.3.4', /unsupported keyword 'gateway' at column 9/],
    ['ip broadcast', /unsupported keyword 'broadcast' at column 4/],
    ['ip6 protochain 6', /unsupported keyword 'protochain' at column 5/],
    ['tcp port 80 udp', /missing 'and' or 'or' before 'udp' at column 13/],
    ['host 198.51.100.1 port 80', /missing 'and' or 'or' before 'port' at column 19/],
    ['(tcp) (udp)', /missing 'and' or 'or' before '\(' at column 7/],
    ['tcp or 80', /'80' at column 8 has no qualifier/],
    ['(tcp) or 443', /'443' at column 10 has no qualifier/],
    ['198.51.100.1', /'198.51.100.1' at column 1 has no qualifier/],
    ['vlan 100 or 200', /'200' at column 13 has no qualifier/],
    ['tcp and', /expected a term after 'and' at column 5/],
    ['not', /expected a term after 'not' at column 1/],
    ['and tcp', /expected a term before 'and' at column 1/],
    ['(tcp', /missing '\)' at the end/],
    ['tcp)', /'\)' at column 4 closes no '\('/],
    ['host example.com', /host names are not supported \('example.com' at column 6\)/],
    ['host', /expected an IPv4 or IPv6 address after 'host', found the end of the expression/],
    ['port', /expected a port number after 'port'/],
    ['port 99999', /port 99999 at column 6 is above 65535/],
    ['port nosuchservice', /unknown port 'nosuchservice' at column 6/],
    ['portrange 10-99999', /port 99999 at column 11 is above 65535/],
    ['ip port 80', /'ip' cannot qualify a port/],
    ['tcp host 198.51.100.1', /'tcp' cannot qualify the IPv4 host '198.51.100.1' at column 10/],
    ['ip host 2001:db8::1', /'ip' cannot qualify the IPv6 host '2001:db8::1' at column 9/],
    ['ip6 net 10.0.0.0/8', /'ip6' cannot qualify the IPv4 net/],
    ['net 10.0.0.1/8', /non-network bits set in '10.0.0.1\/8' at column 5/],
    ['net 2001:db8::1/32', /non-network bits set in '2001:db8::1\/32'/],
    ['net 10.0.0.0/33', /prefix length 33 at column 14 is above 32/],
    ['net 2001:db8::/129', /prefix length 129 at column 16 is above 128/],
    ['host 10.0.0.0/8', /a mask at column 14 is for networks/],
    ['host 1.2.3.256', /invalid IPv4 address '1.2.3.256' at column 6/],
    ['vlan 5000', /VLAN ID 5000 at column 6 is above 4095/],
    ['ip proto tcp', /'tcp' at column 10 is a keyword: write 'proto \\tcp'/],
    ['ip proto \\nosuch', /unknown IP protocol 'nosuch'/],
    ['tcp[13:3] = 1', /the size at column 8 must be 1, 2 or 4/],
    ['tcp[13 = 1', /expected '\]' to close 'tcp\[' at column 1/],
    ['ip[0] / 0 = 1', /division by zero in the comparison at column 1/],
    ['tcp and ip[1 % (2 - 2)] = 0', /division by zero in the comparison at column 9/],
    ['ip[0] 1', /expected a comparison/],
    ['arp[0] = 1', /'arp\[...\]' at column 1 is not supported/],
    ['ether 1', /'ether' at column 1 needs host, src, dst or proto/],
    ['ether host 198.51.100.1', /ether host needs a MAC address/],
    ['host 00:00:5e:00:53:01', /needs 'ether host'/],
    ['host 08', /number '08' at column 6 has a non-octal digit/],
    ['tcp $ udp', /unexpected character '\$' at column 5/],
    ['TCP', /'TCP' at column 1 has no qualifier/],
    ['mask 255.0.0.0', /'mask' at column 1 must follow a network address/],
  ];
  for (const [expr, re] of cases) {
    assert.throws(() => compileFilter(expr), (e: unknown) => {
      assert.ok(e instanceof SynscopeError, `${expr}: a SynscopeError`);
      assert.equal(e.code, 'ERR_USAGE');
      assert.ok(!e.message.includes('\n'), `${expr}: one line`);
      assert.match(e.message, re, expr);
      assert.match(e.message, /^filter: /);
      return true;
    }, expr);
  }
});

// ---------------------------------------------------------------------------
// tcpdump as the oracle
// ---------------------------------------------------------------------------

/** The oracle's expressions: every required primitive, with the fixtures' addresses and ports. */
const ORACLE: string[] = [
  'tcp', 'udp', 'icmp', 'icmp6', 'ip', 'ip6', 'ip6 and tcp', 'not ip and not ip6',
  'host 198.51.100.10', 'src host 198.51.100.10', 'dst host 203.0.113.20', 'host 2001:db8:2::20',
  'src host 2001:db8:1::10', 'dst host 2001:db8:1::20',
  'net 203.0.113.0/24', 'src net 198.51.100.0 mask 255.255.255.0', 'net 2001:db8:2::/48', 'dst net 2001:db8::/32', 'net 198.51',
  'port 8080', 'tcp port 8081', 'src port 8080', 'dst port 8081 or dst port 443', 'udp port 53', 'port 53',
  'portrange 8080-8089', 'tcp dst portrange 40000-60000',
  'tcp and not port 8080', 'not host 198.51.100.10 and not host 2001:db8:1::10', 'host 198.51.100.10 or 2001:db8:1::10',
  'port 8080 or 8081 and tcp', '(tcp or icmp) and not (src port 8080 or dst port 8080)', '!tcp && (udp || icmp6)',
  'vlan', 'vlan 100', 'less 80', 'greater 100 and tcp', 'len >= 74 and len <= 94',
  'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn', 'tcp[13] & 4 != 0', 'tcp[0:2] = 8080 or tcp[2:2] = 8080',
  'ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) == 0', 'udp[8:4] != 0 or sctp',
  'icmp[icmptype] = icmp-unreach', 'icmp6[icmp6type] == icmp6-destinationunreach', 'ip[8] < 64', 'ip6[7] = 64',
  'ip proto \\tcp', 'ip6 proto 58', 'proto 17', 'proto 0',
  'ether host 02:00:00:00:01:10', 'ether src 00:00:5e:00:53:01', 'ether proto 0x86dd', 'arp',
];
/** Run on the link types that have only a few crafted records (each tcpdump run costs 20-30 ms). */
const ORACLE_FEW = ['tcp', 'icmp6', 'ip', 'ip6', 'host 198.51.100.10', 'host 2001:db8:2::20', 'net 203.0.113.0/24',
  'port 8080', 'tcp port 80', 'not port 443', 'tcp[13] & 2 != 0', 'less 80', 'ip proto \\tcp', 'not ip and not ip6'];

function tcpdumpOrSkip(t: { skip: (why: string) => void }): boolean {
  if (haveTcpdump()) return true;
  // CI installs tcpdump (.ci/run): there the oracle must run.
  if (process.env.CI === 'true') assert.fail('tcpdump is not installed, and CI must run the filter oracle');
  t.skip('tcpdump is not installed: the oracle comparison needs it');
  return false;
}

test('oracle: every fixture record, decided as tcpdump decides (bar the documented differences)', { timeout: 300_000 }, async (t) => {
  if (!tcpdumpOrSkip(t)) return;
  const recs = await loadRecords('fixtures');
  assert.ok(recs.length > 30000, `fixture records read: ${recs.length}`);
  const groups = writeGroups(recs);
  const res = await runOracle(ORACLE, ORACLE_FEW, groups);
  const classes = [...res.byClass].map(([k, n]) => `${k}: ${n}`).join('; ');
  t.diagnostic(`${ORACLE.length} expressions over ${recs.length} records (${recs.filter((r) => r.plain).length} plain, ` +
    `${groups.inner.members.length} tagged or tunnelled compared as their inner packet) on ${groups.plain.length} link types: ` +
    `${res.agreed} of ${res.compared} decisions agree; documented differences: ${classes}`);
  for (const s of res.skipped) t.diagnostic(`not compared: ${s}`);
  const show = res.failures.slice(0, 20).map((d) => `'${d.expr}' on ${d.rec.file} frame ${d.rec.frame} (${d.how}): ours ${d.ours}, tcpdump ${d.tcpdump}`);
  assert.deepEqual(show, [], `${res.failures.length} disagreements`);
  // Everything the oracle skipped is tcpdump refusing `vlan` or Ethernet addresses on a link type without them.
  for (const s of res.skipped) assert.match(s, /no VLAN support|ethernet addresses supported only/);
  // The differences are the documented ones, and stay a small minority.
  assert.ok(res.compared - res.agreed < res.compared / 100, classes);
  // The ICMPv6 reports behind hop-by-hop headers in the real-kernel fixtures are in the first class.
  assert.ok((res.byClass.get('IPv6 extension headers walked') ?? 0) > 0);

  // The interpreter of native-notes.md (option b) runs tcpdump's programs to the same decisions.
  let checked = 0;
  for (const g of [...groups.plain.filter((x) => x.members.length >= 100), groups.inner]) {
    for (const expr of ORACLE) {
      const how = g === groups.inner ? 'inner' : 'plain';
      const sel = res.selections.get(`${expr}|${g.linkType}|${how}`);
      if (!sel) continue;
      const prog = compileBpf(expr, g.linkType);
      if (typeof prog === 'string') {
        assert.match(prog, /rejects all packets/);
        assert.equal(sel.size, 0);
        continue;
      }
      g.members.forEach((m, i) => {
        const got = runBpf(prog, m.data, 0, m.data.length, m.origLen) !== 0;
        assert.equal(got, sel.has(i + 1), `BPF interpreter: '${expr}' on link type ${g.linkType}, record ${i + 1}`);
        checked++;
      });
    }
  }
  t.diagnostic(`BPF interpreter: ${checked} decisions, all as tcpdump's`);
});

test('oracle: the hand-built packets of this file, on the link types tcpdump reads the same way', async (t) => {
  if (!tcpdumpOrSkip(t)) return;
  // Plain packets only (no tags, no tunnels): there tcpdump and synscope must agree exactly.
  const links = ['ethernet', 'sll', 'sll2', 'raw', 'null', 'loop'];
  let n = 0;
  for (const link of links) {
    for (const [expr] of EXPECT) {
      const lt = frameOf(link, 'syn4')!.linkType;
      const prog = compileBpf(expr, lt);
      if (typeof prog === 'string') continue;
      const f = compileFilter(expr);
      for (const name of Object.keys(PACKETS)) {
        const fr = frameOf(link, name)!;
        // tcpdump indexes tcp[] and udp[] in IPv4 only (a documented difference).
        if (/\b(tcp|udp)\[/.test(expr) && V6.includes(name)) continue;
        assert.equal(match(f, fr), runBpf(prog, fr.bytes, 0, fr.bytes.length, fr.bytes.length) !== 0, `${link}: '${expr}' on ${name}`);
        n++;
      }
    }
  }
  t.diagnostic(`${n} decisions as tcpdump's`);
});
