/** The real binary: exit statuses, one-line errors without stack traces, --fail-on, --expect. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'synscope.js');
const fixture = join(root, 'fixtures', 'basic-v4-client.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'synscope-cli-'));

function run(args: string[], input?: Buffer | string) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, cwd: root });
}

function oneLineError(r: ReturnType<typeof run>, pattern: RegExp): void {
  assert.equal(r.status, 2, `exit status ${r.status}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], /^synscope: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('analyze prints the endpoint table, exits 0', () => {
  const r = run(['analyze', fixture]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /203\.0\.113\.20:8081/);
  assert.match(r.stdout, /nothing listening/);
  assert.match(r.stdout, /ss -ltnp 'sport = :8081'/);
});

test('--fail-on exits 1 when a verdict matches, 0 when none does', () => {
  assert.equal(run(['analyze', fixture, '--fail-on', 'refused', '--format', 'json']).status, 1);
  assert.equal(run(['analyze', fixture, '--fail-on', 'backlog-drop', '--format', 'json']).status, 0);
  oneLineError(run(['analyze', fixture, '--fail-on', 'nope']), /"nope" is not a verdict/);
});

test('--write-expect then --expect round-trips; a changed expectation exits 1 with a diff', () => {
  const exp = join(tmp, 'x.expect');
  assert.equal(run(['analyze', fixture, '--write-expect', exp, '--format', 'json']).status, 0);
  const ok = run(['analyze', fixture, '--expect', exp]);
  assert.equal(ok.status, 0, ok.stderr);
  const text = readFileSync(exp, 'utf8').replace(/(:8081 )refused/, '$1filtered');
  writeFileSync(exp, text);
  const bad = run(['analyze', fixture, '--expect', exp]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /expected filtered, got refused/);
});

test('standard input and gzip are read', () => {
  const gz = gzipSync(readFileSync(fixture));
  const r = run(['analyze', '-', '--format', 'json'], gz);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.summary.attempts, 13);
});

test('user errors: one line naming the file, exit 2, no stack trace', () => {
  oneLineError(run(['analyze', join(tmp, 'missing.pcap')]), /missing\.pcap: no such file/);
  const junk = join(tmp, 'junk.pcap');
  writeFileSync(junk, 'hello, this is not a capture');
  oneLineError(run(['analyze', junk]), /junk\.pcap: byte 0: not a pcap or pcapng capture/);
  const empty = mkdtempSync(join(tmpdir(), 'synscope-empty-'));
  oneLineError(run(['info', empty]), /directory holds no pcap or pcapng capture/);
  const short = join(tmp, 'short.pcap');
  writeFileSync(short, readFileSync(fixture).subarray(0, 10));
  oneLineError(run(['analyze', short]), /short\.pcap: byte 0: file ends inside the capture header/);
  oneLineError(run(['analyze', fixture, '--handshake-timeout', 'abc']), /--handshake-timeout/);
  oneLineError(run(['analyze', fixture, '--port', '99999']), /--port/);
  const badExpect = join(tmp, 'bad.expect');
  writeFileSync(badExpect, '1.2.3.4:1 5.6.7.8:2 maybe\n');
  oneLineError(run(['analyze', fixture, '--expect', badExpect]), /bad\.expect: line 1: "maybe" is not a verdict/);
  const usage = run(['analyze']);
  assert.equal(usage.status, 2);
  assert.doesNotMatch(usage.stderr, /\n\s+at /);
});

test('a capture cut off mid-record is analysed up to the cut, with a warning, exit 0', () => {
  const cut = join(tmp, 'cut.pcap');
  const bytes = readFileSync(fixture);
  writeFileSync(cut, bytes.subarray(0, bytes.length - 30));
  const r = run(['analyze', cut, '--format', 'json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.ok(doc.summary.attempts >= 12);
  assert.ok(doc.summary.warnings.some((w: string) => /cut\.pcap: byte \d+: the file ends inside a record/.test(w)));
});

test('host and port focus options', () => {
  const r = run(['analyze', fixture, '--port', '8081', '--format', 'json']);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.attempts.length, 3);
  assert.ok(doc.attempts.every((a: { server: { port: number } }) => a.server.port === 8081));
  copyFileSync(fixture, join(tmp, 'copy.pcap'));
  const h = JSON.parse(run(['analyze', join(tmp, 'copy.pcap'), '--host', '203.0.113.99', '--format', 'json']).stdout);
  assert.equal(h.attempts.length, 1);
});

test('nothing on stderr when stderr is not a terminal; --quiet is accepted', () => {
  const r = run(['analyze', fixture, '--format', 'json']);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
  assert.equal(run(['analyze', fixture, '--quiet']).status, 0);
});
