/**
 * The property every input must satisfy (test/fuzz.test.ts): reading and analysing it either
 * resolves with a report that keeps the output contract, or rejects with a `SynscopeError` whose
 * one-line message names the file and, for capture errors, the byte offset. Never another
 * exception type, never a hang, never memory beyond a bound, and never an answer that depends on
 * how the input happened to be split into chunks.
 *
 * `checkInput` runs the input three ways:
 *   1. `readCapture` alone from a stream cut at random places (the reader, its Deframer carry),
 *      checking every record it hands out;
 *   2. the same pipeline `analyze()` runs (Analysis fed by readCapture), from a stream cut
 *      differently, checking the report's invariants (those of ../shared/validate-contract.mjs);
 *   3. optionally `analyze(file)` itself on the bytes written to disk, whose report must equal (2).
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Analysis, analyze } from '../../src/analyze.js';
import { readCapture } from '../../src/capture/reader.js';
import { isSynscopeError } from '../../src/errors.js';
import { VERDICTS } from '../../src/model/verdict.js';
import type { Report } from '../../src/report/model.js';

/** Heap (and Buffer) memory the worker may hold at any time while one input is read. */
export const HEAP_BOUND = 192 * 1024 * 1024;
export const BUFFER_BOUND = 192 * 1024 * 1024;
/** One input must be done in this time (async hangs; a synchronous loop is caught by the watchdog). */
export const RUN_TIMEOUT_MS = 5_000;

/** A regression input as stored in fixtures/regressions/ (`xxd -p`: hex digits, any whitespace). */
export function fromHex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

export class PropertyFailure extends Error {
  override name = 'PropertyFailure';
}

function fail(what: string): never {
  throw new PropertyFailure(what);
}

let peakHeap = 0;
let peakBuffers = 0;

/** A full garbage collection, so that garbage of earlier inputs is not blamed on this one. */
const gc: (() => void) | null = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
})();

/** Heap in use and memory outside it (Buffers): v8's statistics, 15x cheaper than process.memoryUsage(). */
function usage(): { heapUsed: number; arrayBuffers: number } {
  const h = v8.getHeapStatistics();
  return { heapUsed: h.used_heap_size, arrayBuffers: h.external_memory };
}

/**
 * Samples memory; fails past the bounds. Called between chunks, every 64 records and after every
 * input, while the reader still holds what it allocated for this input.
 */
export function checkMemory(where: string): void {
  let m = usage();
  if ((m.heapUsed > HEAP_BOUND || m.arrayBuffers > BUFFER_BOUND) && gc) {
    gc();
    m = usage();
  }
  if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  if (m.arrayBuffers > peakBuffers) peakBuffers = m.arrayBuffers;
  if (m.heapUsed > HEAP_BOUND) fail(`${where}: heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB exceeds the bound of ${HEAP_BOUND / 2 ** 20} MiB`);
  if (m.arrayBuffers > BUFFER_BOUND) fail(`${where}: Buffers hold ${(m.arrayBuffers / 2 ** 20).toFixed(0)} MiB, beyond the bound of ${BUFFER_BOUND / 2 ** 20} MiB`);
}

export function memoryPeaks(): { heapMiB: number; buffersMiB: number } {
  return { heapMiB: Math.round(peakHeap / 2 ** 20), buffersMiB: Math.round(peakBuffers / 2 ** 20) };
}

/** Cuts `b` at the given fractions (each 0..1), giving at least one chunk when b is not empty. */
export function split(b: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * b.length)))].filter((x) => x > 0 && x < b.length).sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const x of at) { out.push(b.subarray(prev, x)); prev = x; }
  if (prev < b.length) out.push(b.subarray(prev));
  return out;
}

function streamOf(chunks: Buffer[]): NodeJS.ReadableStream {
  return Readable.from((function* () {
    for (const c of chunks) {
      checkMemory('while reading');
      yield c;
    }
    checkMemory('at the end of the input');
  })(), { objectMode: false });
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new PropertyFailure(`${what}: no answer after ${RUN_TIMEOUT_MS} ms (hang)`)), RUN_TIMEOUT_MS); });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** What one way of reading the input gave. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function outcome<T>(p: () => Promise<T>): Promise<Outcome> {
  try {
    return { ok: true, value: await p() };
  } catch (error) {
    if (error instanceof PropertyFailure) throw error;
    return { ok: false, error };
  }
}

const CAPTURE_CODES = new Set(['ERR_NOT_A_CAPTURE', 'ERR_CAPTURE_HEADER', 'ERR_CAPTURE_CORRUPT']);

/** A rejection must be a SynscopeError with a one-line message naming the file and the offset. */
export function checkError(e: unknown, label: string, inputLength: number, where: string): string {
  if (!isSynscopeError(e)) {
    const err = e as Error;
    fail(`${where}: threw ${err?.name ?? typeof e} instead of a SynscopeError: ${err?.message ?? String(e)}\n${err?.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`);
  }
  if (e.message.includes('\n')) fail(`${where}: error message is more than one line: ${JSON.stringify(e.message)}`);
  if (!e.message.includes(label)) fail(`${where}: error message does not name the file ${label}: ${e.message}`);
  if (CAPTURE_CODES.has(e.code) && inputLength > 0) {
    if (typeof e.offset !== 'number') fail(`${where}: ${e.code} without a byte offset: ${e.message}`);
    // "byte N", or for an input that decompresses to nothing, "empty input (0 bytes)"
    if (!/\bbyte \d+\b|^[^:]+: empty input \(0 bytes\)/.test(e.message)) fail(`${where}: ${e.code} message gives no byte offset: ${e.message}`);
  }
  return e.code;
}

/** The invariants ../shared/validate-contract.mjs checks, in process. */
export function checkReport(r: Report, where: string): void {
  const V = new Set<string>(VERDICTS);
  const { attempts, endpoints, summary } = r;
  if (!Array.isArray(attempts) || !Array.isArray(endpoints) || !summary) fail(`${where}: report lacks attempts, endpoints or summary`);
  if (summary.attempts !== attempts.length) fail(`${where}: summary.attempts ${summary.attempts} but ${attempts.length} attempts listed`);
  const sum = (c: Record<string, number | undefined>, w: string) => Object.entries(c).reduce((s, [k, v]) => {
    if (!V.has(k)) fail(`${w}: unknown verdict ${k}`);
    if (!Number.isInteger(v) || v! < 0) fail(`${w}: count of ${k} is ${v}`);
    return s + v!;
  }, 0);
  if (sum(summary.verdicts, `${where}: summary.verdicts`) !== summary.attempts) fail(`${where}: summary verdict counts do not add up to ${summary.attempts}: ${JSON.stringify(summary.verdicts)}`);
  for (const k of ['packets', 'attempts', 'midstream'] as const) if (!Number.isInteger(summary[k]) || summary[k] < 0) fail(`${where}: summary.${k} is ${summary[k]}`);
  if (!Array.isArray(summary.warnings) || summary.warnings.some((w) => typeof w !== 'string' || w.includes('\n'))) fail(`${where}: warnings must be one-line strings`);
  const per = new Map<string, number>();
  attempts.forEach((a, i) => {
    const w = `${where}: attempts[${i}]`;
    if (!V.has(a.verdict)) fail(`${w}: verdict ${a.verdict} is not in the closed set`);
    if (!Array.isArray(a.frames) || a.frames.length === 0 || a.frames.some((n) => !Number.isInteger(n) || n < 1)) fail(`${w}: frames ${JSON.stringify(a.frames)} must be 1-based frame numbers, at least one`);
    if (!Number.isInteger(a.synCount) || a.synCount < 1) fail(`${w}: synCount ${a.synCount}`);
    if (!(a.rttMs === null || (typeof a.rttMs === 'number' && Number.isFinite(a.rttMs) && a.rttMs >= 0))) fail(`${w}: rttMs ${a.rttMs}`);
    if (typeof a.start !== 'string' || Number.isNaN(Date.parse(a.start))) fail(`${w}: start ${JSON.stringify(a.start)} is not an ISO-8601 time`);
    if (typeof a.reason !== 'string' || a.reason.trim() === '' || a.reason.includes('\n')) fail(`${w}: reason must be one sentence`);
    for (const h of [a.client, a.server]) {
      if (typeof h?.ip !== 'string' || !/^[0-9a-fA-F.:]+$/.test(h.ip) || !Number.isInteger(h.port) || h.port < 0 || h.port > 65535) fail(`${w}: bad endpoint ${JSON.stringify(h)}`);
    }
    const k = `${a.server.ip}|${a.server.port}|${a.vlan?.join('.') ?? ''}`;
    per.set(k, (per.get(k) ?? 0) + 1);
  });
  let epTotal = 0;
  endpoints.forEach((e, i) => {
    const w = `${where}: endpoints[${i}]`;
    if (sum(e.verdicts, `${w}.verdicts`) !== e.attempts) fail(`${w}: verdict counts do not add up to ${e.attempts}`);
    if (typeof e.diagnosis !== 'string' || e.diagnosis === '' || !Array.isArray(e.hints)) fail(`${w}: diagnosis / hints missing`);
    const k = `${e.server.ip}|${e.server.port}|${e.vlan?.join('.') ?? ''}`;
    if ((per.get(k) ?? 0) !== e.attempts) fail(`${w}: ${e.attempts} attempts, but the attempt list has ${per.get(k) ?? 0} to ${k}`);
    epTotal += e.attempts;
  });
  if (epTotal !== attempts.length) fail(`${where}: endpoints count ${epTotal} attempts, the list has ${attempts.length}`);
  JSON.stringify(r); // must serialise (no cycles, no BigInt)
}

/** The pipeline of `analyze()` (src/analyze.ts) over a stream instead of a file. */
async function analyzeStream(label: string, chunks: Buffer[]): Promise<{ report: Report; packets: number; readerWarnings: string[] }> {
  const an = new Analysis();
  an.beginFile(label);
  const info = await readCapture(label, (rec) => an.packet(rec), { stream: streamOf(chunks) });
  if (info.captureEnd) an.tick(info.captureEnd[0], info.captureEnd[1]);
  return { report: an.finish(info.warnings), packets: info.packets, readerWarnings: info.warnings };
}

interface ReadResult { packets: number; warnings: string[] }

async function readStream(label: string, chunks: Buffer[]): Promise<ReadResult> {
  let frame = 0;
  let n = 0;
  const info = await readCapture(label, (r) => {
    n++;
    if (!(r.off >= 0 && r.caplen >= 0 && r.off + r.caplen <= r.buf.length)) fail(`record ${n}: [${r.off}, ${r.off + r.caplen}) lies outside its buffer of ${r.buf.length} bytes`);
    if (!(Number.isInteger(r.tsNsec) && r.tsNsec >= 0 && r.tsNsec < 1e9)) fail(`record ${n}: tsNsec ${r.tsNsec} out of range`);
    if (!Number.isFinite(r.tsSec)) fail(`record ${n}: tsSec ${r.tsSec}`);
    if (!(r.frame > frame)) fail(`record ${n}: frame ${r.frame} does not follow ${frame}`);
    if (!(r.fileOffset >= 0)) fail(`record ${n}: fileOffset ${r.fileOffset}`);
    frame = r.frame;
    if ((n & 63) === 0) checkMemory(`record ${n}`);
  }, { stream: streamOf(chunks) });
  if (info.packets !== n) fail(`info.packets ${info.packets} but ${n} records delivered`);
  for (const w of info.warnings) {
    if (!w.startsWith(`${label}: byte `) || !/^[^:]+: byte \d+: /.test(w)) fail(`reader warning does not name the file and a byte offset: ${w}`);
    if (w.includes('\n')) fail(`reader warning is more than one line: ${JSON.stringify(w)}`);
  }
  return { packets: n, warnings: info.warnings };
}

const FD_DIR = existsSync('/proc/self/fd') ? '/proc/self/fd' : null;

/** Open file descriptors of the process (Linux), or 0 where that cannot be counted. */
function openFds(): number {
  return FD_DIR ? readdirSync(FD_DIR).length : 0;
}

/** Reader warnings from a path carry how much of the file was lost; a stream has no size. */
function comparable(r: Report): unknown {
  // What only a file of known size can tell: the bytes lost, and the records they make at the average size.
  return { ...r, summary: { ...r.summary, warnings: r.summary.warnings.map((w) => w.replace(/(; about \d+ records? lost, at the \d+ bytes the \d+ records? before it averaged)? \(\d+ bytes, [\d.]+% of the file\)/, '')) } };
}

export interface CheckOptions {
  /** Fractions (0..1) where the stream for readCapture is cut, and those for the analysis. */
  readCuts: number[];
  analyzeCuts: number[];
  /** Also write the bytes to this path and run analyze(path); its report must equal the stream's. */
  file?: string;
}

export interface CheckSummary {
  ok: boolean;
  code?: string;
  packets: number;
  attempts: number;
}

/** Runs the property on one input; throws PropertyFailure when it does not hold. */
export async function checkInput(input: Buffer, label: string, o: CheckOptions): Promise<CheckSummary> {
  const readChunks = split(input, o.readCuts);
  const anChunks = split(input, o.analyzeCuts);
  const read = await withTimeout(outcome(() => readStream(label, readChunks)), 'readCapture');
  const an = await withTimeout(outcome(() => analyzeStream(label, anChunks)), 'analysis');
  checkMemory('after the input');
  let summary: CheckSummary;
  if (!read.ok) {
    const code = checkError(read.error, label, input.length, 'readCapture');
    if (an.ok) fail(`readCapture rejected (${(read.error as Error).message}) but the analysis of the same bytes resolved: the outcome depends on chunking`);
    checkError(an.error, label, input.length, 'analysis');
    if ((an.error as Error).message !== (read.error as Error).message) fail(`the error depends on chunking: "${(read.error as Error).message}" vs "${(an.error as Error).message}"`);
    summary = { ok: false, code, packets: 0, attempts: 0 };
  } else {
    if (!an.ok) {
      checkError(an.error, label, input.length, 'analysis');
      fail(`the analysis rejected (${(an.error as Error).message}) but readCapture of the same bytes resolved`);
    }
    const rr = read.value as ReadResult;
    const ar = an.value as Awaited<ReturnType<typeof analyzeStream>>;
    checkReport(ar.report, 'report');
    if (ar.packets !== rr.packets || ar.report.summary.packets !== rr.packets) fail(`packet count depends on chunking: ${rr.packets} vs ${ar.packets} (report ${ar.report.summary.packets})`);
    if (JSON.stringify(ar.readerWarnings) !== JSON.stringify(rr.warnings)) fail(`reader warnings depend on chunking:\n  ${rr.warnings.join('\n  ')}\nvs\n  ${ar.readerWarnings.join('\n  ')}`);
    summary = { ok: true, packets: rr.packets, attempts: ar.report.attempts.length };
  }
  if (o.file) {
    writeFileSync(o.file, input);
    const before = openFds();
    const viaFile = await withTimeout(outcome(() => analyze(o.file!)), 'analyze(file)');
    // The capture file must be closed however reading ended (not left to garbage collection).
    // (A stream's close runs on the thread pool: give it a moment, then it must be done.)
    for (let i = 0; i < 100 && openFds() > before; i++) await new Promise((r) => setTimeout(r, 5));
    if (openFds() > before) fail(`analyze(file) left ${openFds() - before} file descriptor(s) open`);
    if (viaFile.ok !== an.ok) fail(`analyze(file) ${viaFile.ok ? 'resolved' : `rejected (${(viaFile as { error: Error }).error.message})`} where the stream analysis did not`);
    if (!viaFile.ok) checkError(viaFile.error, o.file, input.length, 'analyze(file)');
    else {
      const a = JSON.stringify(comparable(viaFile.value as Report)).replaceAll(o.file, label);
      const b = JSON.stringify(comparable((an as { value: { report: Report } }).value.report));
      if (a !== b) fail(`analyze(file) and the stream analysis disagree:\n${a.slice(0, 2000)}\nvs\n${b.slice(0, 2000)}`);
    }
  }
  return summary;
}

// ---------------------------------------------------------------------------
// shared by the test (main thread) and the worker
// ---------------------------------------------------------------------------

export interface WorkerInput {
  category: string;
  seed: number;
  runs: number;
  root: string;
  failureDir: string;
  /** Int32Array view: [0] inputs started, [1] bytes of the current input in `current`. */
  progress: SharedArrayBuffer;
  current: SharedArrayBuffer;
}

export interface KnownBug {
  id: string;
  /** Matches the failure message of this bug. */
  match: RegExp;
  /** Its regression inputs in fixtures/regressions/ (replayed as `todo` while the bug is open). */
  files: string[];
  /** The bug is a hang: its inputs are not run at all (the worker could not go on). */
  hangs?: boolean;
  /** What is wrong and where. */
  reason: string;
}

/**
 * Bugs found by fuzzing in code this test may not fix (src/handshake, src/report, src/util ...):
 * reported with a regression input in fixtures/regressions/ whose replay is a `todo` test. An
 * input failing this way is counted, not failed, so the fuzz run keeps looking for new problems.
 * Remove an entry when the bug is fixed: the regression replay then guards it.
 */
export const KNOWN_BUGS: KnownBug[] = [
];

export interface WorkerResult {
  category: string;
  seed: number;
  runs: number;
  ms: number;
  resolved: number;
  rejected: Record<string, number>;
  known: Record<string, number>;
  failures: Array<{ message: string; file: string }>;
  peaks: { heapMiB: number; buffersMiB: number };
  details: string[];
}

