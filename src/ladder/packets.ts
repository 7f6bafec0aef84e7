/**
 * The packets of chosen attempts, for the HTML report's ladder diagrams: a second read of the
 * capture files, keeping the TCP packets of each attempt's 4-tuple from its first SYN on (until
 * the next attempt on the same tuple, or LADDER_WINDOW seconds) and the ICMP errors quoting it.
 * The analysis itself keeps only the frames that decided a verdict; a second read costs about
 * what `synscope info` does and touches neither the engine nor its hot path. Memory: at most
 * `maxPackets` small objects per chosen attempt.
 */
import { statSync } from 'node:fs';
import { readCapture } from '../capture/reader.js';
import type { CaptureRecord } from '../capture/record.js';
import { IpProto } from '../decode/constants.js';
import { Decoder, type DecodedPacket } from '../decode/decoder.js';
import type { IpFields } from '../decode/fields.js';
import { icmpMeaning } from '../model/icmp-names.js';
import type { LadderChoice } from '../report/html/select.js';
import type { LadderData, LadderPacket } from '../report/html/model.js';
import { vlanKeyOf } from '../flow/table.js';
import { ipv4ToString, ipv6ToString, parseIp } from '../util/ip.js';

/** Seconds after its first SYN that an attempt's packets are looked for at most. */
const LADDER_WINDOW = 150;

/** Raw IP (LINKTYPE_RAW): how a quoted packet is handed to the packet filter. */
const LINKTYPE_RAW = 101;

export interface LadderReadOptions {
  /** Packets kept per attempt (default 24); the rest are counted. */
  maxPackets?: number;
  /** The analysis' packet filter: a ladder shows only what the analysis saw. */
  packetFilter?: {
    matches(rec: CaptureRecord, p: DecodedPacket): boolean;
    matchesFrame?(buf: Buffer, off: number, caplen: number, origLen: number, linkType: number): boolean;
  };
}

/** A chosen attempt as the matching loop needs it: numbers only. */
interface Wanted {
  choice: LadderChoice;
  version: number;
  client: Uint32Array;
  server: Uint32Array;
  /** VLAN context (vlanKeyOf): the same 4-tuple in two VLANs is two attempts. */
  vlan: number;
  startSec: number;
  startNsec: number;
  endSec: number;
  endNsec: number;
  data: LadderData;
}

/**
 * Reads `files` (the report's `summary.files`, in that order) and returns each chosen attempt's
 * packets, in the order of `choices`; `unread` names the inputs that cannot be read twice
 * (standard input, pipes), whose packets are missing.
 */
export async function readLadders(files: string[], choices: LadderChoice[], opts: LadderReadOptions = {}): Promise<{ ladders: LadderData[]; unread: string[] }> {
  const maxPackets = opts.maxPackets ?? 24;
  const out: LadderData[] = [];
  /** Wanted attempts by client port * 65536 + server port. */
  const byPorts = new Map<number, Wanted[]>();
  for (const choice of choices) {
    const a = choice.attempt;
    const data: LadderData = { index: choice.index, attempt: a, packets: [], more: 0 };
    out.push(data);
    const cli = parseIp(a.client.ip);
    const srv = parseIp(a.server.ip);
    if (!cli || !srv) continue;
    const end = choice.until ?? [choice.start[0] + LADDER_WINDOW, choice.start[1]];
    const w: Wanted = {
      choice, version: cli.version, client: Uint32Array.from(cli.words), server: Uint32Array.from(srv.words), vlan: vlanKeyOf(a.vlan),
      startSec: choice.start[0], startNsec: choice.start[1], endSec: end[0], endNsec: end[1], data,
    };
    const key = a.client.port * 65536 + a.server.port;
    const list = byPorts.get(key);
    if (list) list.push(w);
    else byPorts.set(key, [w]);
  }
  const unread = files.filter((f) => !isRegularFile(f));
  if (byPorts.size === 0) return { ladders: out, unread };
  const decoder = new Decoder();
  const pf = opts.packetFilter;
  for (const [fileIndex, file] of files.entries()) {
    if (unread.includes(file)) continue;
    const sink = (rec: CaptureRecord): void => {
      const p = decoder.decode(rec.buf, rec.off, rec.caplen, rec.origLen, rec.linkType);
      const vlan = p.vlanKey();
      if (p.hasTcp && p.tcp.have >= 14) {
        const c2s = find(byPorts.get(p.tcp.sport * 65536 + p.tcp.dport), p.ip, p.ip, true, vlan, rec);
        const w = c2s ?? find(byPorts.get(p.tcp.dport * 65536 + p.tcp.sport), p.ip, p.ip, false, vlan, rec);
        if (!w || (pf && !pf.matches(rec, p))) return;
        keep(w, rec, fileIndex, c2s ? 'c2s' : 's2c', p.tcp.flags, p.tcp.seq, p.tcp.ack, p.tcp.payloadLen, p.ip.ttl, undefined);
      } else if (p.hasIcmp && p.icmp.quotes && p.quotedIp.version !== 0 && p.quotedIp.proto === IpProto.TCP && p.quotedTcp.have >= 4) {
        const q = p.quotedTcp;
        const w = find(byPorts.get(q.sport * 65536 + q.dport), p.quotedIp, p.quotedIp, true, vlan, rec);
        if (!w || (pf && !pf.matches(rec, p) && !quoteMatches(pf, rec, p))) return;
        const sender = p.ip.version === 4 ? ipv4ToString(p.ip.src[0]) : ipv6ToString(p.ip.src[0], p.ip.src[1], p.ip.src[2], p.ip.src[3]);
        const icmp = { type: p.icmp.type, code: p.icmp.code, name: icmpMeaning(p.icmp.family, p.icmp.type, p.icmp.code).name, sender };
        keep(w, rec, fileIndex, 'icmp', q.have >= 14 ? q.flags : 0, q.have >= 8 ? q.seq : 0, 0, 0, p.ip.ttl, icmp);
      }
    };
    await readCapture(file, sink);
  }
  return { ladders: out, unread };

  function keep(w: Wanted, rec: CaptureRecord, file: number, dir: LadderPacket['dir'], flags: number, seq: number, ack: number, len: number, ttl: number, icmp: LadderPacket['icmp']): void {
    const d = w.data;
    if (d.packets.length >= maxPackets) { d.more++; return; }
    const t = (rec.tsSec - w.startSec) + (rec.tsNsec - w.startNsec) / 1e9;
    d.packets.push({ file, frame: rec.frame, t, dir, flags: flags < 0 ? 0 : flags, seq, ack, len, ttl, ...(icmp ? { icmp } : {}) });
  }
}

/**
 * The wanted attempt this packet belongs to: same addresses (client = `src` when `fromClient`),
 * the same VLAN, and the latest first SYN at or before the packet, within the attempt's time range.
 */
function find(list: Wanted[] | undefined, src: IpFields, dst: IpFields, fromClient: boolean, vlan: number, rec: CaptureRecord): Wanted | null {
  if (list === undefined) return null;
  let best: Wanted | null = null;
  for (const w of list) {
    if (w.version !== src.version || w.vlan !== vlan) continue;
    if (!sameAddress(fromClient ? src.src : dst.dst, w.client, w.version) || !sameAddress(fromClient ? dst.dst : src.src, w.server, w.version)) continue;
    if (before(rec.tsSec, rec.tsNsec, w.startSec, w.startNsec) || !before(rec.tsSec, rec.tsNsec, w.endSec, w.endNsec)) continue;
    if (best === null || before(best.startSec, best.startNsec, w.startSec, w.startNsec)) best = w;
  }
  return best;
}

function sameAddress(a: Uint32Array, b: Uint32Array, version: number): boolean {
  if (a[0] !== b[0]) return false;
  return version === 4 || (a[1] === b[1] && a[2] === b[2] && a[3] === b[3]);
}

/** (sec, nsec) strictly before (sec2, nsec2). */
function before(sec: number, nsec: number, sec2: number, nsec2: number): boolean {
  return sec < sec2 || (sec === sec2 && nsec < nsec2);
}

/** An ICMP error whose quoted packet the filter matches (as the analysis keeps them). */
function quoteMatches(pf: NonNullable<LadderReadOptions['packetFilter']>, rec: CaptureRecord, p: DecodedPacket): boolean {
  if (pf.matchesFrame === undefined) return false;
  const off = p.quotedIp.off;
  const len = rec.off + rec.caplen - off;
  return len > 0 && pf.matchesFrame(rec.buf, off, len, len, LINKTYPE_RAW);
}

function isRegularFile(file: string): boolean {
  if (file === '-') return false;
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
