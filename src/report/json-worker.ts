/**
 * The JSON worker (`--workers 2`): writes the attempts of the JSON report from packed records
 * (see attempt-record.ts) while the main thread goes on with the analysis. It writes to standard
 * output itself (the main thread wrote the document's head before starting it and writes its tail
 * after the last batch), so no output bytes cross between threads. Batches live in shared memory;
 * messages carry only which batch is ready and which is free again, handled in the order sent.
 */
import { writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { AttemptRow, writeAttemptJson, type FrameFiles, type ServerText } from './fields.js';
import { UnpackedAttempt } from './attempt-record.js';
import { JsonOut } from './json-out.js';

export type ToWorker =
  /** `state[id]` is 1 while batch `id` is the worker's: it stores 0 and notifies when done with it. */
  | { kind: 'batches'; shared: Array<[SharedArrayBuffer, SharedArrayBuffer]>; state: Int32Array<SharedArrayBuffer> }
  | { kind: 'files'; files: string[]; frameBase: number[] }
  /** `use` numbers the batches sent: a reply names it, so a late one for a batch since reused is ignored. */
  | { kind: 'batch'; id: number; use: number; records: number; servers: Array<[number, string, number, readonly number[]]> };

export type FromWorker =
  | { kind: 'done'; id: number; use: number }
  /** Standard output is gone (the reader closed the pipe): stop as the main thread does. */
  | { kind: 'epipe' }
  | { kind: 'failed'; message: string };

const OUT_FD = 1;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `chunk`, waiting while a non-blocking pipe is full. */
function writeAll(chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) {
    try {
      off += writeSync(OUT_FD, chunk, off, chunk.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

const port = parentPort;
if (port) {
  let ff: FrameFiles = { files: [], frameBase: [] };
  let batches: Array<{ nums: Float64Array; text: Buffer }> = [];
  let state: Int32Array<SharedArrayBuffer> = new Int32Array(new SharedArrayBuffer(4));
  /** The batch is the main thread's again: it may be waiting for it (Atomics.wait), or get the message. */
  const giveBack = (id: number): void => {
    Atomics.store(state, id, 0);
    Atomics.notify(state, id);
  };
  const servers = new Map<number, ServerText>();
  const a = new UnpackedAttempt();
  const row = new AttemptRow();
  row.a = a;
  row.c = a;
  const pos = { n: 0, t: 0 };
  const out = new JsonOut((c) => writeAll(typeof c === 'string' ? Buffer.from(c) : c), 1 << 16, true);
  let count = 0;
  port.on('message', (m: ToWorker) => {
    if (m.kind === 'batches') {
      batches = m.shared.map(([nums, text]) => ({ nums: new Float64Array(nums), text: Buffer.from(text) }));
      state = m.state;
      return;
    }
    if (m.kind === 'files') {
      ff = { files: m.files, frameBase: m.frameBase };
      return;
    }
    for (const [id, ip, p, vlans] of m.servers) servers.set(id, { ip, port: p, vlans, jsonBytes: null });
    const b = batches[m.id];
    pos.n = 0;
    pos.t = 0;
    try {
      for (let i = 0; i < m.records; i++) {
        a.unpack(b.nums, b.text, pos);
        out.ascii(count++ ? ',\n' : '\n');
        const server = servers.get(a.serverId)!;
        a.server = server;
        row.server = server;
        row.serverTtl = a.serverTtl;
        row.start = a.start;
        row.ff = ff;
        writeAttemptJson(out, row.prepare());
      }
      out.drain();
    } catch (e) {
      giveBack(m.id);
      const reply: FromWorker = (e as NodeJS.ErrnoException).code === 'EPIPE' ? { kind: 'epipe' } : { kind: 'failed', message: String((e as Error).stack ?? e) };
      port.postMessage(reply);
      return;
    }
    giveBack(m.id);
    const reply: FromWorker = { kind: 'done', id: m.id, use: m.use };
    port.postMessage(reply);
  });
}
