/**
 * Capture-reading benchmark: our readCapture against the pcap-parser npm package, on the same file.
 *
 *   node dist/bench/reader-bench.js [file.pcap] [--size-mb N] [--runs N] [--no-gzip] [--only a,b,c,d]
 *
 * Without a file, a deterministic synthetic classic pcap (Ethernet; IPv4 and IPv6; handshakes,
 * refusals, silent drops, ICMP unreachables, data, resets; default 500 MB) is generated into
 * bench/data/ (gitignored) and reused by later runs. Measurements, each in its own child process
 * so that peak RSS is per measurement, best wall time of --runs (default 3):
 *   a  our readCapture, sink sums caplen
 *   b  pcap-parser, 'packet' listener sums data.length
 *   c  our readCapture + Decoder.decode on every packet
 *   d  our readCapture on the gzip-compressed file (made once, next to the pcap; --no-gzip skips it)
 * MB/s is always relative to the uncompressed pcap size. Prints a markdown table.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

import { readCapture } from '../src/capture/reader.js';
import { Decoder } from '../src/decode/decoder.js';
import { mulberry32 } from '../test/helpers/prng.js';
import { fold, sum16 } from '../test/helpers/checksum.js';

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(SCRIPT), '../..');
const DATA_DIR = join(ROOT, 'bench', 'data');

// ---------------------------------------------------------------------------
// deterministic synthetic capture
// ---------------------------------------------------------------------------

const rng = mulberry32;

const F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_PSH = 0x08, F_ACK = 0x10;
const OPT_NONE = 0, OPT_SYN = 1, OPT_TS = 2;
const MSS = 1448;

/** One packet of a connection's script. from: 0 client, 1 server, 2 router (ICMP error quoting the client's SYN). */
interface Step { from: 0 | 1 | 2; flags: number; len: number; opt: number }

interface Conn {
  v6: boolean;
  cIp: Buffer;
  sIp: Buffer;
  rIp: Buffer;
  cPort: number;
  sPort: number;
  isn: [number, number];
  nxt: [number, number];
  tsOff: [number, number];
  steps: Step[];
  i: number;
}

class Generator {
  private readonly rand: () => number;
  private readonly pool: Buffer;
  private out = Buffer.allocUnsafe(8 << 20);
  private pos = 0;
  private readonly scratch = Buffer.alloc(2048);
  private sec = 1_773_480_413; // 2026-03-14T09:26:53Z
  private usec = 0;
  private readonly active: Conn[] = [];
  private readonly servers4: Buffer[] = [];
  private readonly servers6: Buffer[] = [];
  packets = 0;
  bytes = 0;

  constructor(private readonly fd: number, seed: number) {
    this.rand = rng(seed);
    this.pool = Buffer.allocUnsafe(1 << 16);
    for (let i = 0; i < this.pool.length; i++) this.pool[i] = (this.rand() * 256) | 0;
    for (let i = 0; i < 64; i++) {
      this.servers4.push(Buffer.from([203, 0, 113, 1 + i]));
      const s6 = Buffer.alloc(16);
      s6.writeUInt32BE(0x20010db8, 0);
      s6.writeUInt16BE(1, 4);
      s6.writeUInt16BE(0x20 + i, 14);
      this.servers6.push(s6);
    }
    // The file header: classic pcap, little-endian, microseconds, snaplen 262144, Ethernet.
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(1, 20);
    writeSync(fd, h);
    this.bytes = 24;
  }

  run(targetBytes: number): void {
    for (let i = 0; i < 256; i++) this.active.push(this.newConn());
    while (this.bytes < targetBytes) {
      const k = (this.rand() * this.active.length) | 0;
      const c = this.active[k]!;
      this.packet(c, c.steps[c.i++]!);
      if (c.i === c.steps.length) this.active[k] = this.newConn();
    }
    this.flush();
  }

  private int(lo: number, hi: number): number {
    return lo + ((this.rand() * (hi - lo + 1)) | 0);
  }

  private newConn(): Conn {
    const r = this.rand;
    const v6 = r() < 0.3;
    let cIp: Buffer, sIp: Buffer, rIp: Buffer;
    if (v6) {
      cIp = Buffer.alloc(16);
      cIp.writeUInt32BE(0x20010db8, 0);
      cIp.writeUInt32BE((r() * 0xffffffff) >>> 0, 8);
      cIp.writeUInt32BE((r() * 0xffffffff) >>> 0, 12);
      sIp = this.servers6[(r() * 64) | 0]!;
      rIp = Buffer.from(sIp);
      rIp.writeUInt16BE(1, 14);
    } else {
      cIp = Buffer.from([10, this.int(0, 255), this.int(0, 255), this.int(1, 254)]);
      sIp = this.servers4[(r() * 64) | 0]!;
      rIp = Buffer.from([203, 0, 113, 254]);
    }
    const ports = [443, 443, 443, 80, 22, 5432, 8080, 6379];
    const steps: Step[] = [];
    const c = (flags: number, len = 0, opt = OPT_TS): void => { steps.push({ from: 0, flags, len, opt }); };
    const s = (flags: number, len = 0, opt = OPT_TS): void => { steps.push({ from: 1, flags, len, opt }); };
    const handshake = (): void => { c(F_SYN, 0, OPT_SYN); s(F_SYN | F_ACK, 0, OPT_SYN); c(F_ACK); };
    /** A request, then a response of `segs` segments, the client ACKing every second one. */
    const exchange = (): void => {
      c(F_PSH | F_ACK, this.int(20, 160));
      const q = r();
      const resp = q < 0.8 ? this.int(8, 200) : q < 0.97 ? this.int(200, 1200) : this.int(1449, 6000);
      let left = resp, n = 0;
      while (left > 0) {
        const len = Math.min(left, MSS);
        left -= len;
        s(left === 0 ? F_PSH | F_ACK : F_ACK, len);
        if (++n % 2 === 0 || left === 0) c(F_ACK);
      }
    };
    const close = (): void => { c(F_FIN | F_ACK); s(F_FIN | F_ACK); c(F_ACK); };
    const p = r();
    if (p < 0.45) {
      handshake();
      for (let k = this.int(1, 3); k > 0; k--) exchange();
      close();
    } else if (p < 0.65) {
      // Refused: RST-ACK straight away (RST carries no options).
      c(F_SYN, 0, OPT_SYN); s(F_RST | F_ACK, 0, OPT_NONE);
    } else if (p < 0.75) {
      // Silently dropped by a firewall: the SYN and its retransmissions.
      for (let k = this.int(1, 4); k > 0; k--) c(F_SYN, 0, OPT_SYN);
    } else if (p < 0.82) {
      // Rejected by a router/firewall with an ICMP unreachable quoting the SYN.
      c(F_SYN, 0, OPT_SYN); steps.push({ from: 2, flags: 0, len: 0, opt: OPT_NONE });
      if (r() < 0.5) { c(F_SYN, 0, OPT_SYN); steps.push({ from: 2, flags: 0, len: 0, opt: OPT_NONE }); }
    } else if (p < 0.9) {
      // Listen backlog full: first SYN unanswered, the retransmission gets through.
      c(F_SYN, 0, OPT_SYN); handshake(); exchange(); close();
    } else {
      // Reset mid-stream by either side.
      handshake(); exchange();
      if (r() < 0.5) c(F_RST | F_ACK, 0, OPT_NONE); else s(F_RST, 0, OPT_NONE);
    }
    const cIsn = (r() * 0xffffffff) >>> 0;
    const sIsn = (r() * 0xffffffff) >>> 0;
    return {
      v6, cIp, sIp, rIp,
      cPort: this.int(32768, 60999), sPort: ports[(r() * ports.length) | 0]!,
      isn: [cIsn, sIsn], nxt: [cIsn, 0], tsOff: [(r() * 0xffffffff) >>> 0, (r() * 0xffffffff) >>> 0],
      steps, i: 0,
    };
  }

  private packet(c: Conn, st: Step): void {
    // Inter-arrival time: exponential, mean 20 µs.
    this.usec += Math.floor(-Math.log(1 - this.rand()) * 20);
    if (this.usec >= 1e6) { this.sec += Math.floor(this.usec / 1e6); this.usec %= 1e6; }
    if (this.out.length - this.pos < 4096) this.flush();
    const buf = this.out;
    const rec = this.pos;
    const at = rec + 16;
    let len: number;
    if (st.from === 2) {
      len = this.icmpFrame(buf, at, c);
    } else {
      const from = st.from;
      const seq = st.flags & F_SYN ? c.isn[from] : c.nxt[from];
      const ack = st.flags & F_ACK ? c.nxt[1 - from]! : 0;
      if (st.flags & F_SYN) c.nxt[from] = (c.isn[from] + 1) >>> 0;
      else c.nxt[from] = (c.nxt[from] + st.len + (st.flags & F_FIN ? 1 : 0)) >>> 0;
      len = this.ethernet(buf, at, from === 0, c.v6);
      len += this.ipTcp(buf, at + len, c, from === 0, st.flags, seq, ack, st.opt, st.len);
    }
    buf.writeUInt32LE(this.sec, rec);
    buf.writeUInt32LE(this.usec, rec + 4);
    buf.writeUInt32LE(len, rec + 8);
    buf.writeUInt32LE(len, rec + 12);
    this.pos = at + len;
    this.bytes += 16 + len;
    this.packets++;
  }

  private flush(): void {
    if (this.pos > 0) writeSync(this.fd, this.out, 0, this.pos);
    this.pos = 0;
  }

  private ethernet(buf: Buffer, at: number, fromClient: boolean, v6: boolean): number {
    // 00:00:5e:00:53:01 client, :02 gateway/server side.
    const mac = [0x00, 0x00, 0x5e, 0x00, 0x53];
    for (let i = 0; i < 5; i++) { buf[at + i] = mac[i]!; buf[at + 6 + i] = mac[i]!; }
    buf[at + 5] = fromClient ? 2 : 1;
    buf[at + 11] = fromClient ? 1 : 2;
    buf.writeUInt16BE(v6 ? 0x86dd : 0x0800, at + 12);
    return 14;
  }

  /** IPv4/IPv6 + TCP with Linux-style options and `payload` bytes; returns the IP packet length. */
  private ipTcp(buf: Buffer, at: number, c: Conn, fromClient: boolean, flags: number, seq: number, ack: number, opt: number, payload: number): number {
    const optLen = opt === OPT_SYN ? 20 : opt === OPT_TS ? 12 : 0;
    const tcpLen = 20 + optLen + payload;
    const src = fromClient ? c.cIp : c.sIp;
    const dst = fromClient ? c.sIp : c.cIp;
    const ipLen = c.v6 ? 40 : 20;
    const ttl = fromClient ? 64 : 52;
    if (c.v6) {
      buf.writeUInt32BE(0x60000000 | (c.cPort & 0xfffff), at);
      buf.writeUInt16BE(tcpLen, at + 4);
      buf[at + 6] = 6;
      buf[at + 7] = ttl;
      src.copy(buf, at + 8);
      dst.copy(buf, at + 24);
    } else {
      buf[at] = 0x45;
      buf[at + 1] = 0;
      buf.writeUInt16BE(20 + tcpLen, at + 2);
      buf.writeUInt16BE(this.packets & 0xffff, at + 4);
      buf.writeUInt16BE(0x4000, at + 6);
      buf[at + 8] = ttl;
      buf[at + 9] = 6;
      buf.writeUInt16BE(0, at + 10);
      src.copy(buf, at + 12);
      dst.copy(buf, at + 16);
      buf.writeUInt16BE(~fold(sum16(buf, at, at + 20, 0)) & 0xffff, at + 10);
    }
    const t = at + ipLen;
    buf.writeUInt16BE(fromClient ? c.cPort : c.sPort, t);
    buf.writeUInt16BE(fromClient ? c.sPort : c.cPort, t + 2);
    buf.writeUInt32BE(seq >>> 0, t + 4);
    buf.writeUInt32BE(ack >>> 0, t + 8);
    buf[t + 12] = ((20 + optLen) / 4) << 4;
    buf[t + 13] = flags;
    buf.writeUInt16BE(flags & F_RST ? 0 : flags & F_SYN ? 64240 : 502, t + 14);
    buf.writeUInt32BE(0, t + 16); // checksum, urgent
    const now = (this.sec * 1000 + Math.floor(this.usec / 1000)) >>> 0;
    const tsVal = (now + c.tsOff[fromClient ? 0 : 1]!) >>> 0;
    const tsEcr = flags & F_ACK ? (now - 1 + c.tsOff[fromClient ? 1 : 0]!) >>> 0 : 0;
    let o = t + 20;
    if (opt === OPT_SYN) {
      buf.writeUInt32BE(0x020405b4, o); // MSS 1460
      buf.writeUInt32BE(0x0402080a, o + 4); // SACK permitted, TS
      buf.writeUInt32BE(tsVal, o + 8);
      buf.writeUInt32BE(tsEcr, o + 12);
      buf.writeUInt32BE(0x01030307, o + 16); // NOP, WS 7
      o += 20;
    } else if (opt === OPT_TS) {
      buf.writeUInt32BE(0x0101080a, o);
      buf.writeUInt32BE(tsVal, o + 4);
      buf.writeUInt32BE(tsEcr, o + 8);
      o += 12;
    }
    if (payload > 0) {
      const from = (this.rand() * (this.pool.length - payload)) | 0;
      this.pool.copy(buf, o, from, from + payload);
    }
    // Checksum over the pseudo header and the segment.
    let s = sum16(src, 0, src.length, 0);
    s = sum16(dst, 0, dst.length, s);
    s += 6 + tcpLen;
    s = sum16(buf, t, t + tcpLen, s);
    buf.writeUInt16BE(~fold(s) & 0xffff, t + 16);
    return ipLen + tcpLen;
  }

  /** Router's ICMP (type 3 code 13) / ICMPv6 (type 1 code 1) unreachable quoting the client's SYN. */
  private icmpFrame(buf: Buffer, at: number, c: Conn): number {
    const q = this.scratch;
    const qLen = this.ipTcp(q, 0, c, true, F_SYN, c.isn[0], 0, OPT_SYN, 0);
    let len = this.ethernet(buf, at, false, c.v6);
    const ip = at + len;
    const icmpLen = 8 + qLen;
    if (c.v6) {
      buf.writeUInt32BE(0x60000000, ip);
      buf.writeUInt16BE(icmpLen, ip + 4);
      buf[ip + 6] = 58;
      buf[ip + 7] = 60;
      c.rIp.copy(buf, ip + 8);
      c.cIp.copy(buf, ip + 24);
    } else {
      buf[ip] = 0x45;
      buf[ip + 1] = 0xc0;
      buf.writeUInt16BE(20 + icmpLen, ip + 2);
      buf.writeUInt32BE(0, ip + 4);
      buf[ip + 8] = 250;
      buf[ip + 9] = 1;
      buf.writeUInt16BE(0, ip + 10);
      c.rIp.copy(buf, ip + 12);
      c.cIp.copy(buf, ip + 16);
      buf.writeUInt16BE(~fold(sum16(buf, ip, ip + 20, 0)) & 0xffff, ip + 10);
    }
    const m = ip + (c.v6 ? 40 : 20);
    buf[m] = c.v6 ? 1 : 3;
    buf[m + 1] = c.v6 ? 1 : 13;
    buf.writeUInt16BE(0, m + 2);
    buf.writeUInt32BE(0, m + 4);
    q.copy(buf, m + 8, 0, qLen);
    let s = sum16(buf, m, m + icmpLen, 0);
    if (c.v6) {
      s = sum16(c.rIp, 0, 16, s);
      s = sum16(c.cIp, 0, 16, s);
      s += 58 + icmpLen;
    }
    buf.writeUInt16BE(~fold(s) & 0xffff, m + 2);
    len += (c.v6 ? 40 : 20) + icmpLen;
    return len;
  }
}


function generate(path: string, targetBytes: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, 'w');
  const t0 = performance.now();
  const g = new Generator(fd, 20260314);
  try {
    g.run(targetBytes);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  log(`generated ${path}: ${g.packets} packets, ${(g.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function gzipFile(src: string, dst: string): Promise<void> {
  const tmp = `${dst}.partial`;
  const t0 = performance.now();
  await pipeline(createReadStream(src, { highWaterMark: 1 << 20 }), createGzip({ level: 6, chunkSize: 1 << 16 }), createWriteStream(tmp));
  renameSync(tmp, dst);
  log(`gzipped to ${dst}: ${(statSync(dst).size / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

// ---------------------------------------------------------------------------
// measurements (child side)
// ---------------------------------------------------------------------------

interface Result {
  packets: number;
  /** Sum of caplen: also a cross-check that every reader saw the same bytes. */
  caplenSum: number;
  ms: number;
  maxRssKB: number;
  extra?: string;
}

async function measure(kind: string, file: string): Promise<Result> {
  let packets = 0;
  let caplenSum = 0;
  let extra: string | undefined;
  const t0 = performance.now();
  if (kind === 'ours' || kind === 'ours-gzip') {
    await readCapture(file, (r) => { packets++; caplenSum += r.caplen; });
  } else if (kind === 'ours+decode') {
    const dec = new Decoder();
    let tcp = 0, icmp = 0, syn = 0;
    await readCapture(file, (r) => {
      packets++;
      caplenSum += r.caplen;
      const p = dec.decode(r.buf, r.off, r.caplen, r.origLen, r.linkType);
      if (p.hasTcp) { tcp++; if (p.tcp.flags & F_SYN) syn++; } else if (p.hasIcmp) icmp++;
    });
    extra = `tcp=${tcp} syn=${syn} icmp=${icmp}`;
  } else if (kind === 'pcap-parser') {
    const pp = createRequire(import.meta.url)('pcap-parser') as { parse(f: string): NodeJS.EventEmitter };
    await new Promise<void>((res, rej) => {
      const p = pp.parse(file);
      p.on('packet', (pk: { data: Buffer }) => { packets++; caplenSum += pk.data.length; });
      p.on('error', rej);
      p.on('end', res);
    });
  } else {
    throw new Error(`unknown measurement ${kind}`);
  }
  const ms = performance.now() - t0;
  return { packets, caplenSum, ms, maxRssKB: process.resourceUsage().maxRSS, extra };
}

// ---------------------------------------------------------------------------
// driver
// ---------------------------------------------------------------------------

function runChild(kind: string, file: string): Result {
  const r = spawnSync(process.execPath, ['--no-deprecation', SCRIPT, '--child', kind, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${kind} failed (exit ${r.status}): ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Result;
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const res = await measure(args[1]!, args[2]!);
    process.stdout.write(`${JSON.stringify(res)}\n`);
    return;
  }
  const sizeMb = Number(arg(args, '--size-mb') ?? 500);
  const runs = Number(arg(args, '--runs') ?? 3);
  const only = arg(args, '--only')?.split(',');
  const noGzip = args.includes('--no-gzip');
  const positional = args.filter((a) => !a.startsWith('--'));
  let file = positional[0];
  if (!file) {
    file = join(DATA_DIR, `synthetic-${sizeMb}mb.pcap`);
    if (!existsSync(file)) generate(file, sizeMb * 1e6);
    else log(`reusing ${file}`);
  }
  const size = statSync(file).size;
  const plan: { key: string; kind: string; label: string; file: string }[] = [
    { key: 'a', kind: 'ours', label: '(a) synscope readCapture', file },
    { key: 'b', kind: 'pcap-parser', label: '(b) pcap-parser 0.2.1', file },
    { key: 'c', kind: 'ours+decode', label: '(c) readCapture + Decoder', file },
  ];
  if (!noGzip) {
    const gz = file.endsWith('.gz') ? file : `${file}.gz`;
    if (!existsSync(gz)) await gzipFile(file, gz);
    plan.push({ key: 'd', kind: 'ours-gzip', label: `(d) readCapture, gzip (${(statSync(gz).size / 1e6).toFixed(0)} MB .gz)`, file: gz });
  }
  const rows: string[] = [];
  let ref: Result | null = null;
  for (const m of plan) {
    if (only && !only.includes(m.key)) continue;
    let best: Result | null = null;
    let peak = 0;
    for (let i = 0; i < runs; i++) {
      const r = runChild(m.kind, m.file);
      log(`${m.label} run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s, ${r.packets} packets, maxRSS ${(r.maxRssKB / 1024).toFixed(0)} MB${r.extra ? `, ${r.extra}` : ''}`);
      if (!best || r.ms < best.ms) best = r;
      peak = Math.max(peak, r.maxRssKB);
    }
    if (!best) continue;
    if (ref && (ref.packets !== best.packets || ref.caplenSum !== best.caplenSum)) {
      log(`MISMATCH: ${m.label} saw ${best.packets} packets / ${best.caplenSum} bytes, (a) saw ${ref.packets} / ${ref.caplenSum}`);
    }
    ref ??= best;
    const s = best.ms / 1000;
    rows.push(`| ${m.label} | ${best.packets.toLocaleString('en-US')} | ${s.toFixed(2)} | ${Math.round(best.packets / s).toLocaleString('en-US')} | ${(size / 1e6 / s).toFixed(0)} | ${(peak / 1024).toFixed(0)} |`);
  }
  const cpu = cpus();
  console.log(`Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}; file ${file} (${(size / 1e6).toFixed(1)} MB, ${ref?.packets.toLocaleString('en-US') ?? '?'} packets); best of ${runs}, each run in its own process; MB/s of the uncompressed pcap; peak RSS = max over the runs.`);
  console.log('');
  console.log('| measurement | packets | wall (s) | packets/s | MB/s | peak RSS (MB) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
