/**
 * Property and fuzz tests: hostile or broken input never crashes, hangs or eats memory.
 *
 * For every input, `readCapture` and the analysis either resolve (a report that keeps the output
 * contract; warnings allowed) or reject with a `SynscopeError` whose one-line message names the
 * file and the byte offset; the answer must not depend on how the input was split into chunks,
 * and `analyze(path)` must agree with the streamed analysis (see test/helpers/fuzz-check.ts).
 *
 * Inputs (test/helpers/fuzz-arbitraries.ts): every fixture cut at every length of its first 256
 * bytes plus every record boundary and a sample of later lengths (all lengths with
 * SYNSCOPE_FUZZ_RUNS >= 5000); random mutations of every fixture; generated pcap files (random
 * magic, byte order, snap length, link type, record lengths), pcapng files (broken block and
 * option lengths, missing interfaces, extreme timestamp resolutions and offsets), and packets
 * (random IHL, data offset, IPv6 extension-header chains and loops, ICMP quotes of ICMP, tunnels).
 *
 * Each category runs in a worker thread with heap limits; a watchdog in this thread ends a
 * worker that stops making progress and saves the input that hung. Seeded and reproducible:
 *   SYNSCOPE_FUZZ_SEED   base seed (default 20260314; each category adds its index)
 *   SYNSCOPE_FUZZ_RUNS   fast-check runs per category (default 300; `npm run fuzz` uses 20000)
 * A failing input is written to $SYNSCOPE_FUZZ_FAILURES (default <tmp>/synscope-fuzz-failures);
 * keep it in fixtures/regressions/ with a README line, where the last test replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { analyze } from '../src/analyze.js';
import { isSynscopeError } from '../src/errors.js';
import { KNOWN_BUGS, fromHex, type WorkerInput, type WorkerResult } from './helpers/fuzz-check.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const workerFile = join(dirname(fileURLToPath(import.meta.url)), 'helpers', 'fuzz-worker.js');
const validator = resolve(root, '..', 'shared', 'validate-contract.mjs');
const SEED = Number(process.env.SYNSCOPE_FUZZ_SEED ?? 20260314);
const RUNS = Number(process.env.SYNSCOPE_FUZZ_RUNS ?? 300);
const FAILURES = process.env.SYNSCOPE_FUZZ_FAILURES ?? join(tmpdir(), 'synscope-fuzz-failures');
/** No input may take this long: the worker is stopped and the input saved. */
const HANG_MS = 15_000;
/** A long run (`npm run fuzz`) needs more than the default per-test timeout. */
const TEST_TIMEOUT = Math.max(120_000, RUNS * 30);

const CATEGORIES = ['truncate', 'mutate', 'pcap', 'pcapng', 'packets'] as const;

function runWorker(category: string, seed: number, runs: number): Promise<WorkerResult> {
  const progress = new SharedArrayBuffer(8);
  const current = new SharedArrayBuffer(1 << 20);
  const counters = new Int32Array(progress);
  const input: WorkerInput = { category, seed, runs, root, failureDir: FAILURES, progress, current };
  return new Promise((res, rej) => {
    const w = new Worker(workerFile, {
      workerData: input,
      // The memory bound, enforced: a worker past it is ended with ERR_WORKER_OUT_OF_MEMORY.
      resourceLimits: { maxOldGenerationSizeMb: 384, maxYoungGenerationSizeMb: 64 },
    });
    let last = -1;
    let since = Date.now();
    let done = false;
    const saveCurrent = (why: string): string => {
      mkdirSync(FAILURES, { recursive: true });
      const n = Atomics.load(counters, 1);
      const file = join(FAILURES, `${category}-seed${seed}-input${Atomics.load(counters, 0)}.bin`);
      writeFileSync(file, Buffer.from(new Uint8Array(current, 0, n)));
      writeFileSync(`${file}.txt`, `${why}\n`);
      return file;
    };
    const watchdog = setInterval(() => {
      const now = Atomics.load(counters, 0);
      if (now !== last) { last = now; since = Date.now(); return; }
      if (Date.now() - since < HANG_MS) return;
      done = true;
      clearInterval(watchdog);
      const file = saveCurrent('hang');
      void w.terminate();
      rej(new Error(`${category} (seed ${seed}): input ${now} made no progress for ${HANG_MS} ms (a hang); saved as ${file}`));
    }, 250);
    w.once('message', (m: WorkerResult) => { done = true; clearInterval(watchdog); res(m); });
    w.once('error', (e) => {
      if (done) return;
      done = true;
      clearInterval(watchdog);
      const file = saveCurrent(String(e));
      rej(new Error(`${category} (seed ${seed}): the worker died on input ${Atomics.load(counters, 0)} (${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}): an uncaught exception or memory beyond the bound; input saved as ${file}`));
    });
    w.once('exit', (code) => {
      if (done) return;
      done = true;
      clearInterval(watchdog);
      rej(new Error(`${category} (seed ${seed}): the worker exited with ${code} before reporting; input ${Atomics.load(counters, 0)} saved as ${saveCurrent(`exit ${code}`)}`));
    });
  });
}

function describe(r: WorkerResult): string {
  const rejected = Object.entries(r.rejected).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const known = Object.entries(r.known).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${r.category}: ${r.runs} inputs in ${(r.ms / 1000).toFixed(1)} s (seed ${r.seed}): ${r.resolved} reports, rejected: ${rejected}${known ? `; known bugs hit: ${known}` : ''}; peak heap ${r.peaks.heapMiB} MiB, Buffers ${r.peaks.buffersMiB} MiB`;
}

CATEGORIES.forEach((category, i) => {
  test(`fuzz ${category}: every input ends in a report or a SynscopeError with file and offset`, { timeout: TEST_TIMEOUT }, async (t) => {
    const r = await runWorker(category, SEED + i, RUNS);
    t.diagnostic(describe(r));
    assert.ok(r.runs > 0, 'no input ran');
    assert.deepEqual(r.failures.map((f) => `${f.message}\n  input saved as ${f.file}`), [],
      `${r.failures.length} failing input(s) (base seed ${SEED}, SYNSCOPE_FUZZ_SEED=${SEED} SYNSCOPE_FUZZ_RUNS=${RUNS} to replay); keep each as fixtures/regressions/NAME.hex (xxd -p -c 32 FILE) with a README line`);
  });
});

// ---------------------------------------------------------------------------
// regressions: every input that once failed, replayed through the same property
// ---------------------------------------------------------------------------

const regressionDir = join(root, 'fixtures', 'regressions');
const regressionFiles = (): string[] => (existsSync(regressionDir) ? readdirSync(regressionDir).filter((f) => f.endsWith('.hex')).sort() : []);

test('regression inputs: each is listed in fixtures/regressions/README.md', () => {
  if (!existsSync(regressionDir)) return;
  const readme = readFileSync(join(regressionDir, 'README.md'), 'utf8');
  for (const f of regressionFiles()) assert.ok(readme.includes(`\`${f}\``), `${f} has no line in fixtures/regressions/README.md`);
  for (const k of KNOWN_BUGS) for (const f of k.files) assert.ok(regressionFiles().includes(f), `KNOWN_BUGS ${k.id} names ${f}, which is not in fixtures/regressions/`);
});

test('regression inputs replay without failure', { timeout: TEST_TIMEOUT }, async (t) => {
  const r = await runWorker('regressions', SEED, 0);
  t.diagnostic(describe(r));
  for (const line of r.details) {
    const [file, status, id, reason] = line.split('\t');
    if (status === 'known') {
      await t.test(file!, { todo: `known bug ${id}: ${reason}` }, () => { assert.fail(`still fails (${id})`); });
    } else {
      await t.test(file!, () => { assert.equal(status, 'ok', line); });
    }
  }
});

test('regression inputs: the report of each readable one passes the shared contract validator', { skip: existsSync(validator) ? false : `no ${validator}` }, async (t) => {
  if (!existsSync(regressionDir)) return;
  const tmp = mkdtempSync(join(tmpdir(), 'synscope-regressions-'));
  for (const f of regressionFiles()) {
    const path = join(tmp, basename(f, '.hex'));
    writeFileSync(path, fromHex(readFileSync(join(regressionDir, f), 'utf8')));
    if (KNOWN_BUGS.some((k) => k.hangs && k.files.includes(f))) continue; // would not return
    let report;
    try {
      report = await analyze(path);
    } catch (e) {
      if (isSynscopeError(e)) continue; // unreadable input: the error path is checked above
      if (KNOWN_BUGS.some((k) => k.match.test(String((e as Error).message)))) continue;
      throw e;
    }
    const check = spawnSync(process.execPath, [validator], { input: JSON.stringify(report), encoding: 'utf8' });
    const known = KNOWN_BUGS.find((k) => k.files.includes(f));
    await t.test(f, known ? { todo: `known bug ${known.id}` } : {}, () => assert.equal(check.status, 0, check.stdout + check.stderr));
  }
});
