/**
 * The library entry point: capture files -> decoder -> handshake engine -> report. The CLI is a
 * thin layer over `analyze`; live capture feeds the same `Analysis` object packet by packet.
 */
import { readCapture } from './capture/reader.js';
import type { CaptureRecord } from './capture/record.js';
import { Decoder } from './decode/decoder.js';
import type { Attempt } from './handshake/attempt.js';
import { HandshakeEngine, type EngineOptions, type PacketMeta } from './handshake/engine.js';
import type { Verdict } from './model/verdict.js';
import { VERDICTS } from './model/verdict.js';
import { attemptReport } from './report/attempt.js';
import { buildEndpoints } from './report/endpoints.js';
import type { AttemptReport, Report } from './report/model.js';
import { parseIp } from './util/ip.js';

export interface AnalyzeOptions extends EngineOptions {
  /** Called with each attempt as soon as its verdict is decided (streaming output). */
  onAttempt?: (a: AttemptReport) => void;
  /** Called when a verdict already reported changes (an answer after the timeout). */
  onRevision?: (a: AttemptReport, previous: Verdict) => void;
  onWarning?: (text: string) => void;
  /** Only attempts whose client or server address is one of these. */
  hosts?: string[];
  /** Only attempts to these server ports. */
  ports?: number[];
}

/** Streaming analysis: feed packets, then `finish()` for the report. */
export class Analysis {
  private readonly decoder = new Decoder();
  readonly engine: HandshakeEngine;
  private readonly reports = new Map<Attempt, AttemptReport>();
  private readonly order: Attempt[] = [];
  private readonly warnings: string[] = [];
  private readonly files: string[] = [];
  private readonly meta: PacketMeta = { t: 0, tsSec: 0, tsNsec: 0, tsDigits: 6, frame: 0, file: 0, ifKey: 0 };
  private baseSec = -1;
  private fileIndex = -1;
  packets = 0;
  private readonly hostFilter: Array<{ version: number; words: number[] }> | null;

  constructor(private readonly opts: AnalyzeOptions = {}) {
    this.hostFilter = opts.hosts?.length ? opts.hosts.map((h) => parseIp(h)).filter((x): x is NonNullable<typeof x> => x !== null) : null;
    this.engine = new HandshakeEngine({
      decided: (a, previous) => this.decided(a, previous),
      warning: (w) => this.warn(w),
    }, opts);
  }

  /** Starts a new input file; frame numbers restart at 1 in it. */
  beginFile(name: string): void {
    this.files.push(name);
    this.fileIndex = this.files.length - 1;
  }

  warn(text: string): void {
    if (this.warnings.length < 200) this.warnings.push(text);
    this.opts.onWarning?.(text);
  }

  /** Feeds one captured packet (the record is not kept). */
  packet(rec: CaptureRecord): void {
    this.packets++;
    if (this.baseSec < 0) this.baseSec = rec.tsSec;
    const p = this.decoder.decode(rec.buf, rec.off, rec.caplen, rec.origLen, rec.linkType);
    if (!p.hasTcp && !p.hasIcmp) return;
    const m = this.meta;
    m.t = (rec.tsSec - this.baseSec) + rec.tsNsec / 1e9;
    m.tsSec = rec.tsSec;
    m.tsNsec = rec.tsNsec;
    m.tsDigits = rec.tsDigits;
    m.frame = rec.frame;
    m.file = this.fileIndex < 0 ? 0 : this.fileIndex;
    m.ifKey = rec.ifIndex * 65536 + (p.net.ifindex & 0xffff);
    this.engine.packet(p, m);
  }

  /** Moves the clock without a packet (live capture: time passes while nothing arrives). */
  tick(tsSec: number, tsNsec: number): void {
    if (this.baseSec < 0) return;
    this.engine.advance((tsSec - this.baseSec) + tsNsec / 1e9);
  }

  private wanted(a: Attempt): boolean {
    if (this.opts.ports?.length && !this.opts.ports.includes(a.sport)) return false;
    if (!this.hostFilter) return true;
    return this.hostFilter.some((h) => h.version === a.version && [a.cli, a.srv].some((w) => h.words.every((x, i) => (a.version === 4 && i > 0) || w[i] === x)));
  }

  private decided(a: Attempt, previous: Verdict | null): void {
    if (!this.wanted(a)) return;
    const r = attemptReport(a, this.files[a.file] ?? '', this.engine.serverTtlOf(a));
    if (previous === null) {
      this.order.push(a);
      this.reports.set(a, r);
      this.opts.onAttempt?.(r);
    } else {
      this.reports.set(a, r);
      this.warn(`${r.client.ip}:${r.client.port} -> ${r.server.ip}:${r.server.port}: verdict revised from ${previous} to ${r.verdict} (an answer came after the handshake timeout)`);
      this.opts.onRevision?.(r, previous);
    }
  }

  finish(extraWarnings: string[] = []): Report {
    this.engine.finish();
    // Reports are refreshed from the final state: late retransmissions add to SYN counts and frames.
    const attempts = this.order
      .sort((x, y) => x.seq - y.seq)
      .map((a) => attemptReport(a, this.files[a.file] ?? '', this.engine.serverTtlOf(a)));
    const verdicts: Partial<Record<Verdict, number>> = {};
    for (const v of VERDICTS) {
      const n = attempts.filter((a) => a.verdict === v).length;
      if (n) verdicts[v] = n;
    }
    const st = this.engine.stats;
    const warnings = [...extraWarnings, ...this.warnings];
    if (st.invalidRst) warnings.push(`${st.invalidRst} RST(s) did not acknowledge the SYN they answered (wrong or missing ACK number): a client stack ignores them, so they are not counted as refusals`);
    if (st.truncatedTcp) warnings.push(`${st.truncatedTcp} TCP packet(s) were cut by the snap length before their flags and could not be used`);
    if (st.evicted) warnings.push(`the attempt table reached its limit; ${st.evicted} attempt(s) were decided early (raise --max-attempts)`);
    return {
      attempts,
      endpoints: buildEndpoints(attempts),
      summary: {
        packets: this.packets,
        attempts: attempts.length,
        midstream: this.engine.midstream,
        verdicts,
        warnings,
        files: [...this.files],
        handshakeTimeoutSec: this.engine.timeout,
      },
    };
  }
}

/** Analyses capture files (`-` is standard input) as one capture, in the order given. */
export async function analyze(files: string | string[], opts: AnalyzeOptions = {}): Promise<Report> {
  const list = Array.isArray(files) ? files : [files];
  const an = new Analysis(opts);
  const readerWarnings: string[] = [];
  for (const f of list) {
    an.beginFile(f);
    const info = await readCapture(f, (rec) => an.packet(rec));
    for (const w of info.warnings) {
      readerWarnings.push(w);
      opts.onWarning?.(w);
    }
  }
  return an.finish(readerWarnings);
}
