/**
 * Runs one category of fuzz inputs inside a worker thread, so that the test's main thread can
 * stop it when it stops making progress (a synchronous loop cannot be interrupted by a timer in
 * its own thread) or when it runs out of its memory limits. Before each input the worker bumps a
 * shared counter and copies the input into shared memory: if the watchdog fires, the main
 * thread saves exactly the input that hung.
 *
 * Categories: truncate, mutate, pcap, pcapng, packets, regressions (see test/fuzz.test.ts).
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { readCapture } from '../../src/capture/reader.js';
import {
  applyMutations, maybeGzip, mutationsArb, packetCaptureArb, pcapFileArb, pcapngFileArb,
} from './fuzz-arbitraries.js';
import {
  KNOWN_BUGS, PropertyFailure, checkInput, fromHex, memoryPeaks, type CheckOptions, type KnownBug, type WorkerInput, type WorkerResult,
} from './fuzz-check.js';

const data = workerData as WorkerInput;
const progress = new Int32Array(data.progress);
const current = new Uint8Array(data.current);
const scratch = mkdtempSync(join(tmpdir(), 'synscope-fuzz-'));
const LABEL = 'fuzz-input.pcap';

const result: WorkerResult = {
  category: data.category, seed: data.seed, runs: 0, ms: 0, resolved: 0, rejected: {}, known: {}, failures: [], peaks: { heapMiB: 0, buffersMiB: 0 }, details: [],
};

function announce(input: Buffer): void {
  const n = Math.min(input.length, current.length);
  current.set(input.subarray(0, n));
  Atomics.store(progress, 1, n);
  Atomics.add(progress, 0, 1);
}

function knownBug(message: string): KnownBug | undefined {
  return KNOWN_BUGS.find((k) => k.match.test(message));
}

function saveFailure(input: Buffer, message: string): string {
  mkdirSync(data.failureDir, { recursive: true });
  const hash = createHash('sha256').update(input).digest('hex').slice(0, 12);
  const file = join(data.failureDir, `${data.category}-${hash}.bin`);
  writeFileSync(file, input);
  writeFileSync(`${file}.txt`, `${message}\n`);
  return file;
}

let lastKnown: KnownBug | null = null;

/**
 * Runs the property on one input; returns the failure message, or null. A failure that is a known
 * bug counts as passing (and is tallied); `lastKnown` says which it was.
 */
async function one(input: Buffer, o: CheckOptions): Promise<string | null> {
  announce(input);
  result.runs++;
  lastKnown = null;
  try {
    const s = await checkInput(input, LABEL, o);
    if (s.ok) result.resolved++;
    else result.rejected[s.code!] = (result.rejected[s.code!] ?? 0) + 1;
    return null;
  } catch (e) {
    const message = e instanceof PropertyFailure ? e.message : `the property itself threw: ${(e as Error)?.stack ?? String(e)}`;
    const k = knownBug(message);
    if (k) {
      result.known[k.id] = (result.known[k.id] ?? 0) + 1;
      lastKnown = k;
      return null;
    }
    return message;
  }
}

// ---------------------------------------------------------------------------
// inputs
// ---------------------------------------------------------------------------

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'regressions') out.push(...captures(p)); } else if (/\.(pcap|pcapng)(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

interface Fixture {
  name: string;
  bytes: Buffer;
  /** Offsets where records / blocks start. */
  records: number[];
  /** Offsets of length fields and header fields worth mutating. */
  fields: number[];
}

async function loadFixtures(): Promise<Fixture[]> {
  const out: Fixture[] = [];
  for (const f of captures(join(data.root, 'fixtures'))) {
    const bytes = readFileSync(f);
    const records: number[] = [];
    const fields = new Set<number>();
    const ng = bytes.length >= 4 && bytes.readUInt32BE(0) === 0x0a0d0d0a;
    for (let i = 0; i < 64; i += ng ? 2 : 4) fields.add(i);
    try {
      await readCapture(f, (r) => {
        records.push(r.fileOffset);
        for (let k = 0; k < 32; k += 4) fields.add(r.fileOffset + k);
        // With the whole file in one chunk, `off` is the file offset of the packet data.
        if (r.buf.length === bytes.length) for (let k = 0; k < 80 && k < r.caplen; k += 2) fields.add(r.off + k);
      }, { stream: Readable.from([bytes]) });
    } catch {
      // a fixture that cannot be read is still truncated and mutated
    }
    out.push({ name: f.slice(data.root.length + 1), bytes, records, fields: [...fields].filter((x) => x < bytes.length).sort((a, b) => a - b) });
  }
  return out;
}

/** Deterministic PRNG (mulberry32) for the sampled truncation lengths. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

// ---------------------------------------------------------------------------
// categories
// ---------------------------------------------------------------------------

async function truncations(): Promise<void> {
  const fixtures = await loadFixtures();
  const exhaustive = data.runs >= 5000;
  const rand = rng(data.seed);
  let n = 0;
  for (const fx of fixtures) {
    const size = fx.bytes.length;
    const lengths = new Set<number>();
    for (let l = 0; l <= Math.min(256, size); l++) lengths.add(l);
    if (exhaustive) for (let l = 0; l <= size; l++) lengths.add(l);
    else {
      // A sample of record boundaries and the bytes around them (inside the record header, in
      // its length field), the whole file, and random lengths.
      const recs = fx.records.filter((r) => r > 256);
      for (let i = 0; i < 16 && recs.length; i++) {
        const r = recs[Math.floor(rand() * recs.length)]!;
        for (const d of [-1, 0, 1, 10, 13]) if (r + d <= size) lengths.add(r + d);
      }
      lengths.add(size);
      for (let i = 0; i < 16; i++) lengths.add(Math.floor(rand() * (size + 1)));
    }
    for (const l of [...lengths].sort((a, b) => a - b)) {
      const input = fx.bytes.subarray(0, l);
      const cut = rand();
      const msg = await one(input, { readCuts: [cut], analyzeCuts: [rand(), rand()], file: (n++ % 16 === 0) ? join(scratch, 'truncated.pcap') : undefined });
      if (msg) {
        result.failures.push({ message: `${fx.name} cut to ${l} bytes: ${msg}`, file: saveFailure(Buffer.from(input), msg) });
        if (result.failures.length >= 5) return;
      }
    }
    result.details.push(`${fx.name}: ${lengths.size} lengths of ${size + 1}`);
  }
}

async function property<T>(arb: fc.Arbitrary<T>, bytesOf: (v: T) => Buffer, cuts: (v: T) => [number[], number[]]): Promise<void> {
  let n = 0;
  const r = await fc.check(fc.asyncProperty(arb, async (v) => {
    const input = bytesOf(v);
    const [readCuts, analyzeCuts] = cuts(v);
    const msg = await one(input, { readCuts, analyzeCuts, file: (n++ % 8 === 0) ? join(scratch, 'generated.pcap') : undefined });
    if (msg) throw new PropertyFailure(msg);
  }), {
    seed: data.seed,
    numRuns: data.runs,
    // Shrinking a failure of a big structured input can take minutes: stop it after a while and
    // keep the smallest failing input found so far.
    interruptAfterTimeLimit: Math.max(30_000, data.runs * 25),
    markInterruptAsFailure: false,
  });
  if (r.failed && r.counterexample) {
    const input = bytesOf(r.counterexample[0]);
    const msg = (r.errorInstance as Error)?.message ?? String(r.errorInstance);
    const file = saveFailure(input, msg);
    result.failures.push({ message: `seed ${r.seed}, path "${r.counterexamplePath}" (replay with SYNSCOPE_FUZZ_SEED=${data.seed}): ${msg}`, file });
  } else if (r.failed) {
    result.failures.push({ message: `fast-check stopped: ${String(r.errorInstance)} (seed ${r.seed})`, file: '' });
  }
}

async function mutations(): Promise<void> {
  const fixtures = await loadFixtures();
  const arb = fc.record({ f: fc.nat({ max: fixtures.length - 1 }), muts: mutationsArb, read: cutsArb, an: cutsArb });
  await property(arb, (v) => applyMutations(fixtures[v.f]!.bytes, v.muts, fixtures[v.f]!.fields), (v) => [v.read, v.an]);
}

async function generated(arb: fc.Arbitrary<Buffer>): Promise<void> {
  await property(fc.record({ b: arb, read: cutsArb, an: cutsArb }), (v) => v.b, (v) => [v.read, v.an]);
}

async function regressions(): Promise<void> {
  const dir = join(data.root, 'fixtures', 'regressions');
  let files: string[] = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.hex')).sort(); } catch { /* none yet */ }
  const rand = rng(data.seed);
  for (const f of files) {
    const input = fromHex(readFileSync(join(dir, f), 'utf8'));
    const hang = KNOWN_BUGS.find((k) => k.hangs && k.files.includes(f));
    if (hang) {
      result.details.push(`${f}\tknown\t${hang.id}\t${hang.reason} (not run: it hangs)`);
      continue;
    }
    // Every way of splitting a regression that matters: whole, byte by byte at the start, random.
    for (const [readCuts, analyzeCuts] of [[[], []], [[0.001, 0.01, 0.1], [0.5]], [[rand(), rand()], [rand()]]] as Array<[number[], number[]]>) {
      const msg = await one(input, { readCuts, analyzeCuts, file: join(scratch, basename(f, '.hex')) });
      if (msg || lastKnown) {
        result.details.push(`${f}\t${lastKnown ? `known\t${lastKnown.id}\t${lastKnown.reason}` : `fail\t${msg}`}`);
        if (msg) result.failures.push({ message: `${f}: ${msg}`, file: join(dir, f) });
        break;
      }
    }
    if (!result.details.some((d) => d.startsWith(`${f}\t`))) result.details.push(`${f}\tok`);
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  switch (data.category) {
    case 'truncate': await truncations(); break;
    case 'mutate': await mutations(); break;
    case 'pcap': await generated(pcapFileArb); break;
    case 'pcapng': await generated(pcapngFileArb); break;
    case 'packets': await generated(maybeGzip(packetCaptureArb)); break;
    case 'regressions': await regressions(); break;
    default: throw new Error(`unknown fuzz category ${data.category}`);
  }
  result.ms = Math.round(performance.now() - t0);
  result.peaks = memoryPeaks();
  rmSync(scratch, { recursive: true, force: true });
  parentPort!.postMessage(result);
}

await main();
