/**
 * A report piped into a slow reader: the analysis waits for the reader instead of queueing the
 * report in memory, and every line arrives. (The end of a SYN flood reports every attempt still
 * open at once; queued, a million lines made libuv fail with ENOBUFS and the report was cut, exit 0.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from '../bench/generate.js';
import { bin } from './helpers/cli-run.js';

/**
 * The system call the process's main thread is in and its first argument, from /proc (x86-64
 * numbers: 1 is write(2)); null where /proc does not say (no permission, not running).
 */
function currentSyscall(pid: number): { nr: number; arg0: number } | null {
  try {
    const f = readFileSync(`/proc/${pid}/syscall`, 'utf8').trim().split(/\s+/);
    if (!/^\d+$/.test(f[0])) return null;
    return { nr: Number(f[0]), arg0: Number(f[1]) };
  } catch {
    return null;
  }
}

test('ndjson into a pipe nobody reads for a while: the analysis waits, then every line arrives', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synscope-pipe-'));
  try {
    const file = join(dir, 'flood.pcap');
    const truth = generate({ out: file, synFlood: 60_000, seed: 3, quiet: true });
    const child = spawn(process.execPath, [bin, 'analyze', '-q', '-F', 'ndjson', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    const stop = setTimeout(() => child.kill(), 60_000);
    try {
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // Nothing reads the report for 2 s: the 40 MB of lines cannot fit in a pipe, so the analysis
    // must be waiting in write(2) on standard output, not in its event loop with the lines queued.
    await sleep(2000);
    const call = currentSyscall(child.pid!);
    const x64 = process.arch === 'x64';
    if (call && x64) assert.deepEqual(call, { nr: 1, arg0: 1 }, 'the analysis waits in write(1, ...)');
    else if (process.env.CI === 'true' && x64) assert.fail(`/proc/${child.pid}/syscall is not readable`);
    let lines = 0;
    let tail = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = tail + d.toString();
      const cut = text.lastIndexOf('\n');
      lines += text.slice(0, cut + 1).split('\n').length - 1;
      tail = text.slice(cut + 1);
    });
    child.stdout.resume();
    const code = await new Promise<number | null>((done) => child.on('close', done));
    assert.equal(stderr, '');
    assert.equal(code, 0);
    assert.equal(tail, '', 'the last line is whole');
    // A line per attempt, per endpoint and the summary.
    assert.ok(lines > truth.attempts, `${lines} lines for ${truth.attempts} attempts`);
    } finally {
      clearTimeout(stop);
      child.kill();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
