/**
 * Deterministic synthetic capture generator for benchmarks and end-to-end checks.
 *
 *   node dist/bench/generate.js --out FILE --size-mb N [--connections N] [--seed S]
 *        [--mix established=72,refused=8,...] [--duration S] [--incomplete N]
 *   node dist/bench/generate.js --out FILE --syn-flood N [--seed S]
 *   (--truth-attempts also writes FILE.truth.txt: client ip, port, server ip, port, verdict, variant per attempt)
 *
 * Writes a classic pcap (little-endian, microseconds, Ethernet) as seen on the clients' LAN, plus
 * `FILE.truth.json`: the verdict of every attempt it generated, counted per ../shared/CONTRACT.md
 * ({ attempts, midstream, verdicts: {...}, generator: {...} }).
 *
 * Addresses are documentation ranges only: clients 198.51.100.0/24 and 2001:db8:1::/64, servers
 * 203.0.113.0/24 and 2001:db8:2::/64, routers and firewalls 192.0.2.0/24, 2001:db8:ffff::/64 and
 * the two gateways (198.51.100.254, 2001:db8:1::1). MACs are 00:00:5e:00:53:xx (RFC 7042).
 *
 * Attempts start as a Poisson process over --duration seconds (default 300) and each one is
 * scripted the way a Linux stack, a Linux router or a firewall would put it on the wire:
 *
 *  - established: SYN (first one lost now and then: retransmitted after 1 s), SYN-ACK, ACK,
 *    requests and responses (IW10, the receiver ACKing every second segment; SSH/SMTP servers
 *    speak first), FIN/ACK close from either side, idle keep-alive closes, a few abortive closes.
 *  - refused: RST|ACK seq 0 ack ISN+1 from a closed port, TTL of the server's own packets.
 *  - forged-reset: a firewall's tcp-reset (TTL of a nearer device, or 255-based) on a server whose
 *    own packets are already in the file; 30 % race a real SYN-ACK (injection), the client then
 *    resets the SYN-ACK.
 *  - rejected: ICMP 3/3 or 3/10 from the server itself, 3/13 from a firewall; ICMPv6 1/4 from the
 *    server, 1/1 from a firewall; each quotes the whole SYN (TTL decremented on the way).
 *  - unreachable: ICMP 3/1 (ICMPv6 1/3) from the last-hop router after 3 s of failed ARP/ND, one
 *    per queued SYN; ICMP 3/0 (ICMPv6 1/0) at once from the client's gateway (no route).
 *  - filtered: SYN and retransmissions at +1 s, +3 s (+7 s, +15 s) to ports or hosts that never
 *    answer anything.
 *  - backlog-drop: (a) SYNs unanswered on a listener that completes another handshake meanwhile
 *    (the other attempt is generated too); (b) the server retransmits its SYN-ACK after the
 *    client's ACK (accept queue full, tcp_abort_on_overflow=0); (c) SYN-cookie SYN-ACK (MSS only),
 *    client data retransmitted and never acknowledged; (d) bare RST right after the handshake
 *    (tcp_abort_on_overflow=1).
 *  - aborted: SYN-scan (SYN, SYN-ACK, kernel RST) or a connect() that timed out before the SYN-ACK.
 *  - incomplete: SYNs in the last second of the file (to silent ports, and the very last ones to
 *    live servers whose SYN-ACK was not captured any more).
 *
 * Nothing else is left undecided at the end: new attempts stop, every running script finishes,
 * then the incomplete SYNs follow. Client ports are never reused within a file.
 *
 * --syn-flood N writes N distinct single SYNs (random IPv4 sources and ports, random TTL and
 * window, no options) to 203.0.113.10:80 within 10 s, then 4 s later one normal connection to
 * 203.0.113.10:22 so that every flood SYN has waited out the 3 s handshake timeout: truth
 * filtered N, established 1.
 */
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERDICTS, type Verdict } from '../src/model/verdict.js';
import { mulberry32 } from '../test/helpers/prng.js';
import { fold, sum16 } from '../test/helpers/checksum.js';

// ---------------------------------------------------------------------------
// constants
// ---------------------------------------------------------------------------

const F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_PSH = 0x08, F_ACK = 0x10;
/** TCP option layouts (see writeOptions). */
const O_NONE = 0, O_SYN_TS = 1, O_SYN_WIN = 2, O_SYN_NOTS = 3, O_MSS = 4, O_TS = 5;
const OPT_LEN = [0, 20, 12, 12, 4, 12];
/** Application payloads that dissectors parse: HTTP on 80/8080, SSH and SMTP banners. */
const T_NONE = 0, T_HTTP_REQ = 1, T_HTTP_RESP = 2, T_SSH_S = 3, T_SSH_C = 4, T_SMTP_S = 5, T_SMTP_C = 6, T_SMTP_250 = 7, T_SMTP_QUIT = 8, T_SMTP_221 = 9;
const FIXED_TEXT: Record<number, Buffer> = {
  [T_SSH_S]: Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n', 'latin1'),
  [T_SSH_C]: Buffer.from('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n', 'latin1'),
  [T_SMTP_S]: Buffer.from('220 mail.example.net ESMTP Postfix (Debian/GNU)\r\n', 'latin1'),
  [T_SMTP_C]: Buffer.from('EHLO client.example.org\r\n', 'latin1'),
  [T_SMTP_250]: Buffer.from('250-mail.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n', 'latin1'),
  [T_SMTP_QUIT]: Buffer.from('QUIT\r\n', 'latin1'),
  [T_SMTP_221]: Buffer.from('221 2.0.0 Bye\r\n', 'latin1'),
};
const HTTP_REQ_HEAD = 'GET /static/app.js HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: synscope-bench/1\r\nAccept: */*\r\nX-Pad: ';
const HTTP_REQ_MIN = HTTP_REQ_HEAD.length + 5;
const HTTP_RESP_MIN = 160;
function httpRespHead(clen: number): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nCache-Control: max-age=3600\r\nContent-Length: ${clen}\r\n\r\n`;
}
/** Body length of an HTTP response of `total` bytes on the wire. */
function httpBodyLen(total: number): number {
  let clen = total - httpRespHead(0).length;
  while (httpRespHead(clen).length + clen > total) clen--;
  while (httpRespHead(clen + 1).length + clen + 1 <= total) clen++;
  return clen;
}
const SEC = 1_000_000;
const MS = 1000;
/** 2026-03-14T09:00:00Z */
const START_SEC = 1_773_478_800;

export const DEFAULT_MIX: Record<string, number> = {
  established: 72, refused: 8, 'forged-reset': 3, rejected: 4, unreachable: 3, filtered: 4, 'backlog-drop': 3, aborted: 3,
};

export interface GenerateOptions {
  out: string;
  sizeMb?: number;
  connections?: number;
  seed?: number;
  mix?: Record<string, number>;
  /** Seconds over which attempts start (default 300). */
  duration?: number;
  /** SYNs in the last second of the file (default 8). */
  incomplete?: number;
  synFlood?: number;
  quiet?: boolean;
  /** Also write FILE.truth.txt: one line per attempt (client ip, port, server ip, port, verdict, variant). */
  truthAttempts?: boolean;
}

export interface Truth {
  attempts: number;
  midstream: number;
  verdicts: Record<Verdict, number>;
  generator: {
    file: string;
    mode: 'mix' | 'syn-flood';
    seed: number;
    packets: number;
    bytes: number;
    firstPacket: string;
    lastPacket: string;
    spanSec: number;
    ipv6Attempts: number;
    variants: Record<string, number>;
    mix?: Record<string, number>;
    dataScale?: number;
    seconds: number;
  };
}

// ---------------------------------------------------------------------------
// randomness
// ---------------------------------------------------------------------------

const rng = mulberry32;

// ---------------------------------------------------------------------------
// packets and scripts
// ---------------------------------------------------------------------------

/** Who sent a packet: the client, the server host (or a device in its name), or an ICMP sender. */
const D_CLI = 0, D_SRV = 1, D_ICMP = 2;

class Pkt {
  /** IPv6 flow label override (-1: the connection's label for that direction). */
  label = -1;
  /** Pool offset of the payload (even). */
  po = 0;
  /** Application text instead of pool bytes (T_*); clen: an HTTP response's body length. */
  txt = 0;
  clen = 0;
  /** ICMP: type << 8 | code; sender address; the quoted SYN and its TTL as the sender received it. */
  icmp = 0;
  snd: Buffer | null = null;
  q: Pkt | null = null;
  qTtl = 0;
  /** IPv4 identification. */
  id = 0;
  /** TSval actually written (set at emission; quoted SYNs reuse it). */
  tsv = 0;
  size = 0;
  constructor(
    public t: number, public dir: number, public fl: number, public seq: number, public ack: number,
    public len: number, public opt: number, public win: number, public ttl: number,
  ) {}
}

class Conn {
  pk: Pkt[] = [];
  i = 0;
  /** TSval clock offsets and last TSval sent, per direction. */
  tsOff: [number, number] = [0, 0];
  lastTsv: [number, number] = [0, 0];
  ipId: [number, number] = [0, 0];
  label: [number, number] = [0, 0];
  bytes = 0;
  constructor(
    public v6: boolean, public cli: Buffer, public srv: Buffer, public cport: number, public sport: number,
    public mac: number, public mss: number,
  ) {}
}

interface Client { v6: boolean; ip: Buffer; mac: number; ttl: number; ts: boolean; nextPort: number }

interface Server {
  v6: boolean;
  ip: Buffer;
  /** Hops from the capture point; TTL of its packets as captured. */
  hops: number;
  ttl: number;
  /** Base RTT in µs from the capture point. */
  rtt: number;
  open: number[];
  closed: number[];
  fwReset: number[];
  reject: Array<{ port: number; code: number; fromHost: boolean }>;
  filtered: number[];
  /** Firewall in front of it: hops from the capture point and initial TTL. */
  fwHops: number;
  fwInit: number;
  /** Capture time of its first own packet (-1: none yet): the TTL baseline of forged-reset. */
  firstOwn: number;
  weight: number;
}

/** Hosts that do not answer at all (ARP/ND failure at the last hop), or that no route leads to. */
interface DeadHost { v6: boolean; ip: Buffer; hops: number; rtt: number; kind: 'down' | 'noroute' | 'dark' }

// ---------------------------------------------------------------------------
// min-heap of connections by next packet time
// ---------------------------------------------------------------------------

class Heap {
  private keys: number[] = [];
  private vals: Conn[] = [];
  get size(): number { return this.keys.length; }
  peek(): number { return this.keys.length ? this.keys[0]! : Infinity; }
  push(k: number, v: Conn): void {
    const keys = this.keys, vals = this.vals;
    let i = keys.length;
    keys.push(k); vals.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p]! <= k) break;
      keys[i] = keys[p]!; vals[i] = vals[p]!;
      i = p;
    }
    keys[i] = k; vals[i] = v;
  }
  pop(): Conn {
    const keys = this.keys, vals = this.vals;
    const top = vals[0]!;
    const k = keys.pop()!, v = vals.pop()!;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && keys[c + 1]! < keys[c]!) c++;
        if (keys[c]! >= k) break;
        keys[i] = keys[c]!; vals[i] = vals[c]!;
        i = c;
      }
      keys[i] = k; vals[i] = v;
    }
    return top;
  }
}

// ---------------------------------------------------------------------------
// checksums
// ---------------------------------------------------------------------------


// ---------------------------------------------------------------------------
// the generator
// ---------------------------------------------------------------------------

class Generator {
  readonly rand: () => number;
  private readonly pool: Buffer;
  /** Prefix sums of the pool's 16-bit words: payload checksums without touching the bytes. */
  private readonly poolSum: Float64Array;
  private out: Buffer;
  private pos = 0;
  private readonly scratch = Buffer.alloc(256);
  private readonly heap = new Heap();
  private readonly fd: number;
  packets = 0;
  bytes = 24;
  /** Bytes of scheduled packets not yet written. */
  pending = 0;
  firstUs = -1;
  lastUs = 0;

  readonly counts: Record<Verdict, number>;
  readonly variants: Record<string, number> = {};
  ipv6Attempts = 0;
  attempts = 0;

  private readonly clients4: Client[] = [];
  private readonly clients6: Client[] = [];
  private readonly servers4: Server[] = [];
  private readonly servers6: Server[] = [];
  private readonly dead4: DeadHost[] = [];
  private readonly dead6: DeadHost[] = [];
  private readonly gw4 = Buffer.from([198, 51, 100, 254]);
  private readonly gw6 = v6addr(0x0001, 0, 0, 1);
  private readonly fw4 = Buffer.from([192, 0, 2, 1]);
  private readonly fw6 = v6addr(0xffff, 0, 0, 0xfe);
  private readonly lastHop4 = Buffer.from([203, 0, 113, 254]);
  private readonly lastHop6 = v6addr(0x0002, 0, 0, 0xffff);
  private forgedDebt = 0;
  /** One line per attempt (client ip, port, server ip, port, verdict, variant), when asked for. */
  detail: string[] | null = null;

  constructor(fd: number, seed: number, public dataScale = 1) {
    this.fd = fd;
    this.out = Buffer.allocUnsafe(fd >= 0 ? 8 << 20 : 1 << 20);
    this.rand = rng(seed);
    const r = this.rand;
    this.counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
    this.pool = Buffer.allocUnsafe(1 << 17);
    for (let i = 0; i < this.pool.length; i++) this.pool[i] = (r() * 256) | 0;
    this.poolSum = new Float64Array(this.pool.length / 2 + 1);
    for (let i = 0; i < this.pool.length / 2; i++) this.poolSum[i + 1] = this.poolSum[i]! + ((this.pool[2 * i]! << 8) | this.pool[2 * i + 1]!);

    // Clients: 240 IPv4 hosts, 60 of them dual-stack.
    for (let n = 10; n < 250; n++) {
      const win = r() < 0.15;
      this.clients4.push({ v6: false, ip: Buffer.from([198, 51, 100, n]), mac: n, ttl: win ? 128 : 64, ts: !win, nextPort: 32768 + ((r() * 28000) | 0) });
      if (n % 4 === 0) {
        const ip = v6addr(0x0001, (r() * 0x10000) | 0, (r() * 0x10000) | 0, (r() * 0x10000) | 0);
        this.clients6.push({ v6: true, ip, mac: n, ttl: win ? 128 : 64, ts: !win, nextPort: 32768 + ((r() * 28000) | 0) });
      }
    }
    // Servers: 160 IPv4 and 24 IPv6 live hosts; down, unrouted and dark hosts.
    for (let n = 1; n <= 160; n++) this.servers4.push(this.makeServer(false, Buffer.from([203, 0, 113, n])));
    for (let n = 1; n <= 24; n++) this.servers6.push(this.makeServer(true, v6addr(0x0002, 0, 0, n)));
    const dead = (v6: boolean, ip: Buffer, kind: DeadHost['kind']): DeadHost => {
      const hops = 4 + ((r() * 16) | 0);
      return { v6, ip, hops, rtt: Math.round(logUniform(r, 300, 45_000)), kind };
    };
    for (let n = 170; n < 200; n++) this.dead4.push(dead(false, Buffer.from([203, 0, 113, n]), 'down'));
    for (let n = 200; n < 230; n++) this.dead4.push(dead(false, Buffer.from([203, 0, 113, n]), 'noroute'));
    for (let n = 230; n < 250; n++) this.dead4.push(dead(false, Buffer.from([203, 0, 113, n]), 'dark'));
    for (let n = 0; n < 8; n++) this.dead6.push(dead(true, v6addr(0x0002, 0, 0xdead, n + 1), 'down'));
    for (let n = 0; n < 8; n++) this.dead6.push(dead(true, v6addr(0x0002, 0, 0xbad, n + 1), 'noroute'));
    for (let n = 0; n < 8; n++) this.dead6.push(dead(true, v6addr(0x0002, 0, 0xda4c, n + 1), 'dark'));

    if (fd >= 0) {
      const h = Buffer.alloc(24);
      h.writeUInt32LE(0xa1b2c3d4, 0);
      h.writeUInt16LE(2, 4);
      h.writeUInt16LE(4, 6);
      h.writeUInt32LE(262144, 16);
      h.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
      writeSync(fd, h);
    }
  }

  private makeServer(v6: boolean, ip: Buffer): Server {
    const r = this.rand;
    const pick = (list: number[], n: number): number[] => {
      const l = [...list];
      const outp: number[] = [];
      while (outp.length < n && l.length) outp.push(l.splice((r() * l.length) | 0, 1)[0]!);
      return outp;
    };
    const init = r() < 0.85 ? 64 : 128;
    const hops = 3 + ((r() * 20) | 0);
    const open = [443, 80];
    const extra = r();
    if (extra < 0.3) open.push(22); else if (extra < 0.45) open.push(25); else if (extra < 0.7) open.push(8080);
    const reject = pick([111, 2049, 5432, 5900, 27017], 1 + ((r() * 2) | 0)).map((port) => {
      const fromHost = r() < 0.6;
      const code = v6 ? (fromHost ? 4 : 1) : fromHost ? (r() < 0.5 ? 3 : 10) : 13;
      return { port, code, fromHost };
    });
    const fwInit = r() < 0.7 ? 64 : 255;
    return {
      v6, ip, hops, ttl: init - hops, rtt: Math.round(logUniform(r, 200, 45_000)),
      open,
      closed: pick([81, 3000, 5000, 8000, 8081, 8888, 9000, 9090, 10000], 2),
      fwReset: pick([135, 139, 3306, 6379, 9200, 11211], 1 + ((r() * 2) | 0)),
      reject,
      filtered: pick([23, 445, 1433, 3389, 5985, 8443], 2),
      fwHops: 1 + ((r() * (hops - 1)) | 0),
      fwInit,
      firstOwn: -1,
      weight: r(),
    };
  }

  // -------------------------------------------------------------------------
  // choosing endpoints
  // -------------------------------------------------------------------------

  private client(v6: boolean): Client {
    const l = v6 ? this.clients6 : this.clients4;
    // Skewed: a few clients are much busier than the rest.
    return l[Math.floor(this.rand() ** 1.6 * l.length)]!;
  }

  private server(v6: boolean): Server {
    const l = v6 ? this.servers6 : this.servers4;
    return l[Math.floor(this.rand() ** 1.4 * l.length)]!;
  }

  private any<T>(l: readonly T[]): T {
    return l[(this.rand() * l.length) | 0]!;
  }

  private conn(cl: Client, srvIp: Buffer, sport: number, v6: boolean): Conn {
    const r = this.rand;
    const port = cl.nextPort;
    cl.nextPort = port >= 60999 ? 32768 : port + 1;
    const c = new Conn(v6, cl.ip, srvIp, port, sport, cl.mac, v6 ? 1440 : 1460);
    c.tsOff[0] = (r() * 0xffffffff) >>> 0;
    c.tsOff[1] = (r() * 0xffffffff) >>> 0;
    c.ipId[0] = (r() * 0x10000) | 0;
    c.ipId[1] = (r() * 0x10000) | 0;
    c.label[0] = 1 + ((r() * 0xffffe) | 0);
    c.label[1] = 1 + ((r() * 0xffffe) | 0);
    return c;
  }

  private isn(): number {
    return (this.rand() * 0x100000000) >>> 0;
  }

  /** A Linux RTO jitter: timers fire up to a few ms late. */
  private jit(): number {
    return (this.rand() * 4 * MS) | 0;
  }

  private rttOf(s: { rtt: number }): number {
    return Math.max(200, Math.min(50_000, Math.round(s.rtt * (0.9 + 0.2 * this.rand()))));
  }

  // -------------------------------------------------------------------------
  // packet construction
  // -------------------------------------------------------------------------

  private add(c: Conn, t: number, dir: number, fl: number, seq: number, ack: number, len: number, opt: number, win: number, ttl: number): Pkt {
    const p = new Pkt(t, dir, fl, seq >>> 0, ack >>> 0, len, opt, win, ttl);
    if (len > 0) p.po = ((this.rand() * ((this.pool.length - len) >> 1)) | 0) * 2;
    p.size = 16 + 14 + (c.v6 ? 40 : 20) + 20 + OPT_LEN[opt]! + len;
    if (dir === D_CLI) p.id = c.ipId[0] = (c.ipId[0] + 1) & 0xffff;
    else if (dir === D_SRV) p.id = c.ipId[1] = (c.ipId[1] + 1) & 0xffff;
    c.pk.push(p);
    return p;
  }

  private addIcmp(c: Conn, t: number, syn: Pkt, sender: Buffer, type: number, code: number, ttl: number, qTtl: number): Pkt {
    const p = new Pkt(t, D_ICMP, 0, 0, 0, 0, 0, 0, ttl);
    p.icmp = (type << 8) | code;
    p.snd = sender;
    p.q = syn;
    p.qTtl = Math.max(1, qTtl);
    p.id = (this.rand() * 0x10000) | 0;
    const ip = c.v6 ? 40 : 20;
    p.size = 16 + 14 + ip + 8 + ip + 20 + OPT_LEN[syn.opt]!;
    c.pk.push(p);
    return p;
  }

  private schedule(c: Conn): void {
    c.pk.sort((a, b) => a.t - b.t);
    let bytes = 0;
    for (const p of c.pk) bytes += p.size;
    c.bytes = bytes;
    this.pending += bytes;
    this.heap.push(c.pk[0]!.t, c);
  }

  private tally(v: Verdict, variant: string, c: Conn): void {
    this.counts[v]++;
    this.attempts++;
    if (c.v6) this.ipv6Attempts++;
    if (this.detail) this.detail.push(`${ipText(c.cli)} ${c.cport} ${ipText(c.srv)} ${c.sport} ${v} ${variant}`);
    const k = `${v}/${variant}`;
    this.variants[k] = (this.variants[k] ?? 0) + 1;
  }

  // -------------------------------------------------------------------------
  // scripts, one per verdict
  // -------------------------------------------------------------------------

  /** SYN options and window of a client: Linux with timestamps, or Windows-like. */
  private synOpt(cl: Client): [number, number] {
    return cl.ts ? [O_SYN_TS, 64240] : [O_SYN_WIN, 64240];
  }

  /**
   * Data segments from `dir`: IW10, the window doubling every RTT. The client ACKs every second
   * server segment and the last one at once; the server ACKs every second request segment (the
   * last one is acknowledged by the response). Returns the time of the last packet.
   */
  private transfer(c: Conn, t: number, dir: number, size: number, nxt: number[], rtt: number, opt: number, ttls: number[], txt = T_NONE): number {
    const mss = c.mss - (opt === O_TS ? 12 : 0);
    if (txt === T_HTTP_REQ) size = Math.min(mss, Math.max(HTTP_REQ_MIN, size));
    else if (txt === T_HTTP_RESP) size = Math.max(HTTP_RESP_MIN, size);
    else if (txt !== T_NONE) size = FIXED_TEXT[txt]!.length;
    let left = size;
    let n = 0;
    let sent = 0;
    let cwnd = 10;
    let last = t;
    const other = 1 - dir;
    while (left > 0) {
      const len = Math.min(left, mss);
      left -= len;
      if (sent === cwnd) { t += rtt; sent = 0; cwnd *= 2; }
      t += 8 + ((len * 0.08) | 0);
      const seg = this.add(c, t, dir, left === 0 ? F_PSH | F_ACK : F_ACK, nxt[dir]!, nxt[other]!, len, opt, dir === D_CLI ? 502 : 509, ttls[dir]!);
      if (n === 0 && txt !== T_NONE) {
        seg.txt = txt;
        if (txt === T_HTTP_RESP) seg.clen = httpBodyLen(size);
      }
      nxt[dir] = (nxt[dir]! + len) >>> 0;
      n++;
      sent++;
      if (n % 2 === 0 || (left === 0 && dir === D_SRV)) {
        const ta = t + (dir === D_SRV ? 15 + ((this.rand() * 40) | 0) : rtt);
        this.add(c, ta, other, F_ACK, nxt[other]!, nxt[dir]!, 0, opt, other === D_CLI ? 502 : 509, ttls[other]!);
        last = Math.max(last, ta);
      }
      last = Math.max(last, t);
    }
    return last;
  }

  private established(t0: number, v6: boolean, srv?: Server, port?: number, variant = 'normal'): void {
    const r = this.rand;
    const cl = this.client(v6);
    const s = srv ?? this.server(v6);
    const sport = port ?? this.any(s.open);
    const c = this.conn(cl, s.ip, sport, v6);
    const rtt = this.rttOf(s);
    const [synOpt, synWin] = this.synOpt(cl);
    const dOpt = cl.ts ? O_TS : O_NONE;
    const ttls = [cl.ttl, s.ttl];
    const ci = this.isn(), si = this.isn();
    let t = t0;
    this.add(c, t, D_CLI, F_SYN, ci, 0, 0, synOpt, synWin, cl.ttl);
    if (variant === 'normal' && r() < 0.04) {
      variant = 'syn-retransmit';
      t += SEC + this.jit();
      this.add(c, t, D_CLI, F_SYN, ci, 0, 0, synOpt, synWin, cl.ttl);
    }
    t += rtt;
    this.add(c, t, D_SRV, F_SYN | F_ACK, si, ci + 1, 0, cl.ts ? O_SYN_TS : O_SYN_NOTS, v6 ? 64800 : 65160, s.ttl);
    if (s.firstOwn < 0) s.firstOwn = t;
    t += 20 + ((r() * 60) | 0);
    this.add(c, t, D_CLI, F_ACK, ci + 1, si + 1, 0, dOpt, 502, cl.ttl);
    const nxt = [(ci + 1) >>> 0, (si + 1) >>> 0];
    const proc = (): number => 50 + Math.round(logUniform(r, 50, 20_000));
    const http = sport === 80 || sport === 8080;
    if (sport === 25) {
      // SMTP: banner, EHLO, capabilities, QUIT, 221; the server then closes.
      t = this.transfer(c, t + rtt + proc(), D_SRV, 0, nxt, rtt, dOpt, ttls, T_SMTP_S);
      t = this.transfer(c, t + 200 + ((r() * 2000) | 0), D_CLI, 0, nxt, rtt, dOpt, ttls, T_SMTP_C);
      t = this.transfer(c, t + rtt + proc(), D_SRV, 0, nxt, rtt, dOpt, ttls, T_SMTP_250);
      t = this.transfer(c, t + 200 + ((r() * 2000) | 0), D_CLI, 0, nxt, rtt, dOpt, ttls, T_SMTP_QUIT);
      t = this.transfer(c, t + rtt + proc(), D_SRV, 0, nxt, rtt, dOpt, ttls, T_SMTP_221);
    } else {
      if (sport === 22) {
        // SSH: the server's banner, then the client's; the key exchange is left out.
        t = this.transfer(c, t + rtt + proc(), D_SRV, 0, nxt, rtt, dOpt, ttls, T_SSH_S);
        t = this.transfer(c, t + 100 + ((r() * 1000) | 0), D_CLI, 0, nxt, rtt, dOpt, ttls, T_SSH_C);
      } else {
        const exchanges = r() < 0.85 ? 1 : 2 + ((r() * 3) | 0);
        for (let k = 0; k < exchanges; k++) {
          if (k > 0) t += Math.round(logUniform(r, 1 * MS, 300 * MS));
          t += 30 + ((r() * 200) | 0);
          const req = Math.max(1, Math.round((30 + r() * 240) * this.dataScale));
          t = this.transfer(c, t, D_CLI, req, nxt, rtt, dOpt, ttls, http ? T_HTTP_REQ : T_NONE);
          const q = r();
          const base = q < 0.8 ? 40 + r() * 460 : q < 0.97 ? 500 + r() * 1700 : q < 0.995 ? 2800 + r() * 12_000 : 15_000 + r() * 60_000;
          const resp = Math.max(1, Math.round(base * this.dataScale));
          t = this.transfer(c, t + rtt + proc(), D_SRV, resp, nxt, rtt, dOpt, ttls, http ? T_HTTP_RESP : T_NONE);
        }
      }
    }
    const close = r();
    if (close < 0.62) {
      // The client closes; the server closes at once.
      t += 100 + ((r() * 2000) | 0);
      this.add(c, t, D_CLI, F_FIN | F_ACK, nxt[0]!, nxt[1]!, 0, dOpt, 502, cl.ttl);
      nxt[0] = (nxt[0]! + 1) >>> 0;
      t += rtt;
      this.add(c, t, D_SRV, F_FIN | F_ACK, nxt[1]!, nxt[0]!, 0, dOpt, 509, s.ttl);
      nxt[1] = (nxt[1]! + 1) >>> 0;
      t += 20 + ((r() * 40) | 0);
      this.add(c, t, D_CLI, F_ACK, nxt[0]!, nxt[1]!, 0, dOpt, 502, cl.ttl);
    } else if (close < 0.95) {
      // The server closes an idle keep-alive connection; the client closes its side.
      t += close < 0.8 ? 1000 + ((r() * 50 * MS) | 0) : Math.round(logUniform(r, 1 * SEC, 15 * SEC));
      this.add(c, t, D_SRV, F_FIN | F_ACK, nxt[1]!, nxt[0]!, 0, dOpt, 509, s.ttl);
      nxt[1] = (nxt[1]! + 1) >>> 0;
      t += 30 + ((r() * 200) | 0);
      this.add(c, t, D_CLI, F_FIN | F_ACK, nxt[0]!, nxt[1]!, 0, dOpt, 502, cl.ttl);
      nxt[0] = (nxt[0]! + 1) >>> 0;
      t += rtt;
      this.add(c, t, D_SRV, F_ACK, nxt[1]!, nxt[0]!, 0, dOpt, 509, s.ttl);
    } else {
      // Abortive close by the client application (SO_LINGER 0): RST|ACK, no options.
      t += 100 + ((r() * 5000) | 0);
      this.add(c, t, D_CLI, F_RST | F_ACK, nxt[0]!, nxt[1]!, 0, O_NONE, 0, cl.ttl);
      if (variant === 'normal') variant = 'client-rst-close';
    }
    this.schedule(c);
    this.tally('established', variant, c);
  }

  private refused(t0: number, v6: boolean): void {
    const cl = this.client(v6);
    const s = this.server(v6);
    const c = this.conn(cl, s.ip, this.any(s.closed), v6);
    const [o, w] = this.synOpt(cl);
    const ci = this.isn();
    this.add(c, t0, D_CLI, F_SYN, ci, 0, 0, o, w, cl.ttl);
    // Linux tcp_v4_send_reset: no socket, the SYN has no ACK: seq 0, ack ISN+1, window 0.
    const rst = this.add(c, t0 + this.rttOf(s), D_SRV, F_RST | F_ACK, 0, ci + 1, 0, O_NONE, 0, s.ttl);
    rst.id = 0;
    rst.label = 0;
    this.schedule(c);
    this.tally('refused', 'closed-port', c);
  }

  /** A server with its own packets already written before `t`; null if there is none yet. */
  private baselined(v6: boolean, t: number): Server | null {
    for (let k = 0; k < 20; k++) {
      const s = this.server(v6);
      if (s.firstOwn >= 0 && s.firstOwn < t - 10 * MS) return s;
    }
    const l = v6 ? this.servers6 : this.servers4;
    for (const s of l) if (s.firstOwn >= 0 && s.firstOwn < t - 10 * MS) return s;
    return null;
  }

  private forged(t0: number, v6: boolean): boolean {
    const r = this.rand;
    const s = this.baselined(v6, t0);
    if (!s) return false;
    const cl = this.client(v6);
    const race = r() < 0.3;
    const c = this.conn(cl, s.ip, race ? this.any(s.open) : this.any(s.fwReset), v6);
    const [o, w] = this.synOpt(cl);
    const ci = this.isn();
    const rtt = this.rttOf(s);
    const fwTtl = s.fwInit - s.fwHops;
    const fwRtt = Math.max(100, Math.round((rtt * s.fwHops) / s.hops));
    this.add(c, t0, D_CLI, F_SYN, ci, 0, 0, o, w, cl.ttl);
    // iptables REJECT --reject-with tcp-reset (nf_send_reset): RST|ACK, seq 0, ack ISN+1, window 0.
    const rst = this.add(c, t0 + fwRtt, D_SRV, F_RST | F_ACK, 0, ci + 1, 0, O_NONE, 0, fwTtl);
    rst.id = 0;
    rst.label = 0;
    if (race) {
      // The real server's SYN-ACK follows; the client's socket is gone, its kernel resets it.
      const ta = t0 + Math.max(rtt, fwRtt + 50);
      this.add(c, ta, D_SRV, F_SYN | F_ACK, this.isn(), ci + 1, 0, cl.ts ? O_SYN_TS : O_SYN_NOTS, v6 ? 64800 : 65160, s.ttl);
      const rr = this.add(c, ta + 15 + ((r() * 30) | 0), D_CLI, F_RST, ci + 1, 0, 0, O_NONE, 0, cl.ttl);
      rr.id = 0;
    }
    this.schedule(c);
    this.tally('forged-reset', race ? 'injected-race' : 'firewall-tcp-reset', c);
    return true;
  }

  private rejected(t0: number, v6: boolean): void {
    const cl = this.client(v6);
    const s = this.server(v6);
    const rj = this.any(s.reject);
    const c = this.conn(cl, s.ip, rj.port, v6);
    const [o, w] = this.synOpt(cl);
    const rtt = this.rttOf(s);
    const syn = this.add(c, t0, D_CLI, F_SYN, this.isn(), 0, 0, o, w, cl.ttl);
    if (rj.fromHost) {
      // The server's own REJECT rule: icmp-port-unreachable / icmp-host-prohibited (RHEL default).
      this.addIcmp(c, t0 + rtt, syn, s.ip, v6 ? 1 : 3, rj.code, s.ttl, cl.ttl - s.hops);
    } else {
      const fwRtt = Math.max(100, Math.round((rtt * s.fwHops) / s.hops));
      this.addIcmp(c, t0 + fwRtt, syn, v6 ? this.fw6 : this.fw4, v6 ? 1 : 3, rj.code, s.fwInit - s.fwHops, cl.ttl - s.fwHops);
    }
    this.schedule(c);
    this.tally('rejected', `${v6 ? 'icmp6' : 'icmp'}-${v6 ? 1 : 3}/${rj.code}`, c);
  }

  private unreachable(t0: number, v6: boolean): void {
    const r = this.rand;
    const cl = this.client(v6);
    const hosts = (v6 ? this.dead6 : this.dead4).filter((h) => h.kind !== 'dark');
    const h = this.any(hosts);
    const c = this.conn(cl, h.ip, this.any([443, 80, 22, 8080]), v6);
    const [o, w] = this.synOpt(cl);
    const ci = this.isn();
    const syn = this.add(c, t0, D_CLI, F_SYN, ci, 0, 0, o, w, cl.ttl);
    if (h.kind === 'noroute') {
      // The client's own gateway has no route: ICMP net-unreach / ICMPv6 no-route at once.
      this.addIcmp(c, t0 + 80 + ((r() * 400) | 0), syn, v6 ? this.gw6 : this.gw4, v6 ? 1 : 3, 0, 64, cl.ttl);
      this.tally('unreachable', v6 ? 'icmp6-1/0' : 'icmp-3/0', c);
    } else {
      // The last-hop router fails ARP/ND for 3 s, then answers every queued SYN.
      const syn2 = this.add(c, t0 + SEC + this.jit(), D_CLI, F_SYN, ci, 0, 0, o, w, cl.ttl);
      const rttR = Math.max(100, Math.round((h.rtt * (h.hops - 1)) / h.hops));
      const ti = t0 + 3 * SEC + rttR + ((r() * 500) | 0);
      const t3 = t0 + 3 * SEC + this.jit();
      if (t3 < ti) this.add(c, t3, D_CLI, F_SYN, ci, 0, 0, o, w, cl.ttl);
      const sender = v6 ? this.lastHop6 : this.lastHop4;
      this.addIcmp(c, ti, syn, sender, v6 ? 1 : 3, v6 ? 3 : 1, 64 - (h.hops - 1), cl.ttl - (h.hops - 1));
      this.addIcmp(c, ti + 5 + ((r() * 30) | 0), syn2, sender, v6 ? 1 : 3, v6 ? 3 : 1, 64 - (h.hops - 1), cl.ttl - (h.hops - 1));
      this.tally('unreachable', v6 ? 'icmp6-1/3' : 'icmp-3/1', c);
    }
    this.schedule(c);
  }

  /** SYN retransmission times of a Linux client whose connect() gives up after a timeout. */
  private synTimes(maxSyns: number): number[] {
    const ts = [0];
    for (let k = 1, at = 0; k < maxSyns; k++) {
      at += (1 << (k - 1)) * SEC;
      ts.push(at + this.jit());
    }
    return ts;
  }

  private filtered(t0: number, v6: boolean): void {
    const r = this.rand;
    const cl = this.client(v6);
    let ip: Buffer, port: number, variant: string;
    if (r() < 0.75) {
      const s = this.server(v6);
      ip = s.ip; port = this.any(s.filtered); variant = 'drop-rule';
    } else {
      const dark = (v6 ? this.dead6 : this.dead4).filter((h) => h.kind === 'dark');
      ip = this.any(dark).ip; port = this.any([443, 80, 22, 3389]); variant = 'dark-host';
    }
    const c = this.conn(cl, ip, port, v6);
    const [o, w] = this.synOpt(cl);
    const ci = this.isn();
    const q = r();
    for (const dt of this.synTimes(q < 0.5 ? 3 : q < 0.85 ? 4 : 5)) this.add(c, t0 + dt, D_CLI, F_SYN, ci, 0, 0, o, w, cl.ttl);
    this.schedule(c);
    this.tally('filtered', variant, c);
  }

  private backlog(t0: number, v6: boolean, room: number): number {
    const r = this.rand;
    const q = r();
    const s = this.server(v6);
    const sport = this.any(s.open);
    const rtt = this.rttOf(s);
    if (q < 0.5 && room >= 2) {
      // (a) SYN queue / accept queue full: SYNs dropped silently while another client completes.
      const cl = this.client(v6);
      const c = this.conn(cl, s.ip, sport, v6);
      const [o, w] = this.synOpt(cl);
      const ci = this.isn();
      for (const dt of this.synTimes(r() < 0.7 ? 3 : 4)) this.add(c, t0 + dt, D_CLI, F_SYN, ci, 0, 0, o, w, cl.ttl);
      this.schedule(c);
      this.tally('backlog-drop', 'syn-dropped', c);
      this.established(t0 + 50 * MS + Math.round(r() * 2.7 * SEC), v6, s, sport, 'beside-backlog-drop');
      return 2;
    }
    // A SYN cookie without timestamps carries the MSS only: the client did not offer timestamps.
    const noTs = (v6 ? this.clients6 : this.clients4).filter((x) => !x.ts);
    const cookie = q >= 0.72 && q < 0.9 && noTs.length > 0;
    const cl = cookie ? this.any(noTs) : this.client(v6);
    const c = this.conn(cl, s.ip, sport, v6);
    const [o, w] = this.synOpt(cl);
    const dOpt = cl.ts ? O_TS : O_NONE;
    const ci = this.isn(), si = this.isn();
    let t = t0;
    this.add(c, t, D_CLI, F_SYN, ci, 0, 0, o, w, cl.ttl);
    const tSynAck = t + rtt;
    this.add(c, tSynAck, D_SRV, F_SYN | F_ACK, si, ci + 1, 0, cookie ? O_MSS : cl.ts ? O_SYN_TS : O_SYN_NOTS, v6 ? 64800 : 65160, s.ttl);
    if (s.firstOwn < 0) s.firstOwn = tSynAck;
    t = tSynAck + 20 + ((r() * 60) | 0);
    this.add(c, t, D_CLI, F_ACK, ci + 1, si + 1, 0, dOpt, 502, cl.ttl);
    const cN = (ci + 1) >>> 0, sN = (si + 1) >>> 0;
    const rto = Math.max(200 * MS + rtt, 3 * rtt);
    if (q < 0.72) {
      // (b) accept queue full, tcp_abort_on_overflow=0: the final ACK is dropped and the server
      // retransmits its SYN-ACK (+1 s, +3 s); the client ACKs each one again.
      const speaksFirst = sport === 22 || sport === 25 || r() < 0.3;
      let dataEnd = t;
      if (!speaksFirst) {
        const [len, txt] = this.request(sport, r);
        let td = t + 30 + ((r() * 200) | 0);
        for (let k = 0, back = rto; td < t0 + 4 * SEC; k++, back *= 2) {
          this.add(c, td, D_CLI, F_PSH | F_ACK, cN, sN, len, dOpt, 502, cl.ttl).txt = txt;
          dataEnd = td;
          td += back;
        }
      }
      for (const dt of [SEC, 3 * SEC]) {
        const ts = tSynAck + dt + this.jit();
        this.add(c, ts, D_SRV, F_SYN | F_ACK, si, ci + 1, 0, cl.ts ? O_SYN_TS : O_SYN_NOTS, v6 ? 64800 : 65160, s.ttl);
        this.add(c, ts + 15 + ((r() * 40) | 0), D_CLI, F_ACK, cN, sN, 0, dOpt, 502, cl.ttl);
      }
      // The client application gives up: abortive close.
      const tEnd = Math.max(dataEnd, tSynAck + 3 * SEC) + Math.round(r() * 2 * SEC) + 100 * MS;
      const rr = this.add(c, tEnd, D_CLI, F_RST | F_ACK, cN, sN, 0, O_NONE, 0, cl.ttl);
      rr.id = 0;
      this.schedule(c);
      this.tally('backlog-drop', speaksFirst ? 'synack-retransmit-no-data' : 'synack-retransmit', c);
      return 1;
    }
    if (cookie) {
      // (c) SYN cookie, then the accept queue drops the connection the ACK created: the client's
      // request is retransmitted and never acknowledged; the application gives up.
      const [len, txt] = this.request(sport, r);
      let td = t + 30 + ((r() * 200) | 0);
      let last = td;
      for (let k = 0, back = rto; k < 5; k++, back *= 2) {
        this.add(c, td, D_CLI, F_PSH | F_ACK, cN, sN, len, dOpt, 502, cl.ttl).txt = txt;
        last = td;
        td += back;
      }
      const rr = this.add(c, last + Math.round(r() * SEC), D_CLI, F_RST | F_ACK, cN, sN, 0, O_NONE, 0, cl.ttl);
      rr.id = 0;
      this.schedule(c);
      this.tally('backlog-drop', 'syn-cookie-data-unacked', c);
      return 1;
    }
    // (d) tcp_abort_on_overflow=1: the final ACK, and then the request, are answered with a bare RST.
    const [len, txt] = this.request(sport, r);
    const td = t + 30 + ((r() * 200) | 0);
    this.add(c, td, D_CLI, F_PSH | F_ACK, cN, sN, len, dOpt, 502, cl.ttl).txt = txt;
    const r1 = this.add(c, t + rtt, D_SRV, F_RST, sN, 0, 0, O_NONE, 0, s.ttl);
    const r2 = this.add(c, td + rtt, D_SRV, F_RST, sN, 0, 0, O_NONE, 0, s.ttl);
    r1.id = r2.id = 0;
    r1.label = r2.label = 0;
    this.schedule(c);
    this.tally('backlog-drop', 'abort-on-overflow-rst', c);
    return 1;
  }

  /** The client's first request on a port: length and text kind. */
  private request(sport: number, r: () => number): [number, number] {
    if (sport === 80 || sport === 8080) return [HTTP_REQ_MIN + ((r() * 200) | 0), T_HTTP_REQ];
    if (sport === 25) return [FIXED_TEXT[T_SMTP_C]!.length, T_SMTP_C];
    if (sport === 22) return [FIXED_TEXT[T_SSH_C]!.length, T_SSH_C];
    return [40 + ((r() * 400) | 0), T_NONE];
  }

  private aborted(t0: number, v6: boolean): void {
    const r = this.rand;
    const cl = this.client(v6);
    const s = this.server(v6);
    const c = this.conn(cl, s.ip, this.any(s.open), v6);
    const rtt = this.rttOf(s);
    const ci = this.isn();
    const scan = r() < 0.5;
    if (scan) {
      // nmap -sS: a raw SYN (MSS only, window 1024, random TTL); the kernel resets the SYN-ACK.
      this.add(c, t0, D_CLI, F_SYN, ci, 0, 0, O_MSS, 1024, 37 + ((r() * 23) | 0));
      this.add(c, t0 + rtt, D_SRV, F_SYN | F_ACK, this.isn(), ci + 1, 0, O_MSS, v6 ? 64800 : 65160, s.ttl);
    } else {
      // connect() with a timeout shorter than the path's RTT: the socket is gone when the SYN-ACK comes.
      const [o, w] = this.synOpt(cl);
      this.add(c, t0, D_CLI, F_SYN, ci, 0, 0, o, w, cl.ttl);
      this.add(c, t0 + rtt, D_SRV, F_SYN | F_ACK, this.isn(), ci + 1, 0, cl.ts ? O_SYN_TS : O_SYN_NOTS, v6 ? 64800 : 65160, s.ttl);
    }
    if (s.firstOwn < 0) s.firstOwn = t0 + rtt;
    const rr = this.add(c, t0 + rtt + 10 + ((r() * 40) | 0), D_CLI, F_RST, ci + 1, 0, 0, O_NONE, 0, cl.ttl);
    rr.id = 0;
    this.schedule(c);
    this.tally('aborted', scan ? 'syn-scan' : 'connect-timeout', c);
  }

  /** SYNs whose answer is not in the file: the capture ends first. */
  private incomplete(t: number, v6: boolean, live: boolean): void {
    const cl = this.client(v6);
    const s = this.server(v6);
    const c = this.conn(cl, s.ip, live ? this.any(s.open) : this.any(s.filtered), v6);
    const [o, w] = this.synOpt(cl);
    this.add(c, t, D_CLI, F_SYN, this.isn(), 0, 0, o, w, cl.ttl);
    this.schedule(c);
    this.tally('incomplete', live ? 'syn-at-capture-end' : 'syn-unanswered-under-timeout', c);
  }

  // -------------------------------------------------------------------------
  // the main loop
  // -------------------------------------------------------------------------

  /**
   * Starts attempts as a Poisson process until the byte target (or the attempt count) is
   * reached, lets every script finish, then adds the incomplete SYNs at the very end.
   */
  run(o: { targetBytes: number; maxAttempts: number; rate: number; mix: Array<[Verdict, number]>; incomplete: number }): void {
    const r = this.rand;
    const total = o.mix.reduce((s, [, w]) => s + w, 0);
    const cum: Array<[Verdict, number]> = [];
    let acc = 0;
    for (const [v, w] of o.mix) { acc += w / total; cum.push([v, acc]); }
    const reserve = o.incomplete * 100;
    const maxStart = o.maxAttempts - o.incomplete;
    let next = 0;
    let starting = total > 0;
    for (;;) {
      if (starting && (this.bytes + this.pending >= o.targetBytes - reserve || this.attempts >= maxStart)) starting = false;
      const top = this.heap.peek();
      if (starting && next <= top) {
        const v6 = r() < 0.1;
        let v: Verdict = cum[cum.length - 1]![0];
        if (this.forgedDebt > 0 && this.baselined(v6, next)) { v = 'forged-reset'; this.forgedDebt--; } else {
          const x = r();
          for (const [name, c] of cum) if (x < c) { v = name; break; }
        }
        this.start(v, next, v6, maxStart - this.attempts);
        next += Math.max(1, Math.round((-Math.log(1 - r()) / o.rate) * SEC));
        continue;
      }
      if (this.heap.size === 0) break;
      this.step(starting ? next : Infinity);
    }
    // The last second: unanswered SYNs under the handshake timeout, the very last to live servers.
    const end = this.lastUs + 1 * SEC;
    for (let k = 0; k < o.incomplete; k++) {
      const live = k >= o.incomplete - Math.min(2, Math.ceil(o.incomplete / 4));
      const t = live ? end - (o.incomplete - k) * 60 : end - SEC + Math.round(((k + 0.5) / o.incomplete) * 0.9 * SEC);
      this.incomplete(t, r() < 0.1, live);
    }
    while (this.heap.size) this.step(Infinity);
    this.flush();
  }

  private start(v: Verdict, t: number, v6: boolean, room: number): void {
    switch (v) {
      case 'established': this.established(t, v6); break;
      case 'refused': this.refused(t, v6); break;
      case 'forged-reset':
        if (!this.forged(t, v6)) {
          // No server has shown its own TTL yet (start of the file): owe it, start something else.
          this.forgedDebt++;
          this.established(t, v6);
        }
        break;
      case 'rejected': this.rejected(t, v6); break;
      case 'unreachable': this.unreachable(t, v6); break;
      case 'filtered': this.filtered(t, v6); break;
      case 'backlog-drop': this.backlog(t, v6, room); break;
      case 'aborted': this.aborted(t, v6); break;
      default: this.established(t, v6);
    }
  }

  /** Writes the earliest packet, and that connection's following ones while they stay before `bound` and the heap. */
  private step(bound: number): void {
    const c = this.heap.pop();
    for (;;) {
      const p = c.pk[c.i++]!;
      this.emit(c, p);
      if (c.i === c.pk.length) return;
      const nt = c.pk[c.i]!.t;
      if (nt > this.heap.peek() || nt >= bound) { this.heap.push(nt, c); return; }
    }
  }

  // -------------------------------------------------------------------------
  // SYN flood
  // -------------------------------------------------------------------------

  synFlood(n: number): void {
    const r = this.rand;
    const target = Buffer.from([203, 0, 113, 10]);
    const seen = new Set<number>();
    const rate = n / 10;
    let t = 0;
    for (let k = 0; k < n; k++) {
      let key: number;
      do key = ((1 + ((r() * 253) | 0)) << 16) | (1024 + ((r() * 64512) | 0)); while (seen.has(key));
      seen.add(key);
      const c = new Conn(false, Buffer.from([198, 51, 100, key >>> 16]), target, key & 0xffff, 80, 1 + ((r() * 250) | 0), 1460);
      const p = this.add(c, t, D_CLI, F_SYN, this.isn(), 0, 0, O_NONE, 512 + ((r() * 64000) | 0), 40 + ((r() * 210) | 0));
      p.id = (r() * 0x10000) | 0;
      this.pending += p.size;
      this.emit(c, p);
      this.tally('filtered', 'syn-flood', c);
      t += Math.max(0, Math.round((-Math.log(1 - r()) / rate) * SEC));
    }
    // One ordinary connection to another port 4 s later moves the clock past every SYN's timeout.
    const s = this.servers4[9]!;
    this.established(this.lastUs + 4 * SEC, false, s, 22, 'after-flood');
    while (this.heap.size) this.step(Infinity);
    this.flush();
  }

  // -------------------------------------------------------------------------
  // bytes
  // -------------------------------------------------------------------------

  private emit(c: Conn, p: Pkt): void {
    this.pending -= p.size;
    this.packets++;
    this.bytes += p.size;
    if (this.firstUs < 0) this.firstUs = p.t;
    this.lastUs = p.t;
    if (this.out.length - this.pos < 2048) this.flush();
    const b = this.out;
    const rec = this.pos;
    const abs = START_SEC * SEC + p.t;
    const sec = Math.floor(abs / SEC);
    b.writeUInt32LE(sec, rec);
    b.writeUInt32LE(abs - sec * SEC, rec + 4);
    const frame = p.size - 16;
    b.writeUInt32LE(frame, rec + 8);
    b.writeUInt32LE(frame, rec + 12);
    const at = rec + 16;
    // Ethernet: client <-> the LAN gateway (00:00:5e:00:53:fe).
    const fromClient = p.dir === D_CLI;
    b[at] = 0x00; b[at + 1] = 0x00; b[at + 2] = 0x5e; b[at + 3] = 0x00; b[at + 4] = 0x53; b[at + 5] = fromClient ? 0xfe : c.mac;
    b[at + 6] = 0x00; b[at + 7] = 0x00; b[at + 8] = 0x5e; b[at + 9] = 0x00; b[at + 10] = 0x53; b[at + 11] = fromClient ? c.mac : 0xfe;
    b.writeUInt16BE(c.v6 ? 0x86dd : 0x0800, at + 12);
    let len: number;
    if (p.dir === D_ICMP) len = this.icmp(b, at + 14, c, p);
    else {
      if (p.opt === O_SYN_TS || p.opt === O_TS) {
        const d = p.dir;
        p.tsv = (Math.floor(p.t / MS) + c.tsOff[d]!) >>> 0;
        c.lastTsv[d] = p.tsv;
      }
      len = this.tcp(b, at + 14, c, p, p.ttl);
    }
    if (14 + len !== frame) throw new Error(`internal: frame length ${14 + len} != ${frame}`);
    this.pos = at + frame;
  }

  /** IPv4/IPv6 + TCP from the connection's script; returns the IP packet length. */
  private tcp(b: Buffer, at: number, c: Conn, p: Pkt, ttl: number): number {
    const optLen = OPT_LEN[p.opt]!;
    const tcpLen = 20 + optLen + p.len;
    const fromClient = p.dir === D_CLI;
    const src = fromClient ? c.cli : c.srv;
    const dst = fromClient ? c.srv : c.cli;
    let t: number;
    if (c.v6) {
      const label = p.label >= 0 ? p.label : c.label[fromClient ? 0 : 1]!;
      b.writeUInt32BE((0x60000000 | label) >>> 0, at);
      b.writeUInt16BE(tcpLen, at + 4);
      b[at + 6] = 6;
      b[at + 7] = ttl;
      src.copy(b, at + 8);
      dst.copy(b, at + 24);
      t = at + 40;
    } else {
      b[at] = 0x45;
      b[at + 1] = 0;
      b.writeUInt16BE(20 + tcpLen, at + 2);
      b.writeUInt16BE(p.id, at + 4);
      b.writeUInt16BE(0x4000, at + 6);
      b[at + 8] = ttl;
      b[at + 9] = 6;
      b[at + 10] = 0; b[at + 11] = 0;
      src.copy(b, at + 12);
      dst.copy(b, at + 16);
      b.writeUInt16BE(~fold(sum16(b, at, at + 20, 0)) & 0xffff, at + 10);
      t = at + 20;
    }
    b.writeUInt16BE(fromClient ? c.cport : c.sport, t);
    b.writeUInt16BE(fromClient ? c.sport : c.cport, t + 2);
    b.writeUInt32BE(p.seq, t + 4);
    b.writeUInt32BE(p.ack, t + 8);
    b[t + 12] = ((20 + optLen) >> 2) << 4;
    b[t + 13] = p.fl;
    b.writeUInt16BE(p.win, t + 14);
    b.writeUInt32BE(0, t + 16);
    this.writeOptions(b, t + 20, c, p);
    let s = 0;
    if (p.len > 0 && p.txt !== T_NONE) {
      const o = t + 20 + optLen;
      this.text(b, o, p);
      s = sum16(b, o, o + p.len, 0);
    } else if (p.len > 0) {
      const o = t + 20 + optLen;
      this.pool.copy(b, o, p.po, p.po + p.len);
      const w = p.po >> 1;
      const words = p.len >> 1;
      s = this.poolSum[w + words]! - this.poolSum[w]!;
      if (p.len & 1) s += this.pool[p.po + p.len - 1]! << 8;
    }
    s = sum16(src, 0, src.length, s);
    s = sum16(dst, 0, dst.length, s);
    s += 6 + tcpLen;
    s = sum16(b, t, t + 20 + optLen, s);
    b.writeUInt16BE(~fold(s) & 0xffff, t + 16);
    return (c.v6 ? 40 : 20) + tcpLen;
  }

  private text(b: Buffer, o: number, p: Pkt): void {
    if (p.txt === T_HTTP_REQ) {
      const pad = p.len - HTTP_REQ_HEAD.length - 4;
      b.write(HTTP_REQ_HEAD, o, 'latin1');
      b.fill(0x61, o + HTTP_REQ_HEAD.length, o + HTTP_REQ_HEAD.length + pad);
      b.write('\r\n\r\n', o + p.len - 4, 'latin1');
    } else if (p.txt === T_HTTP_RESP) {
      const n = b.write(httpRespHead(p.clen), o, 'latin1');
      this.pool.copy(b, o + n, p.po, p.po + p.len - n);
    } else {
      FIXED_TEXT[p.txt]!.copy(b, o);
    }
  }

  private writeOptions(b: Buffer, o: number, c: Conn, p: Pkt): void {
    const mss = 0x0204_0000 | c.mss;
    const ecr = p.fl & F_ACK ? c.lastTsv[1 - p.dir]! : 0;
    switch (p.opt) {
      case O_SYN_TS: // MSS, SACK permitted, timestamps, NOP, window scale 7 (Linux)
        b.writeUInt32BE(mss >>> 0, o);
        b.writeUInt32BE(0x0402080a, o + 4);
        b.writeUInt32BE(p.tsv, o + 8);
        b.writeUInt32BE(ecr, o + 12);
        b.writeUInt32BE(0x01030307, o + 16);
        break;
      case O_SYN_WIN: // MSS, NOP, window scale 8, NOP, NOP, SACK permitted (Windows)
        b.writeUInt32BE(mss >>> 0, o);
        b.writeUInt32BE(0x01030308, o + 4);
        b.writeUInt32BE(0x01010402, o + 8);
        break;
      case O_SYN_NOTS: // MSS, NOP, NOP, SACK permitted, NOP, window scale 7 (Linux without timestamps)
        b.writeUInt32BE(mss >>> 0, o);
        b.writeUInt32BE(0x01010402, o + 4);
        b.writeUInt32BE(0x01030307, o + 8);
        break;
      case O_MSS:
        b.writeUInt32BE(mss >>> 0, o);
        break;
      case O_TS:
        b.writeUInt32BE(0x0101080a, o);
        b.writeUInt32BE(p.tsv, o + 4);
        b.writeUInt32BE(ecr, o + 8);
        break;
      default:
    }
  }

  /** ICMP / ICMPv6 destination unreachable quoting the SYN as the sender received it. */
  private icmp(b: Buffer, at: number, c: Conn, p: Pkt): number {
    const q = p.q!;
    const qLen = this.tcp(this.scratch, 0, c, q, p.qTtl);
    const icmpLen = 8 + qLen;
    const snd = p.snd!;
    let m: number;
    if (c.v6) {
      b.writeUInt32BE(0x60000000, at);
      b.writeUInt16BE(icmpLen, at + 4);
      b[at + 6] = 58;
      b[at + 7] = p.ttl;
      snd.copy(b, at + 8);
      c.cli.copy(b, at + 24);
      m = at + 40;
    } else {
      b[at] = 0x45;
      b[at + 1] = 0xc0;
      b.writeUInt16BE(20 + icmpLen, at + 2);
      b.writeUInt16BE(p.id, at + 4);
      b.writeUInt16BE(0, at + 6);
      b[at + 8] = p.ttl;
      b[at + 9] = 1;
      b[at + 10] = 0; b[at + 11] = 0;
      snd.copy(b, at + 12);
      c.cli.copy(b, at + 16);
      b.writeUInt16BE(~fold(sum16(b, at, at + 20, 0)) & 0xffff, at + 10);
      m = at + 20;
    }
    b[m] = p.icmp >> 8;
    b[m + 1] = p.icmp & 0xff;
    b.writeUInt32BE(0, m + 2);
    b.writeUInt16BE(0, m + 6);
    this.scratch.copy(b, m + 8, 0, qLen);
    let s = sum16(b, m, m + icmpLen, 0);
    if (c.v6) {
      s = sum16(snd, 0, 16, s);
      s = sum16(c.cli, 0, 16, s);
      s += 58 + icmpLen;
    }
    b.writeUInt16BE(~fold(s) & 0xffff, m + 2);
    return (c.v6 ? 40 : 20) + icmpLen;
  }

  private flush(): void {
    if (this.pos > 0 && this.fd >= 0) {
      let off = 0;
      while (off < this.pos) off += writeSync(this.fd, this.out, off, this.pos - off);
    }
    this.pos = 0;
  }
}

function v6addr(net: number, a: number, b: number, c: number): Buffer {
  const x = Buffer.alloc(16);
  x.writeUInt32BE(0x20010db8, 0);
  x.writeUInt16BE(net, 4);
  x.writeUInt16BE(a, 10);
  x.writeUInt16BE(b, 12);
  x.writeUInt16BE(c, 14);
  return x;
}

function ipText(b: Buffer): string {
  if (b.length === 4) return b.join('.');
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(b.readUInt16BE(i).toString(16));
  return w.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

function logUniform(r: () => number, lo: number, hi: number): number {
  return lo * Math.exp(r() * Math.log(hi / lo));
}

// ---------------------------------------------------------------------------
// API and CLI
// ---------------------------------------------------------------------------

export function parseMix(s: string): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (!k || !(VERDICTS as readonly string[]).includes(k) || !Number.isFinite(n) || n < 0) {
      throw new Error(`--mix: "${part}" is not verdict=weight (verdicts: ${VERDICTS.join(', ')})`);
    }
    mix[k] = n;
  }
  return mix;
}

/** Average bytes per attempt at a data scale, from a dry run of the same generator. */
function bytesPerAttempt(seed: number, mix: Array<[Verdict, number]>, scale: number): number {
  const g = new Generator(-1, seed ^ 0x5eed, scale);
  g.run({ targetBytes: Infinity, maxAttempts: 20_000, rate: 200, mix, incomplete: 0 });
  return (g.bytes - 24) / g.attempts;
}

export function generate(o: GenerateOptions): Truth {
  const t0 = performance.now();
  const seed = (o.seed ?? 1) >>> 0;
  const out = resolve(o.out);
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.partial`;
  let mixRecord: Record<string, number> | undefined;
  let dataScale = 1;
  const fd = openSync(tmp, 'w');
  let g: Generator;
  try {
    if (o.synFlood !== undefined) {
      g = new Generator(fd, seed);
      if (o.truthAttempts) g.detail = [];
      g.synFlood(o.synFlood);
    } else {
      const m = { ...DEFAULT_MIX, ...(o.mix ?? {}) };
      let incomplete = o.incomplete ?? 8;
      if (o.mix && 'incomplete' in o.mix) incomplete = Math.round(o.mix.incomplete!);
      delete m.incomplete;
      mixRecord = { ...m, incomplete };
      const mix = Object.entries(m).filter(([, w]) => w > 0) as Array<[Verdict, number]>;
      const duration = o.duration ?? 300;
      const targetBytes = o.sizeMb !== undefined ? o.sizeMb * 1e6 : Infinity;
      let attempts: number;
      if (o.connections !== undefined && o.sizeMb !== undefined) {
        // Both fixed: scale the request/response sizes so that N attempts make about N MB.
        const b1 = bytesPerAttempt(seed, mix, 1);
        const b4 = bytesPerAttempt(seed, mix, 4);
        const want = targetBytes / o.connections;
        dataScale = Math.min(1000, Math.max(0.01, 1 + ((want - b1) * 3) / (b4 - b1)));
        attempts = o.connections;
      } else if (o.connections !== undefined) {
        attempts = o.connections;
      } else if (o.sizeMb !== undefined) {
        attempts = targetBytes / bytesPerAttempt(seed, mix, 1);
      } else {
        throw new Error('give --size-mb, --connections or --syn-flood');
      }
      g = new Generator(fd, seed, dataScale);
      if (o.truthAttempts) g.detail = [];
      g.run({
        targetBytes: o.connections !== undefined ? Infinity : targetBytes,
        maxAttempts: o.connections ?? Infinity,
        rate: Math.max(0.01, attempts / duration),
        mix,
        incomplete,
      });
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, out);
  const iso = (us: number): string => {
    const abs = START_SEC * SEC + us;
    return `${new Date(Math.floor(abs / MS)).toISOString().slice(0, 19)}.${String(abs % SEC).padStart(6, '0')}Z`;
  };
  const truth: Truth = {
    attempts: g.attempts,
    midstream: 0,
    verdicts: g.counts,
    generator: {
      file: out,
      mode: o.synFlood !== undefined ? 'syn-flood' : 'mix',
      seed,
      packets: g.packets,
      bytes: g.bytes,
      firstPacket: iso(g.firstUs),
      lastPacket: iso(g.lastUs),
      spanSec: (g.lastUs - g.firstUs) / SEC,
      ipv6Attempts: g.ipv6Attempts,
      variants: Object.fromEntries(Object.entries(g.variants).sort()),
      ...(mixRecord ? { mix: mixRecord, dataScale: Number(dataScale.toFixed(4)) } : {}),
      seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
    },
  };
  writeFileSync(`${out}.truth.json`, `${JSON.stringify(truth, null, 2)}\n`);
  if (g.detail) writeFileSync(`${out}.truth.txt`, `${g.detail.join('\n')}\n`);
  if (!o.quiet) {
    process.stderr.write(`generated ${out}: ${g.packets} packets, ${(g.bytes / 1e6).toFixed(1)} MB, ${g.attempts} attempts over ${truth.generator.spanSec.toFixed(0)} s in ${truth.generator.seconds} s; truth in ${out}.truth.json\n`);
  }
  return truth;
}

function main(argv: string[]): void {
  const o: GenerateOptions = { out: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = (): number => {
      const v = val();
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${a} takes a number, not "${v}"`);
      return n;
    };
    switch (a) {
      case '--out': o.out = val(); break;
      case '--size-mb': o.sizeMb = num(); break;
      case '--connections': o.connections = Math.round(num()); break;
      case '--seed': o.seed = Math.round(num()); break;
      case '--mix': o.mix = parseMix(val()); break;
      case '--duration': o.duration = num(); break;
      case '--incomplete': o.incomplete = Math.round(num()); break;
      case '--syn-flood': o.synFlood = Math.round(num()); break;
      case '--quiet': o.quiet = true; break;
      case '--truth-attempts': o.truthAttempts = true; break;
      case '-h': case '--help':
        process.stdout.write('usage: generate --out FILE (--size-mb N [--connections N] | --connections N | --syn-flood N) [--seed S] [--mix verdict=weight,...] [--duration S] [--incomplete N] [--truth-attempts]\n');
        return;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!o.out) throw new Error('--out FILE is required');
  generate(o);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`generate: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
