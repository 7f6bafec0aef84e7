/**
 * Writes the contract's JSON document while the analysis runs: the attempts array grows as final
 * reports arrive, endpoints and summary close it. Output goes out as UTF-8 in large chunks.
 */
import { Worker } from 'node:worker_threads';
import type { Attempt } from '../handshake/attempt.js';
import { AttemptRow, writeAttemptJson, type FrameFiles, type ServerText } from './fields.js';
import { connFields } from './conn.js';
import { RecordBatch } from './attempt-record.js';
import type { FromWorker, ToWorker } from './json-worker.js';
import { JsonOut, type ChunkSink } from './json-out.js';
import type { EndpointReport, Summary } from './model.js';

const HEAD = '{\n"attempts": [';

/** The document after its `count` attempts. */
function tail(count: number, endpoints: EndpointReport[], summary: Summary): string {
  return `${count ? '\n' : ''}],\n"endpoints": ${JSON.stringify(endpoints, null, 2)},\n"summary": ${JSON.stringify(summary, null, 2)}\n}\n`;
}

/** Where the analysis writes each attempt's final report (see Analysis, `jsonWriter`). */
/**
 * Input size from which `--workers auto` starts the JSON writer thread: starting it costs about
 * 30 ms, which a 20 MB capture does not win back (bench/RESULTS.md).
 */
export const AUTO_WORKERS_MIN_BYTES = 64 * 1024 * 1024;

/**
 * Threads that write the JSON report: `auto` takes two on a machine with at least two CPUs when
 * the input is large; one for a small input or one of unknown size (standard input).
 */
export function jsonThreads(choice: 'auto' | '1' | '2', inputBytes: number | null, cpus: number): 1 | 2 {
  if (choice !== 'auto') return choice === '2' ? 2 : 1;
  return cpus >= 2 && inputBytes !== null && inputBytes >= AUTO_WORKERS_MIN_BYTES ? 2 : 1;
}

export interface AttemptJsonSink {
  attemptFrom(a: Attempt, server: ServerText, serverTtl: number, start: string, ff: FrameFiles): void;
}

export class JsonReportWriter implements AttemptJsonSink {
  private readonly out: JsonOut;
  private count = 0;
  private readonly row = new AttemptRow();

  /** `write` gets strings or byte chunks (UTF-8), each once, in order. */
  constructor(write: ChunkSink) {
    this.out = new JsonOut(write);
    this.out.ascii(HEAD);
  }

  /** An attempt, written straight from the engine's state (see writeAttemptJson). */
  attemptFrom(a: Attempt, server: ServerText, serverTtl: number, start: string, ff: FrameFiles): void {
    this.out.ascii(this.count++ ? ',\n' : '\n');
    const r = this.row;
    r.a = a;
    r.c = connFields(a);
    r.server = server;
    r.serverTtl = serverTtl;
    r.start = start;
    r.ff = ff;
    writeAttemptJson(this.out, r.prepare());
  }

  end(endpoints: EndpointReport[], summary: Summary): void {
    this.out.text(tail(this.count, endpoints, summary));
    this.out.drain();
  }
}

/**
 * The same document, with the attempts written by a worker thread (`--workers 2`): the main thread
 * packs each attempt into a batch in shared memory (see attempt-record.ts) and goes on with the
 * analysis while the worker writes the batch's JSON to standard output. The head of the document
 * is written before the first batch goes to the worker, the tail after it has finished the last. When every
 * batch is out, `room()` makes reading wait for the worker, as it waits for a slow stdout.
 */
export class ParallelJsonReportWriter implements AttemptJsonSink {
  private readonly worker: Worker;
  /** Every batch, by id. */
  private readonly all: RecordBatch[] = [];
  private readonly free: RecordBatch[] = [];
  /** Batches with the worker, in the order sent (the order it finishes them). */
  private readonly queue: RecordBatch[] = [];
  /** Shared with the worker: 1 while a batch is its (see ToWorker). */
  private readonly state = new Int32Array(new SharedArrayBuffer(4 * BATCHES));
  private batch: RecordBatch;
  private inFlight = 0;
  private uses = 0;
  private count = 0;
  private nextServer = 0;
  private readonly serverIds = new WeakMap<ServerText, number>();
  private filesSent = 0;
  private failure: Error | null = null;
  private waiting: (() => void) | null = null;
  /** The document's head is written with the first batch (an input error before it leaves stdout empty). */
  private headWritten = false;

  /**
   * `write` must be synchronous for the head and tail (process.stdout on Linux is, for files and
   * pipes): the worker writes to the same file descriptor in between.
   */
  constructor(private readonly write: ChunkSink, onPipeClosed: () => void) {
    for (let i = 0; i < BATCHES; i++) this.all.push(new RecordBatch(i));
    this.free.push(...this.all.slice(1));
    this.batch = this.all[0];
    this.worker = new Worker(new URL('./json-worker.js', import.meta.url));
    const init: ToWorker = { kind: 'batches', shared: this.all.map((b) => [b.numsShared, b.textShared]), state: this.state };
    this.worker.postMessage(init);
    this.worker.on('message', (m: FromWorker) => {
      if (m.kind === 'epipe') onPipeClosed();
      else if (m.kind === 'failed') this.failure = new Error(`the JSON worker failed: ${m.message}`);
      // (A batch taken back while the main thread waited may be out again, on a later use.)
      else if (this.all[m.id].out && this.all[m.id].use === m.use) this.returned(this.all[m.id]);
      this.wake();
    });
    this.worker.on('error', (e) => { this.failure = e; this.wake(); });
    // Keeps the process alive only while batches are out (an error elsewhere must not hang it).
    this.worker.unref();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  attemptFrom(a: Attempt, server: ServerText, serverTtl: number, start: string, ff: FrameFiles): void {
    if (ff.files.length !== this.filesSent) {
      this.send();
      this.filesSent = ff.files.length;
      const m: ToWorker = { kind: 'files', files: [...ff.files], frameBase: [...ff.frameBase] };
      this.worker.postMessage(m);
    }
    // (A rate-limited rejection quotes its neighbours' ICMP sender without an ICMP of its own.)
    const sender = a.icmpSender !== null ? a.icmpSenderIp() : '';
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const c = connFields(a);
    const textMax = 3 * (a.history.length + start.length + sender.length + c.end.length + c.uid.length + c.connState.length + c.zeekHistory.length);
    if (!this.batch.fits(a, textMax)) this.send();
    let id = this.serverIds.get(server);
    if (id === undefined) {
      this.serverIds.set(server, (id = this.nextServer++));
      this.batch.servers.push([id, server.ip, server.port, server.vlans]);
    }
    this.batch.pack(a, id, serverTtl, start, sender, c);
    this.count++;
  }

  /**
   * Hands the batch being filled to the worker. With none free (the worker is behind and reading
   * did not wait: a flood decided at once), the next attempts go into a new batch.
   */
  private send(): void {
    const b = this.batch;
    if (b.records === 0 && b.servers.length === 0) return;
    b.use = ++this.uses;
    const m: ToWorker = { kind: 'batch', id: b.id, use: b.use, records: b.records, servers: b.servers };
    this.head();
    b.out = true;
    Atomics.store(this.state, b.id, 1);
    this.queue.push(b);
    this.worker.postMessage(m);
    if (this.inFlight++ === 0) this.worker.ref();
    this.batch = this.free.pop() ?? this.reclaim();
  }

  /**
   * Every batch is out (the worker is behind and reading did not wait: a flood decided at once):
   * the thread waits for the worker to finish the oldest, so memory stays bounded.
   */
  private reclaim(): RecordBatch {
    const b = this.queue[0];
    for (let waited = 0; Atomics.load(this.state, b.id) !== 0; waited++) {
      if (waited >= 60) throw new Error('the JSON worker stopped answering (no batch finished in 60 s)');
      Atomics.wait(this.state, b.id, 1, 1000);
    }
    this.returned(b);
    return this.free.pop()!;
  }

  /** The worker is done with the batch: it takes attempts again. */
  private returned(b: RecordBatch): void {
    b.out = false;
    const i = this.queue.indexOf(b);
    if (i >= 0) this.queue.splice(i, 1);
    b.clear();
    this.free.push(b);
    if (--this.inFlight === 0) this.worker.unref();
  }

  private head(): void {
    if (this.headWritten) return;
    this.headWritten = true;
    this.write(HEAD);
  }

  /** Resolves when the worker has caught up enough (null: it has). */
  room(): Promise<void> | null {
    if (this.failure) throw this.failure;
    if (this.free.length > 0) return null;
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  async end(endpoints: EndpointReport[], summary: Summary): Promise<void> {
    this.send();
    while (this.inFlight > 0 && !this.failure) await new Promise<void>((resolve) => { this.waiting = resolve; });
    await this.worker.terminate();
    if (this.failure) throw this.failure;
    this.head();
    this.write(tail(this.count, endpoints, summary));
  }
}

/** Shared batches (about 768 KB each, some 1,500 attempts). */
const BATCHES = 4;
