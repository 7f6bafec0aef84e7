/**
 * The library entry point: capture files -> decoder -> handshake engine -> report. The CLI is a
 * thin layer over `Analysis`; live capture feeds the same object packet by packet.
 *
 * Attempts leave in two streams: `onAttempt` the moment a verdict is decided (NDJSON, live), and
 * `onFinal` in order of first SYN once the attempt can no longer change much (a few seconds of
 * capture time later, or when the engine forgets it), which is what the JSON report and the
 * per-endpoint aggregates are built from. Memory therefore depends on the capture's rate, not its
 * size, unless the caller asks to collect every attempt (`collect`, the default for `analyze`).
 */
import { fstatSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { expandInputSet, orderByTime } from './capture/inputs.js';
import { readCapture } from './capture/reader.js';
import type { CaptureInfo, CaptureRecord } from './capture/record.js';
import { Decoder, type DecodedPacket } from './decode/decoder.js';
import { LAYER_NAMES } from './decode/constants.js';
import { Stop } from './decode/status.js';
import { isDecodableLinkType } from './model/linktypes.js';
import type { Attempt } from './handshake/attempt.js';
import { HandshakeEngine, type EngineOptions, type PacketMeta } from './handshake/engine.js';
import { VERDICTS, type Verdict } from './model/verdict.js';
import { AttemptRow, attemptReport, type FrameFiles } from './report/fields.js';
import { connFields } from './report/conn.js';
import { vlanIds } from './flow/table.js';
import { EndpointTable } from './report/endpoints.js';
import type { AttemptJsonSink } from './report/json-stream.js';
import type { AttemptReport, Report, Summary } from './report/model.js';
import { parseHostPrefix, prefixMatches, type HostPrefix } from './util/prefix.js';
import { countWarnings } from './report/summary.js';
import { isoTime } from './util/time.js';

export interface AnalyzeOptions extends EngineOptions {
  /** Called with each attempt as soon as its verdict is decided (streaming output). */
  onAttempt?: (a: AttemptReport) => void;
  /** Called with each attempt's final report, in order of first SYN. */
  onFinal?: (a: AttemptReport) => void;
  /**
   * Writes each attempt's final report into this JSON document, in order of first SYN (the
   * CLI's `--format json`), straight from the engine's state: no report object is built for it.
   */
  jsonWriter?: AttemptJsonSink;
  /**
   * Called when an attempt already given to onAttempt changes its verdict (an answer after the
   * timeout) before its final report; `previous` is the verdict it had. After the final
   * report nothing changes: every count comes from the final verdicts.
   */
  onRevision?: (a: AttemptReport, previous: Verdict) => void;
  onWarning?: (text: string) => void;
  /** Keep every attempt report for `Report.attempts` (default true; false for bounded memory). */
  collect?: boolean;
  /** Seconds of capture time a decided attempt waits for late retransmissions before its final report (default 10). */
  hold?: number;
  /**
   * Only attempts whose client or server address is one of these: addresses (`203.0.113.20`,
   * `2001:db8::1`) or prefixes (`203.0.113.0/24`, `2001:db8:2::/64`); a plain address is a /32 or
   * /128. Every packet is still analysed (the evidence of the other attempts counts); only the
   * reports are left out.
   */
  hosts?: string[];
  /** Only attempts to these server ports. */
  ports?: number[];
  /** Reading progress: the file being read (index in `files`), its bytes read and size, packets so far. */
  onProgress?: (p: { file: string; index: number; files: number; bytes: number; size: number | null; packets: number }) => void;
  /** Asked between chunks of input: a promise makes reading wait (the output is full; see ReadOptions.drain). */
  drain?: () => Promise<void> | null;
  /**
   * Only the packets this filter matches are analysed (the command line's capture-filter
   * expression, `synscope analyze cap.pcap 'tcp port 443'`): called right after decoding with the
   * record and the decoded packet (both reused for the next packet); the others are counted in
   * `summary.filteredOut`. `expression` (optional) is named in the summary. With `matchesFrame`,
   * an ICMP error the filter leaves out is kept when the packet it quotes matches (read as raw IP):
   * `'tcp port 8083'` must not turn a REJECT's port-unreachable into an unanswered SYN.
   */
  packetFilter?: {
    matches(rec: CaptureRecord, p: DecodedPacket): boolean;
    matchesFrame?(buf: Buffer, off: number, caplen: number, origLen: number, linkType: number): boolean;
    readonly expression?: string;
  };
  /**
   * A file that a directory or a pattern names and that cannot be read (permission denied, not a
   * capture, a cut header) fails the analysis (exit 2 on the command line) instead of being
   * skipped with a warning. Empty files (the newest of a rotation, still being written) are
   * skipped either way. Default false.
   */
  strict?: boolean;
  /**
   * For an input that is a pipe, FIFO or terminal (not a regular file: `tcpdump -U -w - | ...`):
   * after this many milliseconds without input, the capture clock moves on by the wall time
   * since the last packet arrived, so unanswered attempts are decided while the pipe is open (as
   * in live capture). Default 200; 0 never moves it (the clock then follows packets only).
   */
  idleTick?: number;
  /**
   * Called after each input is read, with what the reader found: `info.damaged` when reading
   * stopped at damage (cut off, or corrupt from some record on), `info.warnings`, `info.packets`.
   * The command line's `--strict` uses it.
   */
  onInput?: (info: CaptureInfo) => void;
}

/** Raw IP (LINKTYPE_RAW): how a quoted packet is handed to the packet filter. */
const LINKTYPE_RAW = 101;

/**
 * The packet filter keeps the packet: it matches, or it is an ICMP error whose quoted packet (raw
 * IP, as far as it was quoted) matches.
 */
export function keeps(pf: NonNullable<AnalyzeOptions['packetFilter']>, rec: CaptureRecord, p: DecodedPacket): boolean {
  if (pf.matches(rec, p)) return true;
  if (pf.matchesFrame === undefined || !p.hasIcmp || !p.icmp.quotes || p.quotedIp.version === 0) return false;
  const off = p.quotedIp.off;
  const len = rec.off + rec.caplen - off;
  // (The filter's own decoder reads it: `p` stays this packet's decoding.)
  return len > 0 && pf.matchesFrame(rec.buf, off, len, len, LINKTYPE_RAW);
}

/** Decided attempts held for their final report at most; beyond it they are reported at once. */
const MAX_PENDING = 20_000;

/**
 * An unanswered attempt whose client may still retransmit its SYN (and get an answer that changes
 * the verdict): its next SYN comes after about twice the last gap. Its final report waits for that
 * (capture time; at most LONGEST_RETRY after its last SYN), so that the report stays final.
 */
function stillTrying(a: Attempt, now: number): boolean {
  if (a.synAckT >= 0 || a.rstT >= 0 || a.icmpT >= 0 || a.cliRstT >= 0) return false;
  const gap = a.synCount > 1 ? a.lastSynT - a.prevSynT : 1;
  return now - a.lastSynT < Math.min(LONGEST_RETRY, 2.5 * gap);
}
const LONGEST_RETRY = 70;

/** A decided attempt left out by --host / --port: it only holds its place in the order. */
const SKIPPED = null;

/** Streaming analysis: feed packets, then `finish()` for the report. */
export class Analysis {
  private readonly decoder = new Decoder();
  readonly engine: HandshakeEngine;
  private readonly warnings: string[] = [];
  private readonly files: string[] = [];
  private readonly meta: PacketMeta = { t: 0, tsSec: 0, tsNsec: 0, tsDigits: 6, frame: 0, file: 0, ifKey: 0 };
  private baseSec = -1;
  private fileIndex = -1;
  packets = 0;
  private readonly hostFilter: HostPrefix[] | null;
  /** Packets the packet filter left out (AnalyzeOptions.packetFilter). */
  filteredOut = 0;
  private readonly collect: boolean;
  private readonly hold: number;
  private readonly collected: AttemptReport[] = [];
  /** The creation number (`seq`) of each attempt in `collected`, ascending. */
  private readonly collectedSeq: number[] = [];
  /** Final reports are built as objects (someone wants them), not only as JSON text. */
  private readonly objects: boolean;
  /**
   * Decided attempts waiting for their turn in first-SYN order: a ring indexed by creation number
   * (`seq & mask`), from `nextSeq` on; undefined while undecided, SKIPPED when filtered out.
   */
  private ring: Array<Attempt | null | undefined> = new Array<Attempt | null | undefined>(1024).fill(undefined);
  /** When each ring entry was decided (engine time). */
  private ringAt = new Float64Array(1024);
  private mask = 1023;
  /** Entries in the ring. */
  private pendingCount = 0;
  /** Attempts decided after their turn had passed (none, unless the engine numbers them wrong). */
  private stray = 0;
  /** Attempts before this creation number have had their final report (or were filtered out). */
  private nextSeq = 0;
  private lastFlush = -Infinity;
  private readonly endpoints = new EndpointTable();
  private readonly counts: Partial<Record<Verdict, number>> = {};
  private finalCount = 0;

  constructor(private readonly opts: AnalyzeOptions = {}) {
    this.hostFilter = opts.hosts?.length ? opts.hosts.map((h) => parseHostPrefix(h)).filter((x): x is HostPrefix => x !== null) : null;
    this.collect = opts.collect ?? true;
    this.objects = this.collect || opts.onFinal !== undefined;
    this.hold = opts.hold ?? 10;
    this.engine = new HandshakeEngine({
      decided: (a, previous) => this.decided(a, previous),
      warning: (w) => this.warn(w),
      // (Past twice the usual bound only: a busy capture runs at about MAX_PENDING all along, and
      // reporting earlier than at the packet's end would cut the connections' histories short.)
      between: () => { if (this.pendingCount >= 2 * MAX_PENDING) this.flush(false); },
    }, opts);
  }

  /**
   * Starts a new input file; its frame numbers restart at 1. Internally frames are numbered
   * across files (the engine sees one capture), and mapped back to (file, frame) in reports.
   */
  beginFile(name: string): void {
    this.files.push(name);
    this.fileIndex = this.files.length - 1;
    this.frameBase.push(this.lastFrame);
  }

  private readonly frameBase: number[] = [];
  private readonly frameFiles: FrameFiles = { files: this.files, frameBase: this.frameBase };
  private lastFrame = 0;

  warn(text: string): void {
    if (this.warnings.length < 200) this.warnings.push(text);
    this.opts.onWarning?.(text);
  }

  /** Feeds one captured packet (the record is not kept). */
  packet(rec: CaptureRecord): void {
    this.packets++;
    if (this.fileIndex >= 0) this.lastFrame = this.frameBase[this.fileIndex] + rec.frame;
    if (this.baseSec < 0) this.baseSec = rec.tsSec;
    const p = this.decoder.decode(rec.buf, rec.off, rec.caplen, rec.origLen, rec.linkType);
    const pf = this.opts.packetFilter;
    if (pf !== undefined && !keeps(pf, rec, p)) {
      this.filteredOut++;
      return;
    }
    if (p.status.kind === Stop.MALFORMED) this.noteMalformed(p.status.layer, p.status.what);
    if (!p.hasTcp && !p.hasIcmp) {
      if (p.status.kind === Stop.UNSUPPORTED && !isDecodableLinkType(rec.linkType)) this.undecodable.add(rec.linkType);
      else if (p.unreached !== '') this.noteUnreached(p.unreached);
      return;
    }
    const m = this.meta;
    m.t = (rec.tsSec - this.baseSec) + rec.tsNsec / 1e9;
    m.tsSec = rec.tsSec;
    m.tsNsec = rec.tsNsec;
    m.tsDigits = rec.tsDigits;
    m.frame = (this.fileIndex < 0 ? 0 : this.frameBase[this.fileIndex]) + rec.frame;
    m.file = this.fileIndex < 0 ? 0 : this.fileIndex;
    m.ifKey = rec.ifIndex * 65536 + (p.net.ifindex & 0xffff);
    this.engine.packet(p, m);
    if (this.engine.now - this.lastFlush >= 0.5) this.flush(false);
  }

  private readonly malformed = new Map<string, number>();
  private readonly undecodable = new Set<number>();

  private noteMalformed(layer: number, what: string): void {
    const key = `${LAYER_NAMES[layer] ?? 'packet'}: ${what}`;
    if (this.malformed.size < 32 || this.malformed.has(key)) this.malformed.set(key, (this.malformed.get(key) ?? 0) + 1);
  }

  /** Frames whose TCP could not be reached, by reason (static strings from decode/unreached.ts). */
  private readonly unreached = new Map<string, number>();

  private noteUnreached(reason: string): void {
    this.unreached.set(reason, (this.unreached.get(reason) ?? 0) + 1);
  }

  /** Moves the clock without a packet (live capture: time passes while nothing arrives). */
  tick(tsSec: number, tsNsec: number): void {
    if (this.baseSec < 0) return;
    this.engine.advance((tsSec - this.baseSec) + tsNsec / 1e9);
    this.flush(false);
  }

  private wanted(a: Attempt): boolean {
    if (this.opts.ports?.length && !this.opts.ports.includes(a.sport)) return false;
    if (!this.hostFilter) return true;
    const cli = a.cli;
    const srv = a.srv;
    return this.hostFilter.some((h) => prefixMatches(h, a.version, cli) || prefixMatches(h, a.version, srv));
  }

  private report(a: Attempt, serverTtl = this.engine.serverTtlOf(a)): AttemptReport {
    const r = this.row;
    r.a = a;
    r.c = connFields(a);
    r.server = { ip: a.serverIp(), port: a.sport, vlans: vlanIds(a.vlan), jsonBytes: null };
    r.serverTtl = serverTtl;
    r.start = isoTime(a.startSec, a.startNsec, a.tsDigits);
    r.ff = this.frameFiles;
    r.clientIp = a.clientIp();
    return attemptReport(r.prepare());
  }

  /** The report object in the making (reused: attemptReport keeps nothing of it). */
  private readonly row = new AttemptRow();

  private decided(a: Attempt, previous: Verdict | null): void {
    if (previous === null) {
      const wanted = this.wanted(a);
      this.enqueue(a.seq, wanted ? a : SKIPPED);
      if (!wanted) this.engine.unreported(a);
      if (wanted && this.opts.onAttempt) this.opts.onAttempt(this.report(a));
      return;
    }
    if (!this.wanted(a)) return;
    // Final reports go out in creation order: below nextSeq, this one had its final report, and
    // the report, the counts and the document already written say what it was then. One story:
    // the late change is counted in a warning, never applied to some parts only.
    if (a.seq < this.nextSeq) {
      this.afterFinal++;
      return;
    }
    this.opts.onRevision?.(this.report(a), previous);
  }

  /** Changes of verdict that came after the attempt's final report (kept as reported). */
  private afterFinal = 0;

  /** A newly decided attempt waits in the ring for its turn. */
  private enqueue(seq: number, a: Attempt | null): void {
    // Behind the reports already made: it can never have its turn (see finish).
    if (seq < this.nextSeq) { this.stray++; if (a) this.engine.unreported(a); return; }
    if (seq - this.nextSeq >= this.ring.length) this.grow(seq - this.nextSeq + 1);
    const i = seq & this.mask;
    if (this.ring[i] === undefined) this.pendingCount++;
    this.ring[i] = a;
    this.ringAt[i] = this.engine.now;
  }

  private grow(span: number): void {
    let size = this.ring.length * 2;
    while (size < span) size *= 2;
    const ring = new Array<Attempt | null | undefined>(size).fill(undefined);
    const at = new Float64Array(size);
    const old = this.ring;
    for (let k = 0, seq = this.nextSeq; k < old.length; k++, seq++) {
      const from = seq & this.mask;
      ring[seq & (size - 1)] = old[from];
      at[seq & (size - 1)] = this.ringAt[from];
    }
    this.ring = ring;
    this.ringAt = at;
    this.mask = size - 1;
  }

  /** Gives final reports, in first-SYN order, to attempts that have waited long enough. */
  private flush(final: boolean): void {
    const now = this.engine.now;
    this.lastFlush = now;
    for (;;) {
      const i = this.nextSeq & this.mask;
      const a = this.ring[i];
      if (a === undefined) return;
      if (a !== SKIPPED) {
        // Wait for late retransmissions, unless a flood of attempts would make the wait costly.
        // New evidence under review (a late SYN-ACK waiting for its ACK) is part of the final verdict too.
        if (!final && this.engine.holds(a) && this.pendingCount < MAX_PENDING && (now - this.ringAt[i] < this.hold || a.needsReview || stillTrying(a, now))) return;
        this.finalReport(a);
      }
      this.ring[i] = undefined;
      this.pendingCount--;
      this.nextSeq++;
    }
  }

  private finalReport(a: Attempt): void {
    const ttl = this.engine.serverTtlOf(a);
    const start = isoTime(a.startSec, a.startNsec, a.tsDigits);
    const e = this.endpoints.of(a);
    this.counts[a.verdict] = (this.counts[a.verdict] ?? 0) + 1;
    e.addAttempt(a, start, ttl);
    this.finalCount++;
    this.opts.jsonWriter?.attemptFrom(a, e, ttl, start, this.frameFiles);
    if (this.objects) {
      const r = this.report(a, ttl);
      if (this.collect) { this.collected.push(r); this.collectedSeq.push(a.seq); }
      this.opts.onFinal?.(r);
    }
    // Final: the engine may now keep a connection that can no longer change as a small record.
    this.engine.reported(a);
  }

  /** The input has ended: decide what is left and return the report. */
  finish(extraWarnings: string[] = []): Report {
    this.engine.finish(() => this.flush(true));
    this.flush(true);
    const unordered = this.pendingCount + this.stray;
    if (unordered) this.warn(`${unordered} attempt(s) could not be ordered for the report (internal inconsistency)`);
    return { attempts: this.collected, endpoints: this.endpoints.reports(), summary: this.summary(extraWarnings) };
  }

  summary(extraWarnings: string[] = []): Summary {
    const verdicts: Partial<Record<Verdict, number>> = {};
    for (const v of VERDICTS) if (this.counts[v]) verdicts[v] = this.counts[v];
    const st = this.engine.stats;
    const warnings = [...extraWarnings, ...this.warnings];
    warnings.push(...countWarnings({
      stats: st, afterFinal: this.afterFinal, serverOnly: this.finalCount === 0 && this.engine.attemptCount === 0,
      malformed: this.malformed, unreached: this.unreached, undecodable: this.undecodable,
      maxAttempts: this.engine.maxAttempts, maxParked: this.engine.maxParked,
    }));
    const pf = this.opts.packetFilter;
    return {
      packets: this.packets,
      attempts: this.finalCount,
      midstream: this.engine.midstream,
      verdicts,
      warnings,
      files: [...this.files],
      handshakeTimeoutSec: this.engine.timeout,
      ...(pf ? { filteredOut: this.filteredOut, filter: { ...(pf.expression !== undefined ? { expression: pf.expression } : {}), kept: this.packets - this.filteredOut } } : {}),
    };
  }
}

/**
 * Analyses capture files (`-` is standard input; directories and `*` patterns expand to the
 * captures in them) as one capture, in the time order of their first packets. A file of a
 * directory or pattern that is empty or cannot be read is skipped with a warning (unless
 * `strict`); an input that is a pipe is decided on the wall clock while it is silent (`idleTick`).
 */
export async function analyze(files: string | string[], opts: AnalyzeOptions = {}): Promise<Report> {
  const set = await expandInputSet(Array.isArray(files) ? files : [files], { strict: opts.strict });
  const list = await orderByTime(set.files);
  const an = new Analysis(opts);
  const readerWarnings: string[] = [];
  for (const w of set.warnings) {
    readerWarnings.push(w);
    opts.onWarning?.(w);
  }
  for (const [index, f] of list.entries()) {
    an.beginFile(f);
    const idle = (opts.idleTick ?? 200) > 0 && isPipe(f) ? new IdleClock(an, opts.idleTick ?? 200) : null;
    const onProgress = opts.onProgress || idle
      ? (bytes: number, size: number | null, pending: number) => {
        idle?.chunk(pending);
        opts.onProgress?.({ file: f, index, files: list.length, bytes, size, packets: an.packets });
      }
      : undefined;
    const sink = idle ? (rec: CaptureRecord) => { idle.packet(rec); an.packet(rec); } : (rec: CaptureRecord) => an.packet(rec);
    let info;
    try {
      info = await readCapture(f, sink, { onProgress, drain: opts.drain });
    } finally {
      idle?.stop();
    }
    // The capture ran on after its last packet: that quiet time counts (a SYN left unanswered).
    if (info.captureEnd) an.tick(info.captureEnd[0], info.captureEnd[1]);
    opts.onInput?.(info);
    for (const w of info.warnings) {
      readerWarnings.push(w);
      opts.onWarning?.(w);
    }
  }
  return an.finish(readerWarnings);
}

/** Standard input or a path that is not a regular file (a pipe, FIFO, socket or terminal). */
export function isPipe(file: string): boolean {
  try {
    const st = file === '-' ? fstatSync(0) : statSync(file);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

/**
 * Moves the capture clock of an analysis fed from a pipe while the pipe is silent, as live capture
 * does: every `ms` milliseconds without input, to the last packet's time plus the wall time since
 * the input that held it arrived. Only when the input stopped at a record boundary: a writer that
 * flushes whole packets (`tcpdump -U`) does, while a block-buffered one (tcpdump without -U)
 * stops in the middle of records, and its packets would arrive later than the clock says.
 */
class IdleClock {
  private readonly timer: NodeJS.Timeout;
  private lastSec = -1;
  private lastNsec = 0;
  /** performance.now() when the last chunk arrived. */
  private chunkAt = performance.now();
  /** The last chunk ended at a record boundary. */
  private boundary = true;
  /** performance.now() when the chunk holding the last packet arrived. */
  private packetAt = 0;
  private sawPacket = false;

  constructor(private readonly an: Analysis, private readonly ms: number) {
    this.timer = setInterval(() => this.tick(), ms);
    this.timer.unref();
  }

  packet(rec: CaptureRecord): void {
    this.lastSec = rec.tsSec;
    this.lastNsec = rec.tsNsec;
    this.sawPacket = true;
  }

  /** After each chunk of input: `pending` bytes of an unfinished record wait for the next. */
  chunk(pending: number): void {
    this.chunkAt = performance.now();
    this.boundary = pending === 0;
    if (this.sawPacket) {
      this.packetAt = this.chunkAt;
      this.sawPacket = false;
    }
  }

  private tick(): void {
    const now = performance.now();
    if (this.lastSec < 0 || !this.boundary || now - this.chunkAt < this.ms) return;
    const ns = this.lastNsec + Math.round((now - this.packetAt) * 1e6);
    this.an.tick(this.lastSec + Math.floor(ns / 1e9), ns % 1e9);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
