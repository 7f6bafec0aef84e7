/** Running the real binary (`node bin/synscope.js ...`) from tests, and what its output must look like. */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const bin = join(root, 'bin', 'synscope.js');
export const fixture = join(root, 'fixtures', 'basic-v4-client.pcap');
export const fixture6 = join(root, 'fixtures', 'basic-v6-client.pcap');
export const STACK = /\n\s+at /;

export type Run = SpawnSyncReturns<string>;

export function run(args: string[], o: { input?: Buffer | string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Run {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input: o.input ?? '', cwd: o.cwd ?? root, env: o.env ?? process.env, timeout: 60_000, maxBuffer: 64 << 20 });
}

/** An environment in which `live` and `devices` cannot load cap: option parsing is all they get to. */
export function noCapEnv(): NodeJS.ProcessEnv {
  return { ...process.env, SYNSCOPE_CAP_MODULE: join(root, 'no-such-cap-module') };
}

/** Exit 2, exactly one line on stderr starting with `synscope: ` and matching `re`, nothing on stdout, no stack trace. */
export function oneLine(r: Run, re: RegExp): void {
  assert.equal(r.status, 2, `exit status ${r.status}; stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, STACK, 'a stack trace for a user error');
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  assert.equal(lines.length, 1, `one line on stderr expected, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^synscope: /);
  assert.doesNotMatch(lines[0]!, /^synscope: error:|internal error/);
  assert.match(lines[0]!, re);
  assert.equal(r.stdout, '', 'nothing on stdout for a usage error');
}

/** The JSON document of a successful `--format json` run. */
export function json(r: Run): { attempts: Array<Record<string, any>>; endpoints: Array<Record<string, any>>; summary: Record<string, any> } {
  assert.equal(r.status, 0, `exit status ${r.status}; stderr: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
