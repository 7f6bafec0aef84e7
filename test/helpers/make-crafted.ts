/**
 * Writes hand-crafted edge-case captures into fixtures/crafted/ (or the
 * directory given as the first argument). Output is deterministic: fixed
 * timestamps, sequence numbers and addresses, so re-running it must not
 * change any file.
 *
 *   node dist/test/helpers/make-crafted.js [outdir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
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
`;

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/test/helpers -> repository root
  outDir = resolve(process.argv[2] ?? join(here, '..', '..', '..', 'fixtures', 'crafted'));
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
  writeFileSync(join(outDir, 'README.md'), README);
  for (const w of written) console.log(`wrote ${join(outDir, w)}`);
}

main();
