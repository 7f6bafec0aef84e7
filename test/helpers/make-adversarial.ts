/**
 * Writes hostile, hand-crafted captures into fixtures/adversarial/ (or the directory given as the
 * first argument), each with a `<capture>.expect` file of the verdicts the packets prove (CONTRACT
 * and RFC 9293, not what synscope happens to print). Deterministic: fixed times, sequence numbers
 * and a seeded PRNG, so re-running it must not change any byte.
 *
 *   node dist/test/helpers/make-adversarial.js [outdir]
 *
 * Addresses are documentation ranges only: client 198.51.100.10 / 2001:db8:1::10, server
 * 203.0.113.20 / 2001:db8:2::20 (3 hops away: its own packets arrive with TTL / hop limit 61),
 * router 203.0.113.1 / 2001:db8:2::1 (1 hop: TTL 63). MACs 00:00:5e:00:53:01 / :02.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PcapngWriter, PcapWriter } from '../../src/capture/writer.js';
import {
  IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, MAC_CLIENT, MAC_SERVER, type Ipv6ExtHeader,
  ethernet, icmpv4Unreachable, icmpv6Unreachable, internetChecksum, ipTcp, ipv4, ipv6, isIpv6, tcp,
} from './packets.js';
import { mulberry32 } from './prng.js';
import { LinkType } from '../../src/model/linktypes.js';

const C4 = '198.51.100.10';
const S4 = '203.0.113.20';
const R4 = '203.0.113.1';
const C6 = '2001:db8:1::10';
const S6 = '2001:db8:2::20';
const R6 = '2001:db8:2::1';
/** TTL / hop limit of the server's own packets at the client, and of packets a router injects. */
const SRV_TTL = 61;
const RTR_TTL = 63;

/** 2026-03-14T09:26:53Z, as the crafted fixtures. */
const BASE_SEC = Date.UTC(2026, 2, 14, 9, 26, 53) / 1000;

interface Pkt {
  /** Seconds from BASE_SEC (may go backwards in capture order). */
  t: number;
  ip: Buffer;
  fromClient: boolean;
  /** pcapng interface. */
  ifId?: number;
}

function frame(p: Pkt): Buffer {
  return ethernet({ src: p.fromClient ? MAC_CLIENT : MAC_SERVER, dst: p.fromClient ? MAC_SERVER : MAC_CLIENT }, p.ip);
}

function stamp(t: number): { sec: number; nsec: number } {
  const ns = BigInt(BASE_SEC) * 1_000_000_000n + BigInt(Math.round(t * 1e9));
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

const SYN_OPTS = { mss: 1460, sackOk: true, wscale: 7 };

/** One client connection's packets, by what the client and the server side send. */
class Conn {
  constructor(
    readonly client: string,
    readonly cport: number,
    readonly server: string,
    readonly sport: number,
    readonly isn: number,
    readonly sisn = (isn ^ 0x5a5a0000) >>> 0,
  ) {}

  get v6(): boolean { return isIpv6(this.client); }
  get isn1(): number { return (this.isn + 1) >>> 0; }
  get sisn1(): number { return (this.sisn + 1) >>> 0; }

  fromClient(t: number, flags: string, o: { seq?: number; ack?: number; payload?: Buffer; options?: boolean } = {}): Pkt {
    return { t, fromClient: true, ip: ipTcp({ src: this.client, dst: this.server, sport: this.cport, dport: this.sport, seq: o.seq ?? this.isn, ack: o.ack ?? 0, flags, options: o.options ? SYN_OPTS : undefined, payload: o.payload, ttl: 64, id: this.cport }) };
  }

  /** A TCP segment in the server's name (its TTL unless another is given). */
  fromServer(t: number, flags: string, o: { seq?: number; ack?: number; ttl?: number; payload?: Buffer; options?: boolean } = {}): Pkt {
    return { t, fromClient: false, ip: ipTcp({ src: this.server, dst: this.client, sport: this.sport, dport: this.cport, seq: o.seq ?? 0, ack: o.ack ?? 0, flags, options: o.options ? SYN_OPTS : undefined, payload: o.payload, ttl: o.ttl ?? SRV_TTL, id: 0 }) };
  }

  syn(t: number): Pkt { return this.fromClient(t, 'S', { options: true }); }
  synAck(t: number, ttl = SRV_TTL): Pkt { return this.fromServer(t, 'SA', { seq: this.sisn, ack: this.isn1, ttl, options: true }); }
  ack(t: number): Pkt { return this.fromClient(t, 'A', { seq: this.isn1, ack: this.sisn1 }); }
  refuse(t: number, ttl = SRV_TTL): Pkt { return this.fromServer(t, 'RA', { seq: 0, ack: this.isn1, ttl }); }
  handshake(t: number): Pkt[] { return [this.syn(t), this.synAck(t + 0.02), this.ack(t + 0.0201)]; }
  /** The SYN and Linux's retransmissions of it (1 s, then 2 s later). */
  synAndRetries(t: number, n = 3): Pkt[] { return [0, 1, 3, 7, 15].slice(0, n).map((d) => this.syn(t + d)); }
  expect(verdict: string, flags: string[] = []): string {
    const ep = (ip: string, port: number) => (isIpv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`);
    return `${ep(this.client, this.cport)} ${ep(this.server, this.sport)} ${verdict}${flags.length ? ` ${flags.join(',')}` : ''}`;
  }
}

let outDir = '';
const written: string[] = [];

function save(name: string, data: Buffer, expect: string[], comment: string): void {
  writeFileSync(join(outDir, name), data);
  const header = `# synscope expected verdicts v1\n# client server verdict [flags,comma,separated]\n# ${comment}\n`;
  writeFileSync(join(outDir, `${name}.expect`), header + expect.map((l) => `${l}\n`).join(''));
  written.push(`${name} (${data.length} bytes, ${expect.length} attempts)`);
}

function writePcap(name: string, pkts: Pkt[], expect: string[], comment: string): void {
  const w = new PcapWriter({ linkType: LinkType.ETHERNET, nanosecond: true });
  for (const p of pkts) {
    const s = stamp(p.t);
    w.writePacket(s.sec, s.nsec, frame(p));
  }
  save(name, w.toBuffer(), expect, comment);
}

// ---------------------------------------------------------------------------
// scenarios
// ---------------------------------------------------------------------------

/** A RST that does not acknowledge ISN+1: random seq, random ack (or none), any TTL. */
function junkRst(rand: () => number, c: Conn, t: number): Pkt {
  let ack = Math.floor(rand() * 2 ** 32) >>> 0;
  if (ack === c.isn1) ack = (ack + 1) >>> 0;
  const ttls = [SRV_TTL, RTR_TTL, 64, 128, 255, 1 + Math.floor(rand() * 254)];
  return c.fromServer(t, rand() < 0.5 ? 'RA' : 'R', { seq: Math.floor(rand() * 2 ** 32) >>> 0, ack, ttl: ttls[Math.floor(rand() * ttls.length)]! });
}

function rstStorm(): void {
  const rand = mulberry32(9293);
  const base = new Conn(C4, 41000, S4, 8080, 0x41000000);
  const a = new Conn(C4, 41001, S4, 8081, 0x41001000);
  const b = new Conn(C4, 41002, S4, 8081, 0x41002000);
  const c = new Conn(C4, 41003, S4, 8081, 0x41003000);
  const pkts: Pkt[] = [...base.handshake(0)];
  // 41001: one pending SYN, 300 RSTs with random seq / ack in 0.9 s; none acknowledges it.
  pkts.push(a.syn(1));
  for (let i = 0; i < 300; i++) pkts.push(junkRst(rand, a, 1.001 + i * 0.003));
  pkts.push(a.syn(2), a.syn(4));
  // 41002: the same storm, but one RST among them acknowledges ISN+1 with the host's TTL.
  pkts.push(b.syn(10));
  for (let i = 0; i < 200; i++) pkts.push(junkRst(rand, b, 10.001 + i * 0.002));
  pkts.push(b.refuse(10.5));
  for (let i = 0; i < 50; i++) pkts.push(junkRst(rand, b, 10.501 + i * 0.002));
  // 41003: a storm whose one acceptable RST has a router's TTL, not the host's.
  pkts.push(c.syn(20));
  for (let i = 0; i < 200; i++) pkts.push(junkRst(rand, c, 20.001 + i * 0.002));
  pkts.push(c.refuse(20.5, RTR_TTL));
  pkts.push(base.fromClient(30, 'A', { seq: base.isn1, ack: base.sisn1 })); // keep-alive: the capture runs to 30 s
  pkts.sort((x, y) => x.t - y.t);
  writePcap('rst-storm.pcap', pkts, [
    base.expect('established'),
    a.expect('filtered', ['syn-retransmit', 'invalid-rst']),
    b.expect('refused', ['invalid-rst']),
    c.expect('forged-reset', ['ttl-mismatch', 'invalid-rst']),
  ], 'RST storms at a pending SYN: refused only where one RST acks ISN+1 with the host TTL (RFC 9293 3.10.7.3)');
}

function synFlags(): void {
  const base = new Conn(C4, 41100, S4, 8080, 0x41100000);
  const synRst = new Conn(C4, 41101, S4, 8081, 0x41101000);
  const synFinClosed = new Conn(C4, 41102, S4, 8081, 0x41102000);
  const synFinOpen = new Conn(C4, 41103, S4, 8080, 0x41103000);
  const pkts: Pkt[] = [
    ...base.handshake(0),
    // SYN+RST: a stack ignores any segment with RST in LISTEN / CLOSED (RFC 9293 3.10.7.1-2); no answer.
    synRst.fromClient(1, 'SR'),
    synRst.fromClient(2, 'SR'),
    // SYN+FIN to a closed port: the host answers RST acking SEQ + SYN + FIN (ISN+2).
    synFinClosed.fromClient(3, 'SF'),
    synFinClosed.fromServer(3.001, 'RA', { ack: (synFinClosed.isn + 2) >>> 0 }),
    // SYN+FIN to a listening port: Linux discards it; no answer.
    synFinOpen.fromClient(4, 'SF'),
    synFinOpen.fromClient(5, 'SF'),
    base.fromClient(15, 'A', { seq: base.isn1, ack: base.sisn1 }),
  ];
  writePcap('syn-flags.pcap', pkts, [base.expect('established')],
    'SYN+RST and SYN+FIN from the client are scan probes, not connection attempts: no verdict for them (and no refusal), a warning instead');
}

function rstWrongAck(): void {
  const base = new Conn(C4, 42000, S4, 8080, 0x42000000);
  const cs = [1, 2, 3, 4, 5, 6].map((i) => new Conn(C4, 42000 + i, S4, 8081, 0x42000000 + i * 0x1000));
  const [ackIsn, ackIsn2, noAck, noAckFlag, far, late] = cs as [Conn, Conn, Conn, Conn, Conn, Conn];
  const pkts: Pkt[] = [...base.handshake(0)];
  const wrong = (c: Conn, t: number, p: Pkt) => { pkts.push(...c.synAndRetries(t), p); };
  wrong(ackIsn, 1, ackIsn.fromServer(1.001, 'RA', { ack: ackIsn.isn })); // ACK = ISN (off by one)
  wrong(ackIsn2, 1.1, ackIsn2.fromServer(1.101, 'RA', { ack: (ackIsn2.isn + 2) >>> 0 })); // ACK = ISN+2
  wrong(noAck, 1.2, noAck.fromServer(1.201, 'R', { seq: 0, ack: 0 })); // no ACK flag
  wrong(noAckFlag, 1.3, noAckFlag.fromServer(1.301, 'R', { seq: 0, ack: noAckFlag.isn1 })); // right number, ACK flag off
  wrong(far, 1.4, far.fromServer(1.401, 'RA', { ack: (far.isn1 + 0x80000000) >>> 0 })); // half the sequence space away
  pkts.push(late.syn(1.5), late.fromServer(1.501, 'RA', { ack: late.isn }), late.refuse(1.6)); // wrong, then right
  pkts.push(base.fromClient(12, 'A', { seq: base.isn1, ack: base.sisn1 }));
  pkts.sort((x, y) => x.t - y.t);
  writePcap('rst-wrong-ack.pcap', pkts, [
    base.expect('established'),
    ...[ackIsn, ackIsn2, noAck, noAckFlag, far].map((c) => c.expect('filtered', ['syn-retransmit', 'invalid-rst'])),
    late.expect('refused', ['invalid-rst']),
  ], 'RSTs that do not acknowledge ISN+1 (or lack the ACK flag) are ignored by the client (RFC 9293 3.10.7.3): never a refusal');
}

function blindRst(): void {
  const rand = mulberry32(5961);
  const live = new Conn(C4, 43000, S4, 8080, 0x43000000);
  const quiet = new Conn(C4, 43001, S4, 8080, 0x43001000);
  const pending = new Conn(C4, 43002, S4, 8081, 0x43002000);
  const r32 = () => Math.floor(rand() * 2 ** 32) >>> 0;
  const blind = (c: Conn, t: number, ackFlag: boolean) => {
    let seq = r32();
    if (seq === c.sisn1) seq = (seq + 7) >>> 0;
    let ack = r32();
    if (ack === c.isn1) ack = (ack + 7) >>> 0;
    return c.fromServer(t, ackFlag ? 'RA' : 'R', { seq, ack });
  };
  const pkts: Pkt[] = [
    // 43000: established, two blind RSTs, then the connection carries on (data both ways).
    ...live.handshake(0), blind(live, 0.2, false), blind(live, 0.3, true),
    live.fromClient(5, 'PA', { seq: live.isn1, ack: live.sisn1, payload: Buffer.from('GET / HTTP/1.0\r\n\r\n') }),
    live.fromServer(5.01, 'PA', { seq: live.sisn1, ack: (live.isn1 + 18) >>> 0, payload: Buffer.from('HTTP/1.0 200 OK\r\n\r\n') }),
    // 43001: established, then one blind RST (random seq, no ACK flag), then silence. Only a RST
    // whose seq is exactly the server's next sequence number (ISN+1 here) is acceptable (RFC 9293
    // 3.10.7.4, RFC 5961 3.2), which is also what Linux's tcp_abort_on_overflow reset carries.
    ...quiet.handshake(1), blind(quiet, 1.2, false),
    // 43002: a pending SYN under 20 blind RSTs.
    ...pending.synAndRetries(2),
  ];
  for (let i = 0; i < 20; i++) pkts.push(blind(pending, 2.001 + i * 0.01, i % 2 === 0));
  pkts.push(live.fromClient(15, 'A', { seq: (live.isn1 + 18) >>> 0, ack: (live.sisn1 + 19) >>> 0 }));
  pkts.sort((x, y) => x.t - y.t);
  writePcap('blind-rst.pcap', pkts, [
    live.expect('established'),
    quiet.expect('established'),
    pending.expect('filtered', ['syn-retransmit', 'invalid-rst']),
  ], 'blind RSTs with random sequence numbers: they neither refuse a pending SYN nor end an established connection');
}

function synAckNoSyn(): void {
  const base = new Conn(C4, 44000, S4, 8080, 0x44000000);
  const orphan1 = new Conn(C4, 44001, S4, 8080, 0x44001000);
  const orphan2 = new Conn(C4, 44002, S4, 8080, 0x44002000);
  const refused = new Conn(C4, 44003, S4, 8081, 0x44003000);
  const pkts: Pkt[] = [
    orphan1.synAck(0), // backscatter: the client never sent this SYN; its stack answers RST
    orphan1.fromClient(0.0001, 'R', { seq: orphan1.isn1 }),
    ...base.handshake(0.2),
    orphan2.synAck(0.5), orphan2.synAck(1.5), orphan2.synAck(3.5), // retransmitted, never answered
    refused.syn(1), refused.refuse(1.001),
    base.fromClient(10, 'A', { seq: base.isn1, ack: base.sisn1 }),
  ];
  pkts.sort((x, y) => x.t - y.t);
  writePcap('synack-no-syn.pcap', pkts, [base.expect('established'), refused.expect('refused')],
    'SYN-ACKs answering no captured SYN (backscatter) are midstream flows, not attempts');
}

/** An IPv4 / IPv6 ICMP destination unreachable from `from` to the client quoting `quoted`. */
function unreach(c: Conn, t: number, from: string, code: number, quoted: Buffer, ttl: number): Pkt {
  const body = c.v6 ? icmpv6Unreachable(code, quoted, { srcIp: from, dstIp: c.client }) : icmpv4Unreachable(code, quoted);
  const ip = c.v6
    ? ipv6({ src: from, dst: c.client, nextHeader: IPPROTO_ICMPV6, hopLimit: ttl }, body)
    : ipv4({ src: from, dst: c.client, proto: IPPROTO_ICMP, ttl }, body);
  return { t, ip, fromClient: false };
}

function icmpBogus(): void {
  const base = new Conn(C4, 45000, S4, 8080, 0x45000000);
  const a = new Conn(C4, 45001, S4, 8083, 0x45001000);
  const real = new Conn(C4, 45002, S4, 8083, 0x45002000);
  const a6 = new Conn(C6, 45003, S6, 8083, 0x45003000);
  const ghost = new Conn(C4, 45099, S4, 8083, 0x45099000);
  const ghost6 = new Conn(C6, 45098, S6, 8083, 0x45098000);
  const wrongSeq = new Conn(C4, 45001, S4, 8083, 0x45001000 + 12345);
  const pkts: Pkt[] = [
    ...base.handshake(0),
    ...a.synAndRetries(1),
    unreach(a, 1.01, S4, 3, ghost.syn(1).ip, SRV_TTL), // port unreachable about a SYN nobody sent
    unreach(a, 1.02, R4, 13, wrongSeq.syn(1).ip, RTR_TTL), // admin-prohibited about 45001, wrong sequence number
    // host unreachable quoting an ICMP error (which quotes 45001's SYN): errors are never sent
    // about errors (RFC 1122 3.2.2, RFC 4443 2.4 e), so this one is forged or broken
    unreach(a, 1.03, R4, 1, unreach(a, 1.03, S4, 3, a.syn(1).ip, SRV_TTL).ip, RTR_TTL),
    real.syn(2), unreach(real, 2.001, S4, 3, real.syn(2).ip, SRV_TTL), // a genuine REJECT, for contrast
    ...a6.synAndRetries(3),
    unreach(a6, 3.01, R6, 1, unreach(a6, 3.01, S6, 4, a6.syn(3).ip, SRV_TTL).ip, RTR_TTL), // ICMPv6 quoting ICMPv6
    unreach(a6, 3.02, S6, 4, ghost6.syn(3).ip, SRV_TTL), // about a SYN nobody sent
    base.fromClient(14, 'A', { seq: base.isn1, ack: base.sisn1 }),
  ];
  pkts.sort((x, y) => x.t - y.t);
  writePcap('icmp-bogus.pcap', pkts, [
    base.expect('established'),
    a.expect('filtered', ['syn-retransmit']),
    real.expect('rejected'),
    a6.expect('filtered', ['syn-retransmit']),
  ], 'ICMP errors about attempts that do not exist, with the wrong sequence number, or quoting other ICMP errors decide nothing');
}

/** IPv6 + extension headers `exts` + TCP, by hand where the chain must lie. */
function loopChain(n: number): Ipv6ExtHeader[] {
  const types: Array<0 | 60 | 43> = [60, 43, 60];
  return [{ type: 0 }, ...Array.from({ length: n - 1 }, (_, i) => (types[i % 3] === 43 ? { type: 43 as const } : { type: types[i % 3] as 60 }))];
}

function ipv6Loop(): void {
  const base = new Conn(C6, 46000, S6, 8080, 0x46000000);
  const a = new Conn(C6, 46001, S6, 8081, 0x46001000);
  const hidden = new Conn(C6, 46002, S6, 8081, 0x46002000);
  const legit = new Conn(C6, 46003, S6, 8081, 0x46003000);
  // A chain of 30 headers (hop-by-hop, then destination options and routing over and over) whose
  // last next-header points back to hop-by-hop and which fills the packet: there is no TCP in it.
  // The bytes after it look like a RST-ACK acknowledging the SYN, for a decoder that stops early.
  const loopRst = (c: Conn, fromServer: boolean) => {
    const seg = fromServer
      ? tcp({ sport: c.sport, dport: c.cport, seq: 0, ack: c.isn1, flags: 'RA' }, { srcIp: c.server, dstIp: c.client })
      : tcp({ sport: c.cport, dport: c.sport, seq: c.isn, flags: 'S' }, { srcIp: c.client, dstIp: c.server });
    return ipv6({ src: fromServer ? c.server : c.client, dst: fromServer ? c.client : c.server, nextHeader: 0, hopLimit: fromServer ? SRV_TTL : 64, extHeaders: loopChain(30) }, seg);
  };
  const pkts: Pkt[] = [
    ...base.handshake(0),
    // 46001: a plain SYN whose only "answer" is a RST lost in an extension-header loop
    ...a.synAndRetries(1), { t: 1.001, ip: loopRst(a, true), fromClient: false },
    // 46002: a SYN inside a loop (undecodable: no attempt), answered by a well-formed RST-ACK
    { t: 2, ip: loopRst(hidden, false), fromClient: true }, hidden.refuse(2.001),
    // 46003: a SYN behind a legitimate chain (hop-by-hop, destination options), refused
    { t: 3, fromClient: true, ip: ipv6({ src: legit.client, dst: legit.server, nextHeader: IPPROTO_TCP, hopLimit: 64, extHeaders: [{ type: 0 }, { type: 60 }] }, tcp({ sport: legit.cport, dport: legit.sport, seq: legit.isn, flags: 'S', options: SYN_OPTS }, { srcIp: legit.client, dstIp: legit.server })) },
    legit.refuse(3.001),
    base.fromClient(13, 'A', { seq: base.isn1, ack: base.sisn1 }),
  ];
  pkts.sort((x, y) => x.t - y.t);
  writePcap('ipv6-ext-loop.pcap', pkts, [
    base.expect('established'),
    a.expect('filtered', ['syn-retransmit']),
    legit.expect('refused'),
  ], 'IPv6 extension-header chains that loop carry no TCP: a RST inside one refuses nothing, a SYN inside one is no attempt');
}

function duplicateFrames(): void {
  // Captured on both sides of the router: if 0 is the client's link, if 1 the server's. A packet
  // crossing the router shows up on both, 20 us apart, with a TTL one lower on the far side.
  const est = new Conn(C4, 47000, S4, 8080, 0x47000000);
  const ref = new Conn(C4, 47001, S4, 8081, 0x47001000);
  const drop = new Conn(C4, 47002, S4, 8082, 0x47002000);
  const forged = new Conn(C4, 47003, S4, 8086, 0x47003000);
  const w = new PcapngWriter();
  w.addInterface({ linkType: LinkType.ETHERNET, name: 'client-side', tsresol: 9 });
  w.addInterface({ linkType: LinkType.ETHERNET, name: 'server-side', tsresol: 9 });
  /** [interface, time, IP packet, from the client]; near side first, the far copy has crossed the router. */
  const rows: Array<[number, number, Buffer, boolean]> = [];
  const withTtl = (ip: Buffer, ttl: number) => {
    const b = Buffer.from(ip);
    if (b[0]! >> 4 === 4) {
      b[8] = ttl;
      b.writeUInt16BE(0, 10);
      b.writeUInt16BE(internetChecksum(b.subarray(0, (b[0]! & 15) * 4)), 10);
    } else b[7] = ttl;
    return b;
  };
  const add = (p: Pkt) => {
    const near = p.fromClient ? 0 : 1;
    const ttl = p.fromClient ? 64 : 62;
    rows.push([near, p.t, withTtl(p.ip, ttl), p.fromClient], [1 - near, p.t + 0.00002, withTtl(p.ip, ttl - 1), p.fromClient]);
  };
  [...est.handshake(0), ...ref.synAndRetries(1, 1), ref.refuse(1.001), ...drop.synAndRetries(2), ...forged.synAndRetries(3, 1)].forEach(add);
  // the router injects a RST toward the client for 47003: seen on the client side only
  rows.push([0, 3.0005, forged.refuse(3.0005, 64).ip, false]);
  add(est.fromClient(12, 'A', { seq: est.isn1, ack: est.sisn1 }));
  rows.sort((x, y) => x[1] - y[1]);
  for (const [ifId, t, ip, fromClient] of rows) {
    const s = stamp(t);
    w.writePacket(ifId, s.sec, s.nsec, frame({ t, ip, fromClient }));
  }
  save('duplicate-frames.pcapng', w.toBuffer(), [
    est.expect('established', ['duplicate-frames']),
    ref.expect('refused', ['duplicate-frames']),
    drop.expect('filtered', ['syn-retransmit', 'duplicate-frames']),
    forged.expect('forged-reset', ['ttl-mismatch']),
  ], 'every packet captured twice (both sides of a router, TTL one lower on the far side): copies are neither retransmissions nor forged');
}

function timestampsBackwards(): void {
  const first = new Conn(C4, 48000, S4, 8080, 0x48000000);
  const ref = new Conn(C4, 48001, S4, 8081, 0x48001000);
  const drop = new Conn(C4, 48002, S4, 8082, 0x48002000);
  const during = new Conn(C4, 48003, S4, 8080, 0x48003000);
  // Packets in capture order; their clocks step back (the SYN-ACK stamped before its SYN, and
  // before the first packet of the capture), then back by an hour, then forward again.
  const pkts: Pkt[] = [
    first.syn(10), first.synAck(8), first.ack(10.001),
    ref.syn(11), ref.refuse(10.5),
    drop.syn(12),
    ...during.handshake(12 - 3600),
    drop.syn(13 - 3600),
    drop.syn(30),
    first.fromClient(40, 'A', { seq: first.isn1, ack: first.sisn1 }),
  ];
  writePcap('timestamps-backwards.pcap', pkts, [
    first.expect('established'),
    ref.expect('refused'),
    drop.expect('filtered', ['syn-retransmit']),
    during.expect('established'),
  ], 'timestamps that go backwards: verdicts follow the packets in capture order, and no time is negative');
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  outDir = resolve(process.argv[2] ?? join(here, '..', '..', '..', 'fixtures', 'adversarial'));
  mkdirSync(outDir, { recursive: true });
  rstStorm();
  synFlags();
  rstWrongAck();
  blindRst();
  synAckNoSyn();
  icmpBogus();
  ipv6Loop();
  duplicateFrames();
  timestampsBackwards();
  process.stdout.write(`wrote to ${outDir}:\n${written.map((w) => `  ${w}\n`).join('')}`);
}

main();
