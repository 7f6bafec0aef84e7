/**
 * Writes hand-crafted edge-case captures into fixtures/crafted/ (or the
 * directory given as the first argument). Output is deterministic: fixed
 * timestamps, sequence numbers and addresses, so re-running it must not
 * change any file.
 *
 *   node dist/test/helpers/make-crafted.js [outdir]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PcapngWriter, PcapWriter } from '../../src/capture/writer.js';
import {
  AF_INET,
  AF_INET6_BSD,
  AF_INET6_DARWIN,
  AF_INET6_FREEBSD,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  MAC_CLIENT,
  MAC_SERVER,
  type EthernetOptions,
  type Ipv6ExtHeader,
  ethernet,
  fragmentIpv4,
  fragmentIpv6,
  icmpv4TimeExceeded,
  icmpv4Unreachable,
  icmpv6TimeExceeded,
  icmpv6Unreachable,
  ipTcp,
  ipv4,
  ipv6,
  isIpv6,
  nullLoop,
  sll,
  sll2,
  tcp,
  type TcpOptionsSpec,
} from './packets.js';
import { LinkType } from '../../src/model/linktypes.js';
import { ayiya, esp, fabricPath, gre, IPPROTO_ESP, IPPROTO_UDP, macsec, pbb, teredoOrigin, udp, withFcs } from './encap.js';
import { internetChecksum, ipv4Bytes } from './packets.js';


const C4 = '198.51.100.10';
const S4 = '203.0.113.20';
const C6 = '2001:db8::10';
const S6 = '2001:db8:1::20';
const ROUTER4 = '203.0.113.1';
const FIREWALL4 = '198.51.100.1';
const ROUTER6 = '2001:db8:1::1';
const FIREWALL6 = '2001:db8::1';

/** 2026-03-14T09:26:53Z; each file offsets from here. */
const BASE_SEC = Date.UTC(2026, 2, 14, 9, 26, 53) / 1000;

interface Ts {
  sec: number;
  nsec: number;
}

function ts(offsetNs: bigint | number): Ts {
  const total = BigInt(BASE_SEC) * 1_000_000_000n + BigInt(offsetNs);
  return { sec: Number(total / 1_000_000_000n), nsec: Number(total % 1_000_000_000n) };
}

function addNs(t: Ts, ns: number): Ts {
  return ts(BigInt(t.sec - BASE_SEC) * 1_000_000_000n + BigInt(t.nsec) + BigInt(ns));
}

/** One packet of a scenario: an IP packet plus who sent it, before link framing. */
interface IpPkt {
  t: Ts;
  ip: Buffer;
  fromClient: boolean;
}

interface ConnOpts {
  client: string;
  server: string;
  cport: number;
  sport: number;
  isn: number;
  srvIsn: number;
  at: Ts;
  rttNs?: number;
  /** 'established': SYN, SYN-ACK, ACK; 'refused': SYN, RST-ACK. */
  outcome: 'established' | 'refused';
  ttl?: number;
}

function synOptions(v6: boolean, tsval: number, tsecr: number): TcpOptionsSpec {
  return { mss: v6 ? 1440 : 1460, sackOk: true, ts: [tsval, tsecr], wscale: 7 };
}

/** Client SYN as a bare IP packet. */
function synPacket(c: { client: string; server: string; cport: number; sport: number; isn: number; ttl?: number }): Buffer {
  return ipTcp({
    src: c.client,
    dst: c.server,
    sport: c.cport,
    dport: c.sport,
    seq: c.isn,
    flags: 'S',
    window: 64240,
    options: synOptions(isIpv6(c.client), c.isn ^ 0x5a5a5a5a, 0),
    ttl: c.ttl,
    id: c.cport, // deterministic yet distinct per connection
  });
}

function connection(c: ConnOpts): IpPkt[] {
  const rtt = c.rttNs ?? 12_345_678;
  const v6 = isIpv6(c.client);
  const tsC = c.isn ^ 0x5a5a5a5a;
  const tsS = c.srvIsn ^ 0x3c3c3c3c;
  const out: IpPkt[] = [{ t: c.at, ip: synPacket(c), fromClient: true }];
  const back = { src: c.server, dst: c.client, sport: c.sport, dport: c.cport, ttl: 57 };
  if (c.outcome === 'refused') {
    out.push({
      t: addNs(c.at, rtt),
      ip: ipTcp({ ...back, seq: 0, ack: c.isn + 1, flags: 'RA', window: 0, id: 0 }),
      fromClient: false,
    });
    return out;
  }
  out.push({
    t: addNs(c.at, rtt),
    ip: ipTcp({ ...back, seq: c.srvIsn, ack: c.isn + 1, flags: 'SA', window: 65160, options: synOptions(v6, tsS, tsC), id: 0 }),
    fromClient: false,
  });
  out.push({
    t: addNs(c.at, rtt + 87_321),
    ip: ipTcp({
      src: c.client,
      dst: c.server,
      sport: c.cport,
      dport: c.sport,
      seq: c.isn + 1,
      ack: c.srvIsn + 1,
      flags: 'A',
      window: 502,
      options: { ts: [tsC + 13, tsS] },
      id: c.cport + 1,
    }),
    fromClient: true,
  });
  return out;
}

function ethFrame(p: IpPkt, extra: EthernetOptions = {}): Buffer {
  return ethernet({ src: p.fromClient ? MAC_CLIENT : MAC_SERVER, dst: p.fromClient ? MAC_SERVER : MAC_CLIENT, ...extra }, p.ip);
}

interface Frame {
  t: Ts;
  data: Buffer;
  origLen?: number;
}

function writePcap(
  name: string,
  linkType: number,
  frames: Frame[],
  opts: { snaplen?: number; nanosecond?: boolean; bigEndian?: boolean } = {},
): Buffer {
  const w = new PcapWriter({ linkType, ...opts });
  for (const f of frames) w.writePacket(f.t.sec, f.t.nsec, f.data, f.origLen);
  return save(name, w.toBuffer());
}

let outDir = '';
const written: string[] = [];

function save(name: string, data: Buffer): Buffer {
  writeFileSync(join(outDir, name), data);
  written.push(`${name} (${data.length} bytes)`);
  return data;
}

/** Common mixed scenario: an IPv4 handshake and a refused IPv6 connection. */
function mixedScenario(startNs: number): IpPkt[] {
  return [
    ...connection({ client: C4, server: S4, cport: 40001, sport: 443, isn: 0x1a2b3c4d, srvIsn: 0x5e6f7081, at: ts(startNs), outcome: 'established' }),
    ...connection({ client: C6, server: S6, cport: 40002, sport: 8443, isn: 0x01020304, srvIsn: 0, at: ts(startNs + 250_000_000), outcome: 'refused' }),
  ];
}

// ---------------------------------------------------------------------------
// files
// ---------------------------------------------------------------------------

function vlanMpls(): void {
  const frames: Frame[] = [];
  const add = (pkts: IpPkt[], eth: EthernetOptions): void => {
    for (const p of pkts) frames.push({ t: p.t, data: ethFrame(p, eth) });
  };
  add(connection({ client: C4, server: S4, cport: 41001, sport: 443, isn: 1000001, srvIsn: 2000001, at: ts(1e9), outcome: 'established' }), { vlans: [100] });
  add(connection({ client: C6, server: S6, cport: 41002, sport: 443, isn: 1000002, srvIsn: 2000002, at: ts(2e9), outcome: 'established' }), { vlans: [200, 300] });
  add(connection({ client: C4, server: S4, cport: 41003, sport: 8080, isn: 1000003, srvIsn: 0, at: ts(3e9), outcome: 'refused' }), { mpls: [16001, 16002] });
  add(connection({ client: C6, server: S6, cport: 41004, sport: 443, isn: 1000004, srvIsn: 2000004, at: ts(4e9), outcome: 'established' }), { mpls: [16001, 16002] });
  add(connection({ client: C6, server: S6, cport: 41005, sport: 25, isn: 1000005, srvIsn: 0, at: ts(5e9), outcome: 'refused' }), { vlans: [100], mpls: [17001, 17002] });
  writePcap('vlan-mpls.pcap', LinkType.ETHERNET, frames);
}

function cooked(): void {
  const pkts = mixedScenario(10e9);
  // Packet type 4 = sent by us, 0 = addressed to us, as on the capturing client.
  writePcap('sll.pcap', LinkType.LINUX_SLL, pkts.map((p) => ({ t: p.t, data: sll({ packetType: p.fromClient ? 4 : 0, addr: p.fromClient ? MAC_CLIENT : MAC_SERVER }, p.ip) })));
  writePcap('sll2.pcap', LinkType.LINUX_SLL2, pkts.map((p) => ({ t: p.t, data: sll2({ packetType: p.fromClient ? 4 : 0, addr: p.fromClient ? MAC_CLIENT : MAC_SERVER, ifIndex: 3 }, p.ip) })));
}

function nullAndLoop(): void {
  const pkts = [
    ...connection({ client: C4, server: S4, cport: 40101, sport: 443, isn: 0x2a2b3c4d, srvIsn: 0x6e6f7081, at: ts(20e9), outcome: 'established' }),
    ...connection({ client: C6, server: S6, cport: 40102, sport: 443, isn: 0x11020304, srvIsn: 0x21020304, at: ts(20.25e9), outcome: 'established' }),
  ];
  // All three BSD AF_INET6 values, one per IPv6 packet, so readers must accept each.
  const v6Families = [AF_INET6_BSD, AF_INET6_FREEBSD, AF_INET6_DARWIN];
  let i = 0;
  const family = (p: IpPkt): number => (isIpv6Packet(p.ip) ? v6Families[i++ % v6Families.length]! : AF_INET);
  writePcap('null.pcap', LinkType.NULL, pkts.map((p) => ({ t: p.t, data: nullLoop(family(p), p.ip) })));
  i = 0;
  writePcap('loop.pcap', LinkType.LOOP, pkts.map((p) => ({ t: p.t, data: nullLoop(family(p), p.ip, { loop: true }) })));
}

function isIpv6Packet(ip: Buffer): boolean {
  return ip[0]! >> 4 === 6;
}

function rawIp(): void {
  const mixed = mixedScenario(30e9);
  writePcap('raw.pcap', LinkType.RAW, mixed.map((p) => ({ t: p.t, data: p.ip })));
  writePcap('raw-dlt12.pcap', LinkType.RAW_ALIAS_12, mixed.map((p) => ({ t: p.t, data: p.ip })));
  const v4 = [
    ...connection({ client: C4, server: S4, cport: 42001, sport: 443, isn: 3000001, srvIsn: 4000001, at: ts(31e9), outcome: 'established' }),
    ...connection({ client: C4, server: S4, cport: 42002, sport: 22, isn: 3000002, srvIsn: 0, at: ts(32e9), outcome: 'refused' }),
  ];
  writePcap('raw-ipv4.pcap', LinkType.IPV4, v4.map((p) => ({ t: p.t, data: p.ip })));
  const v6 = [
    ...connection({ client: C6, server: S6, cport: 42003, sport: 443, isn: 3000003, srvIsn: 4000003, at: ts(33e9), outcome: 'established' }),
    ...connection({ client: C6, server: S6, cport: 42004, sport: 22, isn: 3000004, srvIsn: 0, at: ts(34e9), outcome: 'refused' }),
  ];
  writePcap('raw-ipv6.pcap', LinkType.IPV6, v6.map((p) => ({ t: p.t, data: p.ip })));
}

/** Router Alert (RFC 2711) is the one hop-by-hop option routers actually see. */
const HBH_ROUTER_ALERT = Buffer.from([0x05, 0x02, 0x00, 0x00]);
/** An unknown destination option with "skip" semantics (type 0x1e: top bits 00). */
const DST_OPT_UNKNOWN = Buffer.from([0x1e, 0x02, 0xbe, 0xef]);

function ipv6Ext(): void {
  const t0 = ts(40e9);
  const frames: Frame[] = [];
  const isn = 5000001;
  const srvIsn = 6000001;
  const tsC = isn ^ 0x5a5a5a5a;
  const tsS = srvIsn ^ 0x3c3c3c3c;
  // SYN with 64 bytes of TFO-style data, so the fragmentable part does not fit
  // one fragment: the first fragment (offset 0, M=1) still carries the whole
  // TCP header; the second one has only data.
  const synSeg = tcp(
    {
      sport: 43001,
      dport: 443,
      seq: isn,
      flags: 'S',
      window: 64240,
      options: synOptions(true, tsC, 0),
      payload: Buffer.alloc(64, 0x61),
    },
    { srcIp: C6, dstIp: S6 },
  );
  // Fragmentable part: AH + destination options + TCP, as RFC 8200 orders them.
  const fragmentable = ipv6({ src: C6, dst: S6, nextHeader: IPPROTO_TCP, extHeaders: [{ type: 51, spi: 0x1000, seq: 1 }, { type: 60, options: DST_OPT_UNKNOWN }] }, synSeg).subarray(40);
  const unfragmentable: Ipv6ExtHeader[] = [
    { type: 0, options: HBH_ROUTER_ALERT },
    { type: 43, routingType: 0, segmentsLeft: 0, addresses: ['2001:db8:ffff::1'] },
  ];
  const frags = fragmentIpv6({ src: C6, dst: S6, extHeaders: unfragmentable }, 51, fragmentable, 88, 0x1001);
  frags.forEach((f, i) => frames.push({ t: addNs(t0, i * 1000), data: ethernet({ src: MAC_CLIENT, dst: MAC_SERVER }, f) }));

  const back = { src: S6, dst: C6, nextHeader: IPPROTO_TCP, hopLimit: 57 };
  const synAck = tcp({ sport: 443, dport: 43001, seq: srvIsn, ack: isn + 1 + 64, flags: 'SA', window: 65160, options: synOptions(true, tsS, tsC) }, { srcIp: S6, dstIp: C6 });
  frames.push({ t: addNs(t0, 9_000_000), data: ethernet({ src: MAC_SERVER, dst: MAC_CLIENT }, ipv6({ ...back, extHeaders: [{ type: 0, options: HBH_ROUTER_ALERT }, { type: 60, options: DST_OPT_UNKNOWN }] }, synAck)) });
  const ack = tcp({ sport: 43001, dport: 443, seq: isn + 1 + 64, ack: srvIsn + 1, flags: 'A', window: 502, options: { ts: [tsC + 9, tsS] } }, { srcIp: C6, dstIp: S6 });
  frames.push({ t: addNs(t0, 9_100_000), data: ethernet({ src: MAC_CLIENT, dst: MAC_SERVER }, ipv6({ src: C6, dst: S6, nextHeader: IPPROTO_TCP, extHeaders: [{ type: 51, spi: 0x1000, seq: 2 }] }, ack)) });

  // Second connection: an atomic fragment (offset 0, M=0, RFC 6946) behind a
  // routing header, refused.
  const syn2 = tcp({ sport: 43002, dport: 8443, seq: 5000002, flags: 'S', window: 64240, options: synOptions(true, 5000002, 0) }, { srcIp: C6, dstIp: S6 });
  frames.push({
    t: ts(41e9),
    data: ethernet({ src: MAC_CLIENT, dst: MAC_SERVER }, ipv6({ src: C6, dst: S6, nextHeader: IPPROTO_TCP, extHeaders: [{ type: 43, addresses: [] }, { type: 44, offset: 0, more: false, id: 0x1002 }] }, syn2)),
  });
  const rst2 = tcp({ sport: 8443, dport: 43002, seq: 0, ack: 5000003, flags: 'RA', window: 0 }, { srcIp: S6, dstIp: C6 });
  frames.push({ t: ts(41e9 + 10_000_000), data: ethernet({ src: MAC_SERVER, dst: MAC_CLIENT }, ipv6(back, rst2)) });
  writePcap('ipv6-ext.pcap', LinkType.ETHERNET, frames);
}

/**
 * A data block that, if a reader wrongly parsed a non-first fragment as TCP,
 * would look like a SYN from port 6666 to 7777 (data offset 5, flags 0x02).
 */
function fakeSynHeader(): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(6666, 0);
  h.writeUInt16BE(7777, 2);
  h.writeUInt32BE(0xdeadbeef, 4);
  h[12] = 0x50;
  h[13] = 0x02;
  h.writeUInt16BE(1024, 14);
  return h;
}

function fragments(): void {
  const frames: Frame[] = [];
  const eth = (fromClient: boolean, ip: Buffer): Buffer =>
    ethernet({ src: fromClient ? MAC_CLIENT : MAC_SERVER, dst: fromClient ? MAC_SERVER : MAC_CLIENT }, ip);

  // IPv4: handshake, then a 1000-byte data segment in two fragments. The
  // second fragment starts 600 bytes into the TCP segment, exactly where the
  // fake SYN header sits in the payload.
  const c4 = { client: C4, server: S4, cport: 44001, sport: 443, isn: 7000001, srvIsn: 8000001 };
  for (const p of connection({ ...c4, at: ts(50e9), outcome: 'established' })) frames.push({ t: p.t, data: eth(p.fromClient, p.ip) });
  const tcpHdrLen = 32; // 20 + NOP NOP TS
  const data4 = Buffer.alloc(1000, 0x62);
  fakeSynHeader().copy(data4, 600 - tcpHdrLen);
  const seg4 = tcp(
    { sport: 44001, dport: 443, seq: c4.isn + 1, ack: c4.srvIsn + 1, flags: 'PA', window: 502, options: { ts: [c4.isn ^ 0x5a5a5a5b, c4.srvIsn ^ 0x3c3c3c3c] }, payload: data4 },
    { srcIp: C4, dstIp: S4 },
  );
  fragmentIpv4({ src: C4, dst: S4, proto: IPPROTO_TCP, id: 0x4401 }, seg4, 600).forEach((f, i) => frames.push({ t: ts(50.1e9 + i * 1000), data: eth(true, f) }));

  // IPv4 "tiny fragment" (RFC 1858): a SYN whose first fragment holds only
  // the ports and sequence number; the flags arrive in the second fragment.
  const syn4b = tcp({ sport: 44002, dport: 443, seq: 7000002, flags: 'S', window: 64240, options: synOptions(false, 7000002, 0) }, { srcIp: C4, dstIp: S4 });
  const tiny = { src: C4, dst: S4, proto: IPPROTO_TCP, id: 0x4402, df: false };
  frames.push({ t: ts(51e9), data: eth(true, ipv4({ ...tiny, moreFragments: true }, syn4b.subarray(0, 8))) });
  frames.push({ t: ts(51e9 + 1000), data: eth(true, ipv4({ ...tiny, fragOffset: 8 }, syn4b.subarray(8))) });

  // IPv6: handshake, then a data segment whose second fragment (non-zero
  // offset) again starts with the fake SYN header.
  const c6 = { client: C6, server: S6, cport: 44003, sport: 443, isn: 7000003, srvIsn: 8000003 };
  for (const p of connection({ ...c6, at: ts(52e9), outcome: 'established' })) frames.push({ t: p.t, data: eth(p.fromClient, p.ip) });
  const data6 = Buffer.alloc(1400, 0x63);
  fakeSynHeader().copy(data6, 1232 - tcpHdrLen);
  const seg6 = tcp(
    { sport: 44003, dport: 443, seq: c6.isn + 1, ack: c6.srvIsn + 1, flags: 'PA', window: 502, options: { ts: [c6.isn ^ 0x5a5a5a5b, c6.srvIsn ^ 0x3c3c3c3c] }, payload: data6 },
    { srcIp: C6, dstIp: S6 },
  );
  fragmentIpv6({ src: C6, dst: S6 }, IPPROTO_TCP, seg6, 1232, 0x6601).forEach((f, i) => frames.push({ t: ts(52.1e9 + i * 1000), data: eth(true, f) }));
  writePcap('fragments.pcap', LinkType.ETHERNET, frames);
}

function icmpQuote(): void {
  const frames: Frame[] = [];
  let n = 0;
  const emit = (at: Ts, fromClient: boolean, ip: Buffer): void => {
    frames.push({ t: at, data: ethernet({ src: fromClient ? MAC_CLIENT : MAC_SERVER, dst: fromClient ? MAC_SERVER : MAC_CLIENT }, ip) });
  };
  const case4 = (code: number | 'ttl', from: string, quoteBytes?: number): void => {
    const at = ts(60e9 + n * 1e9);
    const c = { client: C4, server: S4, cport: 45001 + n, sport: 443, isn: 9000001 + n, ttl: code === 'ttl' ? 1 : 64 };
    n++;
    const syn = synPacket(c);
    emit(at, true, syn);
    const icmp = code === 'ttl' ? icmpv4TimeExceeded(0, syn, quoteBytes) : icmpv4Unreachable(code, syn, quoteBytes);
    emit(addNs(at, 3_000_000), false, ipv4({ src: from, dst: C4, proto: IPPROTO_ICMP, ttl: 250, df: false }, icmp));
  };
  const case6 = (code: number | 'hop', from: string): void => {
    const at = ts(60e9 + n * 1e9);
    const c = { client: C6, server: S6, cport: 45001 + n, sport: 443, isn: 9000001 + n, ttl: code === 'hop' ? 1 : 64 };
    n++;
    const syn = synPacket(c);
    emit(at, true, syn);
    const ips = { srcIp: from, dstIp: C6 };
    const icmp = code === 'hop' ? icmpv6TimeExceeded(0, syn, ips) : icmpv6Unreachable(code, syn, ips);
    emit(addNs(at, 3_000_000), false, ipv6({ src: from, dst: C6, nextHeader: IPPROTO_ICMPV6, hopLimit: 250 }, icmp));
  };
  case4(1, ROUTER4); // host unreachable
  case4(3, S4); // port unreachable, sent by the host itself
  case4(10, ROUTER4, 20 + 8); // host administratively prohibited, RFC 792 minimum quote
  case4(13, FIREWALL4); // communication administratively prohibited
  case4('ttl', FIREWALL4); // time exceeded in transit
  case6(1, FIREWALL6); // administratively prohibited
  case6(3, ROUTER6); // address unreachable
  case6(4, S6); // port unreachable
  case6('hop', FIREWALL6); // hop limit exceeded
  writePcap('icmp-quote.pcap', LinkType.ETHERNET, frames);
}

function truncatedSnaplen(): void {
  const pkts: IpPkt[] = [
    ...connection({ client: C4, server: S4, cport: 46001, sport: 443, isn: 11000001, srvIsn: 12000001, at: ts(70e9), outcome: 'established' }),
    ...connection({ client: C4, server: S4, cport: 46002, sport: 8080, isn: 11000002, srvIsn: 0, at: ts(71e9), outcome: 'refused' }),
    ...connection({ client: C6, server: S6, cport: 46003, sport: 443, isn: 11000003, srvIsn: 12000003, at: ts(72e9), outcome: 'established' }),
  ];
  const frames = pkts.map((p) => ({ t: p.t, data: ethFrame(p) }));
  // 54 = Ethernet + IPv4 + bare TCP header: options are cut; IPv6 loses all of TCP.
  writePcap('truncated-snaplen.pcap', LinkType.ETHERNET, frames, { snaplen: 54 });
  // 40 leaves 6 bytes of TCP over IPv4: ports and half the sequence number.
  writePcap('truncated-snaplen40.pcap', LinkType.ETHERNET, frames, { snaplen: 40 });
}

function byteOrders(): void {
  // Sub-microsecond stamps make nanosecond handling visible.
  const pkts = [
    ...connection({ client: C4, server: S4, cport: 47001, sport: 443, isn: 13000001, srvIsn: 14000001, at: ts(80_123_456_789), rttNs: 1_000_001, outcome: 'established' }),
    ...connection({ client: C6, server: S6, cport: 47002, sport: 993, isn: 13000002, srvIsn: 0, at: ts(80_987_654_321), rttNs: 999, outcome: 'refused' }),
  ];
  const frames = pkts.map((p) => ({ t: p.t, data: ethFrame(p) }));
  writePcap('be-usec.pcap', LinkType.ETHERNET, frames, { bigEndian: true });
  writePcap('be-nsec.pcap', LinkType.ETHERNET, frames, { bigEndian: true, nanosecond: true });
  writePcap('le-nsec.pcap', LinkType.ETHERNET, frames, { nanosecond: true });
}

/** Private Enterprise Number 32473 is reserved for documentation (RFC 5612). */
const DOC_PEN = 32473;

function pcapng(): void {
  // multi-if: Ethernet at µs resolution, raw IP at ns resolution.
  {
    const w = new PcapngWriter();
    const eth0 = w.addInterface({ linkType: LinkType.ETHERNET, tsresol: 6, name: 'eth0' });
    const tun0 = w.addInterface({ linkType: LinkType.RAW, tsresol: 9, name: 'tun0' });
    const a = connection({ client: C4, server: S4, cport: 48001, sport: 443, isn: 15000001, srvIsn: 16000001, at: ts(90_000_000_123), outcome: 'established' });
    const b = connection({ client: C6, server: S6, cport: 48002, sport: 443, isn: 15000002, srvIsn: 16000002, at: ts(90_000_500_777), outcome: 'established' });
    w.writePacket(eth0, a[0]!.t.sec, a[0]!.t.nsec, ethFrame(a[0]!));
    w.writePacket(tun0, b[0]!.t.sec, b[0]!.t.nsec, b[0]!.ip);
    w.writePacket(eth0, a[1]!.t.sec, a[1]!.t.nsec, ethFrame(a[1]!));
    // Custom block (copiable, PEN-tagged) and a block type nobody defines:
    // readers must skip both.
    const custom = Buffer.alloc(4 + 11);
    custom.writeUInt32LE(DOC_PEN, 0);
    custom.write('synscope-x', 4, 'latin1');
    w.writeCustomBlock(0x00000bad, custom);
    w.writeCustomBlock(0x80000001, Buffer.from('unknown local block', 'latin1'));
    w.writePacket(tun0, b[1]!.t.sec, b[1]!.t.nsec, b[1]!.ip);
    w.writePacket(eth0, a[2]!.t.sec, a[2]!.t.nsec, ethFrame(a[2]!));
    w.writeObsoletePacket(tun0, b[2]!.t.sec, b[2]!.t.nsec, b[2]!.ip);
    // SPB: no timestamp, implicitly interface 0 (Ethernet). A refused SYN.
    const r = connection({ client: C4, server: S4, cport: 48003, sport: 8080, isn: 15000003, srvIsn: 0, at: ts(91e9), outcome: 'refused' });
    w.writeSimplePacket(ethFrame(r[0]!));
    w.writePacket(eth0, r[1]!.t.sec, r[1]!.t.nsec, ethFrame(r[1]!));
    save('multi-if.pcapng', w.toBuffer());
  }
  // be.pcapng: same content rules, big-endian section.
  {
    const w = new PcapngWriter({ bigEndian: true });
    const ifId = w.addInterface({ linkType: LinkType.ETHERNET, name: 'en0' });
    for (const p of mixedScenario(92e9)) w.writePacket(ifId, p.t.sec, p.t.nsec, ethFrame(p));
    save('be.pcapng', w.toBuffer());
  }
  // Two sections: interface ids restart at 0 in the second one, with a different link type.
  const twoSections = (bigEndianSecond: boolean): Buffer => {
    const w = new PcapngWriter();
    const e = w.addInterface({ linkType: LinkType.ETHERNET, name: 'eth0' });
    for (const p of connection({ client: C4, server: S4, cport: 49001, sport: 443, isn: 17000001, srvIsn: 18000001, at: ts(93e9), outcome: 'established' })) {
      w.writePacket(e, p.t.sec, p.t.nsec, ethFrame(p));
    }
    w.newSection({ bigEndian: bigEndianSecond });
    const r = w.addInterface({ linkType: LinkType.RAW, tsresol: 9, name: 'tun0' });
    for (const p of connection({ client: C6, server: S6, cport: 49002, sport: 443, isn: 17000002, srvIsn: 0, at: ts(94_000_000_001), outcome: 'refused' })) {
      w.writePacket(r, p.t.sec, p.t.nsec, p.ip);
    }
    return w.toBuffer();
  };
  save('two-sections.pcapng', twoSections(false));
  save('mixed-endian-sections.pcapng', twoSections(true));
  // Binary-fraction resolution plus a timestamp offset.
  {
    const w = new PcapngWriter();
    const ifId = w.addInterface({ linkType: LinkType.ETHERNET, tsresol: 0x80 | 20, tsoffset: 1000, name: 'eth0' });
    for (const p of connection({ client: C4, server: S4, cport: 49101, sport: 443, isn: 19000001, srvIsn: 20000001, at: ts(95_500_000_000), outcome: 'established' })) {
      w.writePacket(ifId, p.t.sec, p.t.nsec, ethFrame(p));
    }
    save('tsresol-pow2.pcapng', w.toBuffer());
  }
}

function truncatedFile(): void {
  const w = new PcapWriter({ linkType: LinkType.ETHERNET });
  for (const p of connection({ client: C4, server: S4, cport: 49201, sport: 443, isn: 21000001, srvIsn: 22000001, at: ts(96e9), outcome: 'established' })) {
    w.writePacket(p.t.sec, p.t.nsec, ethFrame(p));
  }
  const full = w.toBuffer();
  // Drop the last 10 bytes: the final record header is intact but its data is short.
  save('truncated-file.pcap', full.subarray(0, full.length - 10));
}

const README = `# Hand-crafted captures

Generated by \`test/helpers/make-crafted.ts\` (\`npm run build && node dist/test/helpers/make-crafted.js\`).
Deterministic: re-running must not change any byte. Timestamps are in March 2026
(base 2026-03-14T09:26:53Z). Addresses are documentation ranges only:
clients 198.51.100.10 / 2001:db8::10, servers 203.0.113.20 / 2001:db8:1::20,
routers/firewalls 203.0.113.1, 198.51.100.1, 2001:db8:1::1, 2001:db8::1,
MACs 00:00:5e:00:53:01 (client) / :02 (server).

"Handshake" = SYN, SYN-ACK, ACK with Linux-style options (MSS, SACK_PERM, TS,
WS). "Refused" = SYN, RST-ACK. Expected counts per file, as tshark sees them,
are in \`<file>.tshark.json\` (see fixtures/tshark-counts.sh).

| File | Link type | Contents |
|---|---|---|
| vlan-mpls.pcap | 1 Ethernet | IPv4 handshake in 802.1Q VLAN 100; IPv6 handshake in QinQ (outer 0x88a8 VID 200, inner 0x8100 VID 300); IPv4 refused under MPLS labels 16001/16002; IPv6 handshake under the same 2-label stack; IPv6 refused in VLAN 100 + MPLS 17001/17002 |
| sll.pcap | 113 Linux SLL | IPv4 handshake + IPv6 refused; client packets have packet type 4 (outgoing), server packets 0 |
| sll2.pcap | 276 Linux SLL2 | same as sll.pcap, ifindex 3 |
| null.pcap | 0 NULL | IPv4 handshake (family 2) + IPv6 handshake; family little-endian; the three IPv6 packets use 24, 28 and 30 in turn (every BSD AF_INET6 value must be accepted) |
| loop.pcap | 108 LOOP | as null.pcap, family in network byte order |
| raw.pcap | 101 RAW | IPv4 handshake + IPv6 refused |
| raw-dlt12.pcap | 12 (DLT_RAW on most BSDs/Linux) | same packets as raw.pcap |
| raw-ipv4.pcap | 228 IPV4 | IPv4 handshake + IPv4 refused |
| raw-ipv6.pcap | 229 IPV6 | IPv6 handshake + IPv6 refused |
| ipv6-ext.pcap | 1 Ethernet | IPv6 SYN carrying 64 data bytes behind hop-by-hop (Router Alert) + routing (type 0, segments left 0) + fragment (offset 0, M=1) + AH + destination options, whose second fragment (offset 88, data only) follows; SYN-ACK behind hop-by-hop + destination options; ACK behind AH; then a SYN behind routing + an atomic fragment header (offset 0, M=0) and its RST-ACK |
| fragments.pcap | 1 Ethernet | IPv4 handshake, then a 1000-byte PSH-ACK split into 2 fragments (MF, then offset 600); the second fragment's payload begins with bytes that look like a TCP SYN 6666->7777 and must NOT be decoded as TCP. An IPv4 "tiny fragment" SYN (first fragment has only 8 bytes of TCP: ports + seq; flags are in the offset-8 fragment). IPv6 handshake, then a 1400-byte PSH-ACK in 2 fragments (offset 0 M=1, then offset 1232 starting with the fake SYN) |
| icmp-quote.pcap | 1 Ethernet | 9 SYNs each followed by an ICMP error quoting it: ICMPv4 type 3 codes 1 (router), 3 (server), 10 (router; quotes only IP header + 8 bytes of TCP, the RFC 792 minimum), 13 (firewall); ICMPv4 type 11 code 0 (SYN sent with TTL 1); ICMPv6 type 1 codes 1, 3, 4; ICMPv6 type 3 code 0 (hop limit 1) |
| truncated-snaplen.pcap | 1 Ethernet, snaplen 54 | IPv4 handshake + IPv4 refused + IPv6 handshake; frames cut at 54 bytes (IPv4: TCP options lost; IPv6: no TCP at all) |
| truncated-snaplen40.pcap | 1 Ethernet, snaplen 40 | same packets cut at 40 bytes (IPv4: 6 bytes of TCP = ports + half of seq; IPv6: the IPv6 header itself is cut inside the source address) |
| be-usec.pcap | 1 Ethernet | big-endian classic pcap, µs; IPv4 handshake + IPv6 refused with sub-µs source timestamps (truncated to µs) |
| be-nsec.pcap | 1 Ethernet | same, big-endian, ns magic 0xa1b23c4d |
| le-nsec.pcap | 1 Ethernet | same, little-endian, ns |
| multi-if.pcapng | 1 + 101 | IDB 0 eth0 Ethernet if_tsresol 6, IDB 1 tun0 raw IP if_tsresol 9; IPv4 handshake on eth0 (EPBs) interleaved with an IPv6 handshake on tun0 (2 EPBs + its ACK as an OPB, drops_count 0xffff); a custom block (0x00000BAD, PEN 32473 = documentation PEN) and an unknown local block type 0x80000001 in the middle; an SPB (Ethernet SYN, no timestamp) and the RST-ACK as EPB. tshark 4.0 skips the 0x80000001 block but shows the custom block as a frame of its own ("nonPacketRecords": 1 in the JSON); it is not a packet |
| be.pcapng | 1 | big-endian section; IPv4 handshake + IPv6 refused |
| two-sections.pcapng | 1, then 101 | section 1: Ethernet IDB + IPv4 handshake; section 2: raw IP IDB (again interface 0, if_tsresol 9) + IPv6 refused |
| mixed-endian-sections.pcapng | 1, then 101 | as two-sections.pcapng but the second section is big-endian (allowed by the spec) |
| tsresol-pow2.pcapng | 1 | if_tsresol 0x94 (2^-20 s) and if_tsoffset 1000 s; IPv4 handshake |
| truncated-file.pcap | 1 | IPv4 handshake; the file ends 10 bytes short inside the last record's data (reader error path) |

Added later, written by a short script with \`PcapWriter\` and \`test/helpers/packets.ts\` (checked with tshark 4.0.17):

| file | link type | contents |
|---|---|---|
| \`wifi-80211.pcap\` | 105 (IEEE 802.11) | a SYN (to-DS data frame), a SYN-ACK (QoS data, from-DS), a protected data frame and a beacon (not decoded), an IPv6 SYN in a four-address (WDS) frame |
| \`wifi-radiotap.pcap\` | 127 (radiotap + 802.11) | a SYN and its RST-ACK behind an 8-byte radiotap header |
| \`cisco-hdlc.pcap\` | 104 (Cisco HDLC) | a SYN and its RST-ACK |
| \`atm-rfc1483.pcap\` | 100 (ATM RFC 1483, LLC/SNAP) | a SYN and its RST-ACK |
| \`pflog.pcap\` | 117 (pflog, 64-byte header) | a SYN and its RST-ACK |
| \`enc.pcap\` | 109 (OpenBSD enc) | a SYN and its RST-ACK |
| \`ppi.pcap\` | 192 (PPI carrying 802.11) | a SYN and its RST-ACK |
| \`prism.pcap\` | 119 (Prism monitor header + 802.11) | a SYN and its RST-ACK |
| \`avs.pcap\` | 163 (AVS monitor header + 802.11) | a SYN and its RST-ACK |
| \`tunnels-udp-gre.pcap\` | 1 (Ethernet) | TCP inside GTP-U (plain, and with a sequence number and an extension header), GENEVE (Ethernet with options, and IPv4), Teredo (with origin indication), L2TPv2 data (PPP), PPTP enhanced GRE (PPP); a plain UDP datagram and a GTP-C message that are no tunnels |

Encapsulations around real-kernel frames, written by \`make-crafted.ts\` from frames of
\`fixtures/basic-v4-client.pcap\` (frames 6-15: 198.51.100.10:40080 -> 203.0.113.20:8080
established, SYN to FIN; 17-18: :40081 -> :8081 refused) and \`fixtures/basic-v6-client.pcap\`
(7-16: [2001:db8:1::10]:41080 -> [2001:db8:2::20]:8080 established; 18-19: :41081 -> :8081
refused), byte for byte as the kernels sent them; tunnel endpoints 192.0.2.1 / 192.0.2.2 and
2001:db8:ff::1 / ::2. Each has a \`.expect\` with the attempts of the frames inside, and tshark
4.0.17 sees the inner TCP of every one (its counts are in the \`.tshark.json\`).

| file | link type | contents |
|---|---|---|
| \`pbb.pcap\` | 1 (Ethernet) | 802.1ah PBB: v4 established behind B-tag 100 + I-TAG (I-SID 0x010001); v4 refused behind an I-TAG alone, customer frame with an 802.1Q tag 200; v6 refused behind B-tag 101, customer tag 300 |
| \`fabricpath.pcap\` | 1 (Ethernet) | Cisco FabricPath: v4 established (16-byte header, switch ids 0x0c1/0x0c2), v4 refused (the 20-byte variant: 802.1Q tag 10 before 0x8903), v6 established. Every frame ends with a 4-byte FCS: tshark 4.0 always takes the last 4 bytes of a FabricPath frame for one |
| \`gre-in-udp.pcap\` | 1 (Ethernet) | GRE-in-UDP (RFC 8086, destination port 4754, entropy source ports): v4 established as IPv4-in-GRE; v4 refused as Ethernet-in-GRE (0x6558, key 7); v6 established over IPv6 with GRE checksum and sequence numbers |
| \`ayiya.pcap\` | 1 (Ethernet) | AYIYA on UDP 5072: v6 established and v6 refused (16-byte identity, 20-byte SHA-1 signature, next header 41); v4 refused (next header 4, no identity type, no signature) |
| \`teredo-port.pcap\` | 1 (Ethernet) | Teredo between 192.0.2.1:40000 and a relay on 192.0.2.2:51413 (not 3544): v6 established and refused, the relay's packets with an origin indication. **tshark decodes it only with \`-o teredo.heuristic_teredo:TRUE\`** (its Teredo heuristic is off by default), which \`teredo-port.pcap.tshark-opts\` hands to \`fixtures/tshark-counts.sh\`; synscope's heuristic is always on, and stricter |
| \`unreached.pcap\` | 1 (Ethernet) | what synscope cannot look into, and frames that carry no TCP: real MLD reports, ARP, neighbour discovery, a DNS query and response, an ICMP echo and reply, an IGMPv3 report (no warning for any of them); the v6 established connection as sent (its one attempt); the v4 established connection in MACsec with E and C set (encrypted); the v4 refused connection in IPsec ESP tunnel mode; the v6 refused connection behind an 8-byte header on UDP port 9000 (no known tunnel). \`analyze\` warns "N frame(s) whose TCP could not be reached: ..." once for each of the last three; tshark sees no TCP in them either |
`;

// ---------------------------------------------------------------------------
// encapsulations around real-kernel frames
// ---------------------------------------------------------------------------

/** One frame of a capture that fixtures/make-fixtures.sh recorded from real kernels. */
interface RealFrame {
  /** Seconds since the capture's first frame. */
  rel: number;
  data: Buffer;
}

/** Frames `numbers` (1-based, as tshark numbers them) of a classic pcap file. */
function realFrames(file: string, numbers: number[]): RealFrame[] {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a classic pcap file`);
  const nano = (le ? magic : b.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const out: RealFrame[] = [];
  let first = -1;
  for (let off = 24, n = 1; off + 16 <= b.length; n++) {
    const t = u32(off) + u32(off + 4) / (nano ? 1e9 : 1e6);
    const caplen = u32(off + 8);
    if (first < 0) first = t;
    if (numbers.includes(n)) out.push({ rel: t - first, data: Buffer.from(b.subarray(off + 16, off + 16 + caplen)) });
    off += 16 + caplen;
  }
  if (out.length !== numbers.length) throw new Error(`${file}: frames ${numbers.join(',')} not all found`);
  return out;
}

let realDir = '';
/** basic-v4-client.pcap: 198.51.100.10 -> 203.0.113.20, 40080 -> 8080 established (SYN ... FIN, ACK). */
const V4_ESTABLISHED = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/** basic-v4-client.pcap: 40081 -> 8081 refused (SYN, RST-ACK). */
const V4_REFUSED = [17, 18];
/** basic-v4-client.pcap: three MLD reports and an ARP exchange, carrying no TCP. */
const V4_NOISE = [1, 2, 3, 4, 5];
/** basic-v6-client.pcap: [2001:db8:1::10]:41080 -> [2001:db8:2::20]:8080 established. */
const V6_ESTABLISHED = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
/** basic-v6-client.pcap: 41081 -> 8081 refused. */
const V6_REFUSED = [18, 19];
/** basic-v6-client.pcap: neighbour solicitation and advertisement. */
const V6_ND = [5, 6];

const v4Real = (numbers: number[]): RealFrame[] => realFrames(join(realDir, 'basic-v4-client.pcap'), numbers);
const v6Real = (numbers: number[]): RealFrame[] => realFrames(join(realDir, 'basic-v6-client.pcap'), numbers);
const EXPECT_V4_ESTABLISHED = '198.51.100.10:40080 203.0.113.20:8080 established';
const EXPECT_V4_REFUSED = '198.51.100.10:40081 203.0.113.20:8081 refused';
const EXPECT_V6_ESTABLISHED = '[2001:db8:1::10]:41080 [2001:db8:2::20]:8080 established';
const EXPECT_V6_REFUSED = '[2001:db8:1::10]:41081 [2001:db8:2::20]:8081 refused';

/** The client's frames are those from 198.51.100.10 / 2001:db8:1::10 (its MAC ends in :10). */
function fromClient(f: RealFrame): boolean {
  return f.data[11] === 0x10;
}

/** The IP packet of a real Ethernet frame (the real frames are untagged). */
function ipOf(f: RealFrame): Buffer {
  return f.data.subarray(14);
}

/** A real frame with an 802.1Q tag inserted after its addresses. */
function withTag(frame: Buffer, vid: number): Buffer {
  const tag = Buffer.from([0x81, 0x00, vid >> 8, vid & 0xff]);
  return Buffer.concat([frame.subarray(0, 12), tag, frame.subarray(12)]);
}

/** Frames at `startNs` plus their original spacing. */
function place(startNs: number, frames: RealFrame[], wrap: (f: RealFrame, i: number) => Buffer): Frame[] {
  return frames.map((f, i) => ({ t: ts(startNs + Math.round((f.rel - frames[0]!.rel) * 1e6) * 1000), data: wrap(f, i) }));
}

function writeExpect(name: string, lines: string[]): void {
  const text = `# synscope expected verdicts v1\n# client server verdict [flags,comma,separated]\n${lines.map((l) => `${l}\n`).join('')}`;
  writeFileSync(join(outDir, `${name}.expect`), text);
  written.push(`${name}.expect`);
}

const TUN_A = '192.0.2.1';
const TUN_B = '192.0.2.2';
const TUN6_A = '2001:db8:ff::1';
const TUN6_B = '2001:db8:ff::2';
const MAC_TUN_A = '00:00:5e:00:53:a1';
const MAC_TUN_B = '00:00:5e:00:53:a2';

/** Outer Ethernet + IPv4 (or IPv6) between the tunnel endpoints, A on the client's side. */
function outerIp(clientSide: boolean, proto: number, payload: Buffer, v6 = false, id = 0): Buffer {
  const [src, dst] = v6 ? (clientSide ? [TUN6_A, TUN6_B] : [TUN6_B, TUN6_A]) : clientSide ? [TUN_A, TUN_B] : [TUN_B, TUN_A];
  const packet = v6 ? ipv6({ src, dst, nextHeader: proto, hopLimit: 62 }, payload) : ipv4({ src, dst, proto, ttl: 62, id }, payload);
  return ethernet({ src: clientSide ? MAC_TUN_A : MAC_TUN_B, dst: clientSide ? MAC_TUN_B : MAC_TUN_A }, packet);
}

/** Outer Ethernet + IP + UDP (checksummed) between the tunnel endpoints. */
function outerUdp(clientSide: boolean, sport: number, dport: number, payload: Buffer, v6 = false, id = 0): Buffer {
  const [srcIp, dstIp] = v6 ? (clientSide ? [TUN6_A, TUN6_B] : [TUN6_B, TUN6_A]) : clientSide ? [TUN_A, TUN_B] : [TUN_B, TUN_A];
  return outerIp(clientSide, IPPROTO_UDP, udp(sport, dport, payload, { srcIp, dstIp }), v6, id);
}

function pbbFile(): void {
  const frames = [
    // Backbone tag 100, I-SID 0x010001, the customer frame as the kernel sent it.
    ...place(200e9, v4Real(V4_ESTABLISHED), (f) => pbb({ bvid: 100, isid: 0x010001 }, f.data)),
    // No backbone tag; the customer frame carries an 802.1Q tag 200.
    ...place(201e9, v4Real(V4_REFUSED), (f) => pbb({ isid: 0x010002, priority: 3 }, withTag(f.data, 200))),
    ...place(202e9, v6Real(V6_REFUSED), (f) => pbb({ bvid: 101, isid: 0x010003 }, withTag(f.data, 300))),
  ];
  writePcap('pbb.pcap', LinkType.ETHERNET, frames);
  writeExpect('pbb.pcap', [EXPECT_V4_ESTABLISHED, EXPECT_V4_REFUSED, EXPECT_V6_REFUSED]);
}

function fabricPathFile(): void {
  // Each FabricPath frame ends with its FCS, as tshark 4.0 expects (see withFcs).
  const frames = [
    ...place(210e9, v4Real(V4_ESTABLISHED), (f) => withFcs(fabricPath({ switchSrc: fromClient(f) ? 0x0c1 : 0x0c2, switchDst: fromClient(f) ? 0x0c2 : 0x0c1, ftag: 1, ttl: 32 }, f.data))),
    // The 20-byte variant: an 802.1Q tag in front of 0x8903.
    ...place(211e9, v4Real(V4_REFUSED), (f) => withFcs(fabricPath({ vlan: 10, ftag: 2, ttl: 31 }, f.data))),
    ...place(212e9, v6Real(V6_ESTABLISHED), (f) => withFcs(fabricPath({ switchSrc: fromClient(f) ? 0x0c1 : 0x0c2, switchDst: fromClient(f) ? 0x0c2 : 0x0c1 }, f.data))),
  ];
  writePcap('fabricpath.pcap', LinkType.ETHERNET, frames);
  writeExpect('fabricpath.pcap', [EXPECT_V4_ESTABLISHED, EXPECT_V4_REFUSED, EXPECT_V6_ESTABLISHED]);
}

function greInUdpFile(): void {
  // RFC 8086: both ends send to 4754; the source port carries flow entropy.
  const sport = (f: RealFrame): number => (fromClient(f) ? 49_731 : 61_022);
  const frames = [
    ...place(220e9, v4Real(V4_ESTABLISHED), (f, i) => outerUdp(fromClient(f), sport(f), 4754, gre(0x0800, ipOf(f)), false, 0x2200 + i)),
    // Ethernet over GRE-in-UDP (TEB), with a key.
    ...place(221e9, v4Real(V4_REFUSED), (f, i) => outerUdp(fromClient(f), sport(f), 4754, gre(0x6558, f.data, { key: 7 }), false, 0x2210 + i)),
    // IPv6 inside, over IPv6, with checksum and sequence number.
    ...place(222e9, v6Real(V6_ESTABLISHED), (f, i) => outerUdp(fromClient(f), sport(f), 4754, gre(0x86dd, ipOf(f), { checksum: true, seq: i + 1 }), true)),
  ];
  writePcap('gre-in-udp.pcap', LinkType.ETHERNET, frames);
  writeExpect('gre-in-udp.pcap', [EXPECT_V4_ESTABLISHED, EXPECT_V4_REFUSED, EXPECT_V6_ESTABLISHED]);
}

function ayiyaFile(): void {
  // A SixXS-style tunnel: the PoP (B) and the client (A), both on 5072; the identity is the
  // client's IPv6 address, the signature a SHA-1 (here 20 bytes of 0x5a).
  const identity = Buffer.from('20010db8000100000000000000000010', 'hex');
  const frames = [
    ...place(230e9, v6Real(V6_ESTABLISHED), (f, i) => outerUdp(fromClient(f), 5072, 5072, ayiya({ next: 41, identity, epoch: BASE_SEC + 230 }, ipOf(f)), false, 0x2300 + i)),
    ...place(231e9, v6Real(V6_REFUSED), (f, i) => outerUdp(fromClient(f), 5072, 5072, ayiya({ next: 41, identity, epoch: BASE_SEC + 231 }, ipOf(f)), false, 0x2310 + i)),
    // IPv4 inside (next header 4), no identity type and no signature.
    ...place(232e9, v4Real(V4_REFUSED), (f, i) => outerUdp(fromClient(f), 5072, 5072, ayiya({ next: 4, idLenExp: 0, idType: 0, sigWords: 0, hash: 0, auth: 0, epoch: BASE_SEC + 232 }, ipOf(f)), false, 0x2320 + i)),
  ];
  writePcap('ayiya.pcap', LinkType.ETHERNET, frames);
  writeExpect('ayiya.pcap', [EXPECT_V6_ESTABLISHED, EXPECT_V6_REFUSED, EXPECT_V4_REFUSED]);
}

function teredoPortFile(): void {
  // Teredo between a client behind a NAT (A, 40000) and a relay on 51413 instead of 3544; what
  // the relay sends carries an origin indication.
  const wrap = (f: RealFrame, i: number, id: number): Buffer => fromClient(f)
    ? outerUdp(true, 40000, 51413, ipOf(f), false, id + i)
    : outerUdp(false, 51413, 40000, Buffer.concat([teredoOrigin(51413, TUN_B), ipOf(f)]), false, id + i);
  const frames = [
    ...place(240e9, v6Real(V6_ESTABLISHED), (f, i) => wrap(f, i, 0x2400)),
    ...place(241e9, v6Real(V6_REFUSED), (f, i) => wrap(f, i, 0x2410)),
  ];
  writePcap('teredo-port.pcap', LinkType.ETHERNET, frames);
  writeExpect('teredo-port.pcap', [EXPECT_V6_ESTABLISHED, EXPECT_V6_REFUSED]);
}

/** A DNS query or response for www.example.com between the client and its resolver. */
function dnsFrame(response: boolean): Buffer {
  const q = Buffer.concat([Buffer.from([0x4e, 0x21, response ? 0x81 : 0x01, response ? 0x80 : 0x00, 0, 1, 0, response ? 1 : 0, 0, 0, 0, 0]),
    Buffer.from('\x03www\x07example\x03com\x00\x00\x01\x00\x01', 'latin1'),
    response ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, ...ipv4Bytes(S4)]) : Buffer.alloc(0)]);
  const [src, dst, sp, dp] = response ? [FIREWALL4, C4, 53, 53_211] : [C4, FIREWALL4, 53_211, 53];
  return ethernet({ src: response ? MAC_SERVER : MAC_CLIENT, dst: response ? MAC_CLIENT : MAC_SERVER },
    ipv4({ src, dst, proto: IPPROTO_UDP, id: response ? 0 : 0x5301 }, udp(sp, dp, q, { srcIp: src, dstIp: dst })));
}

function unreachedFile(): void {
  const icmpEcho = (type: number): Buffer => {
    const m = Buffer.from([type, 0, 0, 0, 0x12, 0x34, 0, 1, ...Buffer.from('synscope')]);
    m.writeUInt16BE(internetChecksum(m), 2);
    return m;
  };
  // IGMPv3 membership report: one record, "change to exclude" (4) for 239.1.2.3.
  const igmp = Buffer.from([0x22, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 239, 1, 2, 3]);
  igmp.writeUInt16BE(internetChecksum(igmp), 2);
  const frames: Frame[] = [
    // No TCP here, and nothing to warn about: MLD, ARP, neighbour discovery, DNS, ICMP echo, IGMP.
    ...place(250e9, v4Real(V4_NOISE), (f) => f.data),
    ...place(250.75e9, v6Real(V6_ND), (f) => f.data),
    { t: ts(250.8e9), data: dnsFrame(false) },
    { t: ts(250.81e9), data: dnsFrame(true) },
    { t: ts(250.85e9), data: ethernet({ src: MAC_CLIENT, dst: MAC_SERVER }, ipv4({ src: C4, dst: S4, proto: IPPROTO_ICMP, id: 0x0801 }, icmpEcho(8))) },
    { t: ts(250.86e9), data: ethernet({ src: MAC_SERVER, dst: MAC_CLIENT }, ipv4({ src: S4, dst: C4, proto: IPPROTO_ICMP }, icmpEcho(0))) },
    { t: ts(250.9e9), data: ethernet({ src: MAC_CLIENT, dst: '01:00:5e:00:00:16' }, ipv4({ src: C4, dst: '224.0.0.22', proto: 2, ttl: 1 }, igmp)) },
    // The IPv6 connection as the kernel sent it: the one attempt that can be analysed.
    ...place(251e9, v6Real(V6_ESTABLISHED), (f) => f.data),
    // MACsec, encrypted (802.1AE with E and C set): the IPv4 connection inside cannot be read.
    ...place(252e9, v4Real(V4_ESTABLISHED), (f, i) => macsec(f.data, i + 1)),
    // IPsec ESP in tunnel mode between the gateways, carrying the refused IPv4 attempt.
    ...place(253e9, v4Real(V4_REFUSED), (f, i) => outerIp(fromClient(f), IPPROTO_ESP, esp(fromClient(f) ? 0x0000c001 : 0x0000c002, i + 1, ipOf(f)), false, 0x2530 + i)),
    // A tunnel on a UDP port synscope (and tshark) do not know: an 8-byte header, then the packet.
    ...place(254e9, v6Real(V6_REFUSED), (f, i) => outerUdp(fromClient(f), 9000, 9000, Buffer.concat([Buffer.from([0x01, 0x00, 0x00, 0x2a, 0, 0, 0, i]), ipOf(f)]), false, 0x2540 + i)),
  ];
  writePcap('unreached.pcap', LinkType.ETHERNET, frames);
  writeExpect('unreached.pcap', [EXPECT_V6_ESTABLISHED]);
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/test/helpers -> repository root
  outDir = resolve(process.argv[2] ?? join(here, '..', '..', '..', 'fixtures', 'crafted'));
  realDir = resolve(here, '..', '..', '..', 'fixtures');
  mkdirSync(outDir, { recursive: true });
  vlanMpls();
  cooked();
  nullAndLoop();
  rawIp();
  ipv6Ext();
  fragments();
  icmpQuote();
  truncatedSnaplen();
  byteOrders();
  pcapng();
  truncatedFile();
  pbbFile();
  fabricPathFile();
  greInUdpFile();
  ayiyaFile();
  teredoPortFile();
  unreachedFile();
  writeFileSync(join(outDir, 'README.md'), README);
  for (const w of written) console.log(`wrote ${join(outDir, w)}`);
}

main();
