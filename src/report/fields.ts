/**
 * The attempt record's fields, listed once, in the contract's order (report/model.ts
 * AttemptReport). Each field says when it is left out, its value (for report objects: the
 * library's reports, NDJSON, expect files, conn.log, the HTML page) and, where the JSON report's
 * speed needs it, how it writes itself as bytes: `writeAttemptJson` writes byte for byte the UTF-8
 * of `JSON.stringify(attemptReport(row))`, without the object, its nested objects or intermediate
 * strings. Both walk FIELDS, so the two forms cannot drift apart; the main thread's engine
 * Attempt and the JSON worker's unpacked record both fill an AttemptRow.
 */
import { hopsOf } from '../model/ttl.js';
import { icmpMeaning } from '../model/icmp-names.js';
import { ruleIdOf } from '../verdict/rules.js';
import type { Flag, Verdict } from '../model/verdict.js';
import { ipv6ToString } from '../util/ip.js';
import { textBytes, type JsonOut } from './json-out.js';
import type { ConnFields } from './conn.js';
import type { AttemptReport, ReasonCode } from './model.js';

/** What a record is made from, of an attempt: the engine's Attempt, or one unpacked in the JSON worker. */
export interface AttemptFields {
  readonly version: number;
  readonly c0: number; readonly c1: number; readonly c2: number; readonly c3: number;
  readonly cport: number;
  readonly verdict: Verdict;
  readonly flags: readonly Flag[];
  readonly synCount: number;
  readonly synAckT: number;
  readonly synBeforeAckT: number;
  readonly rstT: number;
  readonly icmpT: number;
  readonly t0: number;
  readonly frames: readonly number[];
  readonly synFrames: readonly number[];
  readonly file: number;
  readonly reason: string;
  /** The deciding rule's number (verdict/rules.ts): the reasonCode. */
  readonly why: number;
  readonly history: string;
  readonly isn: number;
  readonly synAckTtl: number;
  readonly rstTtl: number;
  readonly icmpTtl: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly icmpFamily: number;
  /** The SYN-ACK was inferred from the client's ACK (no RTT to report). */
  readonly oneSided: boolean;
  icmpSenderIp(): string;
}

/** The analysis' input files and their frame numbering (see Analysis.beginFile). */
export interface FrameFiles {
  /** File names, in input order. */
  readonly files: readonly string[];
  /** Global frame number of each file's frame 0. */
  readonly frameBase: readonly number[];
}

/** The attempt's server endpoint: its address as text and a cache slot for the bytes made from it. */
export interface ServerText {
  readonly ip: string;
  readonly port: number;
  /** VLAN IDs, outer first (empty: untagged). */
  readonly vlans: readonly number[];
  /** `{"ip":"...","port":N}` (null until first written). */
  jsonBytes: Uint8Array | null;
  /** `ip:port` (made by the JSON worker for reasons; unused elsewhere). */
  text?: string;
}

/** One attempt's record in the making: filled by the caller, then walked by attemptReport or writeAttemptJson. */
export class AttemptRow {
  a!: AttemptFields;
  /** Its timing, counts and Zeek view (connFields). */
  c!: ConnFields;
  server!: ServerText;
  /** The server host's usual TTL on the attempt's interface (-1: none seen). */
  serverTtl = -1;
  /** ISO time of the first SYN. */
  start = '';
  /** The analysis' files (frames are localised to the first SYN's file when there are several). */
  ff!: FrameFiles;
  clientIp = '';
  /** Derived by `prepare`: the frames in the first SYN's file, those in the other files, the earliest answer. */
  frames: readonly number[] = [];
  others: Array<[number, number[]]> = [];
  answerT = Infinity;
  /** The `ttl` and `hops` objects' bytes, found once for both fields (set by the ttl field's write). */
  ttlText: [Uint8Array, Uint8Array] | null = null;

  /** Derives what several fields share; call after setting the inputs. */
  prepare(): this {
    const a = this.a;
    const global = a.frames.length ? a.frames : a.synFrames;
    if (this.ff.files.length > 1) {
      const local = localFrames(global, a.file, this.ff.frameBase);
      this.frames = local.mine;
      this.others = local.others;
    } else {
      this.frames = global;
      this.others = NO_OTHERS;
    }
    let answer = Infinity;
    if (a.synAckT >= 0) answer = a.synAckT;
    if (a.rstT >= 0 && a.rstT < answer) answer = a.rstT;
    if (a.icmpT >= 0 && a.icmpT < answer) answer = a.icmpT;
    this.answerT = answer;
    this.ttlText = null;
    return this;
  }
}

const NO_OTHERS: Array<[number, number[]]> = [];

/** Global frames -> those of file `home` (in its numbering) and the others', per file in order of first appearance. */
export function localFrames(frames: readonly number[], home: number, base: readonly number[]): { mine: number[]; others: Array<[number, number[]]> } {
  const mine: number[] = [];
  const others: Array<[number, number[]]> = [];
  for (const g of frames) {
    let f = base.length - 1;
    while (f > 0 && g <= base[f]) f--;
    if (f === home) { mine.push(g - base[f]); continue; }
    let o = others.find((x) => x[0] === f);
    if (!o) others.push((o = [f, []]));
    o[1].push(g - base[f]);
  }
  return { mine, others };
}

/** A field of the record. */
interface Field {
  readonly key: keyof AttemptReport;
  /** Left out of this attempt's record (optional fields). */
  readonly absent?: (r: AttemptRow) => boolean;
  value(r: AttemptRow): unknown;
  /** Writes JSON.stringify(value(r)) as bytes; without it, that is what is written. */
  readonly write?: (out: JsonOut, r: AttemptRow) => void;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

const NULL = textBytes('null');
const QUOTE = 0x22;

function quoted(out: JsonOut, ascii: string): void {
  out.char(QUOTE);
  out.ascii(ascii);
  out.char(QUOTE);
}

function numList(out: JsonOut, list: readonly number[]): void {
  out.char(0x5b); // [
  for (let i = 0; i < list.length; i++) {
    if (i) out.char(0x2c); // ,
    out.num(list[i]);
  }
  out.char(0x5d); // ]
}

/** Round-trip time: from the SYN that was answered to the first SYN-ACK (none without a captured one). */
function rttOf(a: AttemptFields): number | null {
  return a.synAckT >= 0 && !a.oneSided ? (a.synAckT - a.synBeforeAckT) * 1000 : null;
}

/** The TTLs the record quotes, -1 where absent: SYN-ACK, RST, ICMP error, the server's usual one. */
function ttlsOf(r: AttemptRow): [number, number, number, number] {
  const a = r.a;
  return [a.synAckT >= 0 && a.synAckTtl >= 0 ? a.synAckTtl : -1, a.rstT >= 0 && a.rstTtl >= 0 ? a.rstTtl : -1, a.icmpT >= 0 ? a.icmpTtl : -1, r.serverTtl >= 0 ? r.serverTtl : -1];
}

const TTL_KEYS = ['synAck', 'rst', 'icmp', 'server'] as const;

/** The `ttl` object, or with `hops` the hop counts those TTLs mean (keys in TTL_KEYS order, absent ones left out). */
function ttlObject(r: AttemptRow, hops: boolean): Record<string, number> {
  const o: Record<string, number> = {};
  const t = ttlsOf(r);
  // (An ICMP error's TTL is quoted whatever its value; the others only when the packet had one.)
  for (let i = 0; i < 4; i++) if (t[i] >= 0 || (i === 2 && r.a.icmpT >= 0)) o[TTL_KEYS[i]] = hops ? hopsOf(i === 2 ? r.a.icmpTtl : t[i]) : i === 2 ? r.a.icmpTtl : t[i];
  return o;
}

/** `{...}` of ttl and of hops by the TTLs present (some hundreds of combinations in a large capture). */
const ttlCache = new Map<number, [Uint8Array, Uint8Array]>();
const TTL_CACHE_MAX = 8192;
/** TTL / hop limit field values; others (never seen) are written without the cache. */
const isTtl = (v: number) => Number.isInteger(v) && v >= 0 && v <= 255;

function ttlBytes(r: AttemptRow): [Uint8Array, Uint8Array] {
  const [synAck, rst, , server] = ttlsOf(r);
  const icmp = r.a.icmpT >= 0;
  const icmpTtl = r.a.icmpTtl;
  const cacheable = (synAck === -1 || isTtl(synAck)) && (rst === -1 || isTtl(rst)) && (!icmp || isTtl(icmpTtl)) && (server === -1 || isTtl(server));
  const key = (((synAck + 1) * 257 + (rst + 1)) * 257 + (icmp ? icmpTtl + 1 : 0)) * 257 + (server + 1);
  if (cacheable) {
    const hit = ttlCache.get(key);
    if (hit !== undefined) return hit;
  }
  const pair: [Uint8Array, Uint8Array] = [textBytes(JSON.stringify(ttlObject(r, false))), textBytes(JSON.stringify(ttlObject(r, true)))];
  if (cacheable && ttlCache.size < TTL_CACHE_MAX) ttlCache.set(key, pair);
  return pair;
}

/** Text bytes by string (verdicts, flags, file names, reason codes): few distinct values. */
const textCache = new Map<string, Uint8Array>();

function cachedJson(s: string): Uint8Array {
  let b = textCache.get(s);
  if (b === undefined) {
    if (textCache.size >= 4096) textCache.clear();
    textCache.set(s, (b = textBytes(JSON.stringify(s))));
  }
  return b;
}

/** The record's fields, in order. */
const FIELDS: readonly Field[] = [
  {
    key: 'client',
    value: (r) => ({ ip: r.clientIp, port: r.a.cport }),
    write(out, r) {
      const a = r.a;
      out.ascii('{"ip":"');
      if (a.version === 4) {
        const w = a.c0;
        out.num(w >>> 24); out.char(0x2e); out.num((w >>> 16) & 255); out.char(0x2e); out.num((w >>> 8) & 255); out.char(0x2e); out.num(w & 255);
      } else out.ascii(ipv6ToString(a.c0, a.c1, a.c2, a.c3));
      out.ascii('","port":');
      out.num(a.cport);
      out.char(0x7d); // }
    },
  },
  {
    key: 'server',
    value: (r) => ({ ip: r.server.ip, port: r.server.port }),
    write: (out, r) => out.bytes(r.server.jsonBytes ??= textBytes(JSON.stringify({ ip: r.server.ip, port: r.server.port }))),
  },
  { key: 'vlan', absent: (r) => r.server.vlans.length === 0, value: (r) => [...r.server.vlans] },
  { key: 'verdict', value: (r) => r.a.verdict, write: (out, r) => out.bytes(cachedJson(r.a.verdict)) },
  {
    key: 'flags',
    value: (r) => r.a.flags,
    write(out, r) {
      const flags = r.a.flags;
      out.char(0x5b); // [
      for (let i = 0; i < flags.length; i++) {
        if (i) out.char(0x2c); // ,
        out.bytes(cachedJson(flags[i]));
      }
      out.char(0x5d); // ]
    },
  },
  { key: 'start', value: (r) => r.start, write: (out, r) => quoted(out, r.start) },
  { key: 'end', value: (r) => r.c.end, write: (out, r) => quoted(out, r.c.end) },
  { key: 'durationMs', value: (r) => r.c.durationMs, write: (out, r) => out.milli(r.c.durationMs) },
  { key: 'synCount', value: (r) => r.a.synCount, write: (out, r) => out.num(r.a.synCount) },
  {
    key: 'rttMs',
    value: (r) => { const v = rttOf(r.a); return v === null ? null : round3(v); },
    write: (out, r) => { const v = rttOf(r.a); if (v === null) out.bytes(NULL); else out.milli(v); },
  },
  {
    key: 'answerMs',
    value: (r) => r.answerT === Infinity ? null : round3((r.answerT - r.a.t0) * 1000),
    write: (out, r) => { if (r.answerT === Infinity) out.bytes(NULL); else out.milli((r.answerT - r.a.t0) * 1000); },
  },
  // (Objects share the decision's own array when there is one file: it is never changed after.)
  { key: 'frames', value: (r) => r.frames, write: (out, r) => numList(out, r.frames) },
  {
    key: 'file',
    value: (r) => r.ff.files[r.a.file] ?? '',
    write: (out, r) => out.bytes(cachedJson(r.ff.files[r.a.file] ?? '')),
  },
  {
    key: 'reason',
    value: (r) => r.a.reason,
    write: (out, r) => { out.char(QUOTE); out.stringBody(r.a.reason); out.char(QUOTE); },
  },
  { key: 'reasonCode', value: (r) => ruleIdOf(r.a.why) as ReasonCode, write: (out, r) => out.bytes(cachedJson(ruleIdOf(r.a.why))) },
  { key: 'history', value: (r) => r.a.history, write: (out, r) => quoted(out, r.a.history) },
  { key: 'isn', value: (r) => r.a.isn, write: (out, r) => out.num(r.a.isn) },
  { key: 'origPkts', value: (r) => r.c.origPkts, write: (out, r) => out.num(r.c.origPkts) },
  { key: 'origBytes', value: (r) => r.c.origBytes, write: (out, r) => out.num(r.c.origBytes) },
  { key: 'origIpBytes', value: (r) => r.c.origIpBytes, write: (out, r) => out.num(r.c.origIpBytes) },
  { key: 'respPkts', value: (r) => r.c.respPkts, write: (out, r) => out.num(r.c.respPkts) },
  { key: 'respBytes', value: (r) => r.c.respBytes, write: (out, r) => out.num(r.c.respBytes) },
  { key: 'respIpBytes', value: (r) => r.c.respIpBytes, write: (out, r) => out.num(r.c.respIpBytes) },
  {
    key: 'zeek',
    value: (r) => ({ uid: r.c.uid, connState: r.c.connState, history: r.c.zeekHistory, duration: r.c.zeekDuration }),
    write(out, r) {
      const c = r.c;
      out.ascii('{"uid":"'); out.ascii(c.uid);
      out.ascii('","connState":"'); out.ascii(c.connState);
      out.ascii('","history":"'); out.ascii(c.zeekHistory);
      out.ascii('","duration":');
      if (c.zeekDuration === null) out.bytes(NULL);
      else out.ascii(`${c.zeekDuration}`);
      out.char(0x7d); // }
    },
  },
  { key: 'ttl', value: (r) => ttlObject(r, false), write: (out, r) => out.bytes((r.ttlText = ttlBytes(r))[0]) },
  // (Written right after ttl, always: the pair is found once.)
  { key: 'hops', value: (r) => ttlObject(r, true), write: (out, r) => out.bytes((r.ttlText ?? ttlBytes(r))[1]) },
  {
    key: 'icmp',
    absent: (r) => r.a.icmpT < 0,
    value(r) {
      const a = r.a;
      const sender = a.icmpSenderIp();
      return { type: a.icmpType, code: a.icmpCode, name: icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode).name, sender, senderIsServer: sender === r.server.ip };
    },
    write(out, r) {
      const a = r.a;
      const sender = a.icmpSenderIp();
      out.ascii(`{"type":${a.icmpType},"code":${a.icmpCode},"name":"${icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode).name}","sender":"${sender}","senderIsServer":${sender === r.server.ip}}`);
    },
  },
  {
    key: 'otherFrames',
    absent: (r) => r.others.length === 0,
    value: (r) => r.others.map(([f, frames]) => ({ file: r.ff.files[f], frames })),
    write(out, r) {
      const others = r.others;
      out.char(0x5b); // [
      for (let i = 0; i < others.length; i++) {
        if (i) out.char(0x2c); // ,
        out.ascii('{"file":');
        out.bytes(cachedJson(r.ff.files[others[i][0]]));
        out.ascii(',"frames":');
        numList(out, others[i][1]);
        out.char(0x7d); // }
      }
      out.char(0x5d); // ]
    },
  },
];

/** `{"key":` for the first field, `,"key":` for the others. */
const KEY_BYTES = FIELDS.map((f, i) => textBytes(`${i ? ',' : '{'}"${f.key}":`));

/** The record as a report object (strings are built here, once per attempt). */
export function attemptReport(r: AttemptRow): AttemptReport {
  const o: Record<string, unknown> = {};
  for (const f of FIELDS) if (f.absent === undefined || !f.absent(r)) o[f.key] = f.value(r);
  return o as unknown as AttemptReport;
}

/** The record's JSON, byte for byte JSON.stringify(attemptReport(r)). */
export function writeAttemptJson(out: JsonOut, r: AttemptRow): void {
  for (let i = 0; i < FIELDS.length; i++) {
    const f = FIELDS[i];
    if (f.absent !== undefined && f.absent(r)) continue;
    out.bytes(KEY_BYTES[i]);
    if (f.write !== undefined) f.write(out, r);
    else out.text(JSON.stringify(f.value(r)));
  }
  out.char(0x7d); // }
}

/** The record's field names, in order (for tests and documentation). */
export const ATTEMPT_FIELD_KEYS: readonly string[] = FIELDS.map((f) => f.key);
