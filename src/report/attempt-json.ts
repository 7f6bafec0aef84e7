/**
 * An attempt's JSON text for the JSON report, written straight from the engine's Attempt:
 * `writeAttemptJson(out, a, ...)` writes byte for byte the UTF-8 of
 * `JSON.stringify(attemptReport(a, ...))` (with multi-file frames localised as the analysis
 * does), without the report object, its nested objects and the intermediate strings.
 */
import { hopsOf } from '../model/ttl.js';
import { icmpMeaning } from '../model/icmp-names.js';
import { ruleIdOf } from '../verdict/rules.js';
import type { Flag, Verdict } from '../model/verdict.js';
import { ipv6ToString } from '../util/ip.js';
import { textBytes, type JsonOut } from './json-out.js';
import type { ConnFields } from './conn.js';

/** What writeAttemptJson reads of an attempt: the engine's Attempt, or one unpacked in the JSON worker. */
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
  /** JSON.stringify of each file name. */
  readonly filesJson: readonly string[];
}

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

/** `,"ttl":{...},"hops":{...}` by the TTLs present, e.g. ~600 combinations in a large capture. */
const ttlCache = new Map<number, Uint8Array>();
const TTL_CACHE_MAX = 8192;
/** TTL / hop limit field values; others (never seen) are written without the cache. */
const isTtl = (v: number) => Number.isInteger(v) && v >= 0 && v <= 255;

/** The attempt report's `ttl` and `hops` objects, keys in its order (synAck, rst, icmp, server); -1: absent. */
function ttlHops(synAckTtl: number, rstTtl: number, icmp: boolean, icmpTtl: number, serverTtl: number): Uint8Array {
  const cacheable = (synAckTtl === -1 || isTtl(synAckTtl)) && (rstTtl === -1 || isTtl(rstTtl)) && (!icmp || isTtl(icmpTtl)) && (serverTtl === -1 || isTtl(serverTtl));
  const key = (((synAckTtl + 1) * 257 + (rstTtl + 1)) * 257 + (icmp ? icmpTtl + 1 : 0)) * 257 + (serverTtl + 1);
  if (cacheable) {
    const hit = ttlCache.get(key);
    if (hit !== undefined) return hit;
  }
  let ttl = '';
  let hops = '';
  if (synAckTtl >= 0) { ttl = `"synAck":${synAckTtl}`; hops = `"synAck":${hopsOf(synAckTtl)}`; }
  if (rstTtl >= 0) {
    ttl += `${ttl ? ',' : ''}"rst":${rstTtl}`;
    hops += `${hops ? ',' : ''}"rst":${hopsOf(rstTtl)}`;
  }
  if (icmp) {
    ttl += `${ttl ? ',' : ''}"icmp":${icmpTtl}`;
    hops += `${hops ? ',' : ''}"icmp":${hopsOf(icmpTtl)}`;
  }
  if (serverTtl >= 0) {
    ttl += `${ttl ? ',' : ''}"server":${serverTtl}`;
    hops += `${hops ? ',' : ''}"server":${hopsOf(serverTtl)}`;
  }
  const text = textBytes(`,"ttl":{${ttl}},"hops":{${hops}}`);
  if (cacheable && ttlCache.size < TTL_CACHE_MAX) ttlCache.set(key, text);
  return text;
}

/** `,"verdict":"...","flags":[` by verdict. */
const verdictText = new Map<string, Uint8Array>();
/** `"flag"` by flag. */
const flagText = new Map<string, Uint8Array>();

const CLIENT = textBytes('{"client":{"ip":"');
const PORT = textBytes('","port":');
const START = textBytes('],"start":"');
const END = textBytes('","end":"');
const DURATION = textBytes('","durationMs":');
const SYN_COUNT = textBytes(',"synCount":');
const ORIG_PKTS = textBytes(',"origPkts":');
const ORIG_BYTES = textBytes(',"origBytes":');
const ORIG_IP_BYTES = textBytes(',"origIpBytes":');
const RESP_PKTS = textBytes(',"respPkts":');
const RESP_BYTES = textBytes(',"respBytes":');
const RESP_IP_BYTES = textBytes(',"respIpBytes":');
const ZEEK_UID = textBytes(',"zeek":{"uid":"');
const ZEEK_STATE = textBytes('","connState":"');
const ZEEK_HISTORY = textBytes('","history":"');
const ZEEK_DURATION = textBytes('","duration":');
const RTT = textBytes(',"rttMs":');
const ANSWER = textBytes(',"answerMs":');
const NULL = textBytes('null');
const FRAMES = textBytes(',"frames":');
const FILE = textBytes(',"file":');
const REASON = textBytes(',"reason":"');
const REASON_CODE = textBytes('","reasonCode":"');
const HISTORY = textBytes('","history":"');
const ISN = textBytes('","isn":');
const OTHER_FRAMES = textBytes(',"otherFrames":[');
const OTHER_FILE = textBytes('{"file":');
const EMPTY_FILE = textBytes('""');

/** File names as JSON, in bytes. */
const fileText = new Map<string, Uint8Array>();

function fileBytes(json: string | undefined): Uint8Array {
  if (json === undefined) return EMPTY_FILE;
  let b = fileText.get(json);
  if (b === undefined) {
    if (fileText.size >= 1024) fileText.clear();
    fileText.set(json, (b = textBytes(json)));
  }
  return b;
}

function frameList(out: JsonOut, frames: readonly number[]): void {
  out.char(0x5b); // [
  for (let i = 0; i < frames.length; i++) {
    if (i) out.char(0x2c); // ,
    out.num(frames[i]);
  }
  out.char(0x5d); // ]
}

/** The attempt's server endpoint: its address as text and a cache slot for the text made from it. */
export interface ServerText {
  readonly ip: string;
  readonly port: number;
  /** VLAN IDs, outer first (empty: untagged). */
  readonly vlans: readonly number[];
  /** `},"server":{...}` as written after the client port (null until first used). */
  jsonBytes: Uint8Array | null;
  /** `ip:port` (made by the JSON worker for reasons; unused elsewhere). */
  text?: string;
}

/**
 * Writes `JSON.stringify(attemptReport(a, ff.files[a.file] ?? '', serverTtl))`, with the frames
 * localised to the first SYN's file when there are several files. `server` is the attempt's
 * server endpoint (address `a.serverIp()`, port `a.sport`) and `start` the ISO time of the first
 * SYN, both at hand in the caller; `c` its timing, counts and Zeek view (connFields).
 */
export function writeAttemptJson(out: JsonOut, a: AttemptFields, server: ServerText, serverTtl: number, start: string, ff: FrameFiles, c: ConnFields): void {
  out.bytes(CLIENT);
  if (a.version === 4) {
    const w = a.c0;
    out.num(w >>> 24); out.char(0x2e); out.num((w >>> 16) & 255); out.char(0x2e); out.num((w >>> 8) & 255); out.char(0x2e); out.num(w & 255);
  } else out.ascii(ipv6ToString(a.c0, a.c1, a.c2, a.c3));
  out.bytes(PORT);
  out.num(a.cport);
  out.bytes(server.jsonBytes ??= textBytes(`},"server":{"ip":"${server.ip}","port":${server.port}}${server.vlans.length ? `,"vlan":[${server.vlans.join(',')}]` : ''}`));
  let vt = verdictText.get(a.verdict);
  if (vt === undefined) verdictText.set(a.verdict, (vt = textBytes(`,"verdict":"${a.verdict}","flags":[`)));
  out.bytes(vt);
  const flags = a.flags;
  for (let i = 0; i < flags.length; i++) {
    if (i) out.char(0x2c); // ,
    let ft = flagText.get(flags[i]);
    if (ft === undefined) flagText.set(flags[i], (ft = textBytes(JSON.stringify(flags[i]))));
    out.bytes(ft);
  }
  out.bytes(START);
  out.ascii(start);
  out.bytes(END);
  out.ascii(c.end);
  out.bytes(DURATION);
  out.milli(c.durationMs);
  out.bytes(SYN_COUNT);
  out.num(a.synCount);
  const synAck = a.synAckT >= 0;
  out.bytes(RTT);
  if (synAck && !a.oneSided) out.milli((a.synAckT - a.synBeforeAckT) * 1000);
  else out.bytes(NULL);
  let answer = Infinity;
  if (synAck) answer = a.synAckT;
  if (a.rstT >= 0 && a.rstT < answer) answer = a.rstT;
  if (a.icmpT >= 0 && a.icmpT < answer) answer = a.icmpT;
  out.bytes(ANSWER);
  if (answer === Infinity) out.bytes(NULL);
  else out.milli((answer - a.t0) * 1000);
  out.bytes(FRAMES);
  const global = a.frames.length ? a.frames : a.synFrames;
  const local = ff.files.length > 1 ? localFrames(global, a.file, ff.frameBase) : null;
  frameList(out, local ? local.mine : global);
  out.bytes(FILE);
  out.bytes(fileBytes(ff.filesJson[a.file]));
  out.bytes(REASON);
  out.stringBody(a.reason);
  out.bytes(REASON_CODE);
  out.ascii(ruleIdOf(a.why));
  out.bytes(HISTORY);
  out.ascii(a.history);
  out.bytes(ISN);
  out.num(a.isn);
  out.bytes(ORIG_PKTS); out.num(c.origPkts);
  out.bytes(ORIG_BYTES); out.num(c.origBytes);
  out.bytes(ORIG_IP_BYTES); out.num(c.origIpBytes);
  out.bytes(RESP_PKTS); out.num(c.respPkts);
  out.bytes(RESP_BYTES); out.num(c.respBytes);
  out.bytes(RESP_IP_BYTES); out.num(c.respIpBytes);
  out.bytes(ZEEK_UID); out.ascii(c.uid);
  out.bytes(ZEEK_STATE); out.ascii(c.connState);
  out.bytes(ZEEK_HISTORY); out.ascii(c.zeekHistory);
  out.bytes(ZEEK_DURATION);
  if (c.zeekDuration === null) out.bytes(NULL);
  else out.ascii(`${c.zeekDuration}`);
  out.char(0x7d); // }
  out.bytes(ttlHops(synAck && a.synAckTtl >= 0 ? a.synAckTtl : -1, a.rstT >= 0 && a.rstTtl >= 0 ? a.rstTtl : -1, a.icmpT >= 0, a.icmpTtl, serverTtl >= 0 ? serverTtl : -1));
  if (a.icmpT >= 0) {
    const sender = a.icmpSenderIp();
    out.ascii(`,"icmp":{"type":${a.icmpType},"code":${a.icmpCode},"name":"${icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode).name}","sender":"${sender}","senderIsServer":${sender === server.ip}}`);
  }
  if (local && local.others.length) {
    out.bytes(OTHER_FRAMES);
    const others = local.others;
    for (let i = 0; i < others.length; i++) {
      if (i) out.char(0x2c); // ,
      out.bytes(OTHER_FILE);
      out.bytes(fileBytes(ff.filesJson[others[i][0]]));
      out.bytes(FRAMES);
      frameList(out, others[i][1]);
      out.char(0x7d); // }
    }
    out.char(0x5d); // ]
  }
  out.char(0x7d); // }
}
