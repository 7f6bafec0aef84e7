/**
 * Evidence extraction (`synscope analyze FILE... -w OUT --verdict refused,filtered`): a capture
 * holding only the packets of the attempts whose final verdict is one of those, in capture order,
 * with their original timestamps and link types, small enough to attach to a ticket.
 *
 * A verdict is final only seconds of capture time after the attempt's last packet, by which time
 * a streaming writer would have had to hold every undecided attempt's packets. The inputs are
 * files, so they are read twice instead: the analysis collects each matching attempt's 4-tuple,
 * VLAN, ISN and time span (first SYN to last packet: `start`, `end`), a few dozen bytes per
 * attempt; the second pass writes every packet of those tuples within those spans (both
 * directions, copies, retransmissions) and the ICMP errors quoting them.
 */
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { keeps, type AnalyzeOptions } from '../analyze.js';
import { readCapture } from '../capture/reader.js';
import type { CaptureInfo, CaptureRecord } from '../capture/record.js';
import { PcapngWriter, PcapWriter } from '../capture/writer.js';
import { Decoder, type DecodedPacket } from '../decode/decoder.js';
import { SynscopeError } from '../errors.js';
import { FlowKey, FlowTable } from '../flow/table.js';
import { linkTypeName } from '../model/linktypes.js';
import { VERDICTS, type Verdict } from '../model/verdict.js';
import type { AttemptReport } from '../report/model.js';
import { parseIp } from '../util/ip.js';

/** The verdicts written when none are named: everything that did not simply work. */
export const DEFAULT_EVIDENCE_VERDICTS: readonly Verdict[] = VERDICTS.filter((v) => v !== 'established');

/** One 4-tuple's matching attempts: [startSec, startNsec, endSec, endNsec, isn] for each. */
class EvidenceFlow extends FlowKey {
  spans: number[] = [];
}

/** Seconds and nanoseconds of a report's ISO time. */
function isoParts(iso: string): [number, number] {
  const dot = iso.indexOf('.');
  const base = dot < 0 ? iso.slice(0, -1) : iso.slice(0, dot);
  const frac = dot < 0 ? '' : iso.slice(dot + 1, -1);
  return [Date.parse(`${base}Z`) / 1000, Number(frac.padEnd(9, '0').slice(0, 9))];
}

function within(spans: number[], sec: number, nsec: number, isn: number | null): boolean {
  for (let i = 0; i < spans.length; i += 5) {
    if (isn !== null && spans[i + 4] !== isn) continue;
    const afterStart = sec > spans[i] || (sec === spans[i] && nsec >= spans[i + 1]);
    const beforeEnd = sec < spans[i + 2] || (sec === spans[i + 2] && nsec <= spans[i + 3]);
    if (afterStart && beforeEnd) return true;
  }
  return false;
}

/** The attempts to extract, collected from the analysis' final reports (`add` is an onFinal). */
export class EvidenceSet {
  private readonly flows = new FlowTable<EvidenceFlow>();
  /** The same attempts keyed without the server port: an ICMP quote cut after the client port still names them. */
  private readonly byClientPort = new FlowTable<EvidenceFlow>();
  private readonly wanted: ReadonlySet<Verdict>;
  readonly counts: Partial<Record<Verdict, number>> = {};
  attempts = 0;

  constructor(verdicts: readonly Verdict[]) {
    this.wanted = new Set(verdicts);
  }

  add(r: AttemptReport): void {
    if (!this.wanted.has(r.verdict)) return;
    const cli = parseIp(r.client.ip);
    const srv = parseIp(r.server.ip);
    if (!cli || !srv) return;
    const vlan = r.vlan?.length ? r.vlan[0] * 4096 + (r.vlan[1] ?? 0) : 0;
    const span = [...isoParts(r.start), ...isoParts(r.end), r.isn];
    for (const [table, sport] of [[this.flows, r.server.port], [this.byClientPort, 0]] as const) {
      let f = table.find(cli.version, cli.words, r.client.port, srv.words, sport, vlan);
      if (!f) {
        f = new EvidenceFlow();
        f.setKey(cli.version, cli.words, r.client.port, srv.words, sport, vlan);
        table.insert(f);
      }
      f.spans.push(...span);
    }
    this.attempts++;
    this.counts[r.verdict] = (this.counts[r.verdict] ?? 0) + 1;
  }

  /** The packet belongs to one of the attempts: a TCP packet of its tuple, or an ICMP error quoting it, within its span. */
  holds(p: DecodedPacket, rec: CaptureRecord): boolean {
    const vlan = p.net.vlanKey();
    if (p.hasTcp) {
      const f = this.flows.findEither(p.ip.version, p.ip.src, p.tcp.sport, p.ip.dst, p.tcp.dport, vlan);
      return f !== undefined && within(f.spans, rec.tsSec, rec.tsNsec, null);
    }
    if (!p.hasIcmp || !p.icmp.quotes || p.quotedIp.proto !== 6) return false;
    const q = p.quotedIp;
    const qt = p.quotedTcp;
    if (qt.have >= 4) {
      const f = this.flows.find(q.version, q.src, qt.sport, q.dst, qt.dport, vlan);
      return f !== undefined && within(f.spans, rec.tsSec, rec.tsNsec, qt.have >= 8 ? qt.seq : null);
    }
    if (qt.have < 2) return false;
    const f = this.byClientPort.find(q.version, q.src, qt.sport, q.dst, 0, vlan);
    return f !== undefined && within(f.spans, rec.tsSec, rec.tsNsec, null);
  }
}

/**
 * Inputs the second pass can read again: standard input and pipes cannot (save them to a file
 * first). Patterns and directories are expanded by the analysis, and name files.
 */
export function checkRereadable(inputs: readonly string[], out: string): void {
  const target = resolve(out);
  for (const f of inputs) {
    if (f === '-') throw new SynscopeError('ERR_USAGE', `-w ${out}: extracting the evidence reads the input twice, which standard input cannot be; save the capture to a file first (tcpdump -w FILE) and analyse that`);
    let st;
    try {
      st = statSync(f);
    } catch {
      continue; // a pattern, or a missing file the analysis will name
    }
    if (!st.isFile() && !st.isDirectory()) throw new SynscopeError('ERR_USAGE', `-w ${out}: extracting the evidence reads the input twice, which the pipe ${f} cannot be; save the capture to a file first and analyse that`);
    if (resolve(f) === target) throw new SynscopeError('ERR_USAGE', `-w ${out}: that is an input of the analysis; write the evidence to another file`);
  }
}

export interface EvidenceResult {
  packets: number;
  attempts: number;
  format: 'pcap' | 'pcapng';
}

/**
 * The second pass: reads `files` (the analysis' inputs, in its order: Summary.files) and writes
 * the packets `set` holds to `out`, pcapng when its name ends in .pcapng (each packet with a
 * comment naming its original file and frame), else classic pcap (one link type only). `infos`
 * are the inputs' CaptureInfo from the analysis (AnalyzeOptions.onInput), for link types, snap
 * lengths and timestamp precision; `packetFilter` the analysis' own, so that the packets written
 * are the ones it analysed.
 */
export async function writeEvidence(files: readonly string[], infos: readonly CaptureInfo[], set: EvidenceSet, out: string,
  packetFilter?: AnalyzeOptions['packetFilter']): Promise<EvidenceResult> {
  const ng = /\.pcapng$/i.test(out);
  const ifaces = infos.flatMap((i) => i.interfaces);
  let pcap: PcapWriter | null = null;
  if (!ng) {
    const types = [...new Set(ifaces.map((i) => i.linkType))];
    if (types.length > 1) throw new SynscopeError('ERR_USAGE', `-w ${out}: the inputs have several link types (${types.map((t) => linkTypeName(t)).join(', ')}), which a classic pcap cannot hold; write ${out.replace(/\.pcap$/i, '')}.pcapng instead`);
  }
  let fd: number;
  try {
    fd = openSync(out, 'w');
  } catch (e) {
    throw new SynscopeError('ERR_FILE_OPEN', `${out}: cannot create it (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path and permissions`, { source: out, cause: e });
  }
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (!pending.length) return;
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    try {
      for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done, chunk.length - done);
    } catch (e) {
      throw new SynscopeError('ERR_FILE_OPEN', `${out}: writing the evidence failed (${(e as NodeJS.ErrnoException).code ?? String(e)}); the file is incomplete`, { source: out, cause: e });
    }
  };
  const sink = (c: Buffer) => {
    pending.push(c);
    pendingBytes += c.length;
    if (pendingBytes >= 256 * 1024) flush();
  };
  let written = 0;
  try {
    const png = ng ? new PcapngWriter({}, sink) : null;
    if (!ng) {
      const snaplen = Math.max(0, ...ifaces.map((i) => i.snaplen)) || 262144;
      pcap = new PcapWriter({ linkType: ifaces[0]?.linkType ?? 1, snaplen, nanosecond: ifaces.some((i) => i.tsDigits > 6) }, sink);
    }
    /** Output interface of each input file's interfaces (pcapng), added as first used. */
    const outIf = new Map<number, number>();
    const decoder = new Decoder();
    for (let fi = 0; fi < files.length; fi++) {
      const file = files[fi];
      const info = infos.find((i) => i.file === file);
      await readCapture(file, (rec) => {
        const p = decoder.decode(rec.buf, rec.off, rec.caplen, rec.origLen, rec.linkType);
        if (packetFilter !== undefined && !keeps(packetFilter, rec, p)) return;
        if (!set.holds(p, rec)) return;
        const data = rec.buf.subarray(rec.off, rec.off + rec.caplen);
        written++;
        if (pcap) { pcap.writePacket(rec.tsSec, rec.tsNsec, data, rec.origLen); return; }
        const key = fi * 65536 + rec.ifIndex;
        let id = outIf.get(key);
        if (id === undefined) {
          const iface = info?.interfaces[rec.ifIndex];
          id = png!.addInterface({ linkType: rec.linkType, snaplen: iface?.snaplen ?? 262144, tsresol: rec.tsDigits > 6 ? 9 : 6, ...(iface?.name !== undefined ? { name: iface.name } : {}) });
          outIf.set(key, id);
        }
        png!.writePacket(id, rec.tsSec, rec.tsNsec, data, rec.origLen, `synscope: ${file} frame ${rec.frame}`);
      });
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { packets: written, attempts: set.attempts, format: ng ? 'pcapng' : 'pcap' };
}
