/**
 * Tables that fit the terminal (issue 13, item 9), through the real binary: the width comes from
 * $COLUMNS, else the terminal, else 100 columns when stdout is not a terminal (a pipe or a file);
 * addresses and ports are never cut; reasons and diagnoses wrap; with several input files the
 * frames say which file they are in.
 */
import type { Report as SynscopeReport } from '../src/report/model.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../src/capture/writer.js';
import { formatTable, wrap } from '../src/report/table.js';
import { fixture, fixture6, run } from './helpers/cli-run.js';
import { tcp6 } from './helpers/packets.js';
import { splitCapture } from './helpers/split.js';

const tmp = mkdtempSync(join(tmpdir(), 'synscope-table-'));
const cols = (columns: number | undefined) => {
  const env = { ...process.env };
  delete env.COLUMNS;
  if (columns !== undefined) env.COLUMNS = String(columns);
  return env;
};
/** The widest line, but for the summary line (`N packets, ...`), which stays whole for scripts. */
const widest = (text: string) => Math.max(...text.split('\n').filter((l) => !/^\d+ packets?[,;]/.test(l)).map((l) => [...l].length));

const CLIENT = '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff';
const SERVER = '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1';

/** Two attempts between the longest IPv6 addresses: one refused, one filtered. */
function longV6(): string {
  const w = new PcapWriter({ linkType: 1 });
  const t = 1_790_000_000;
  w.writePacket(t, 0, tcp6({ src: CLIENT, dst: SERVER, sport: 65000, dport: 8443, seq: 100, flags: 'S', ttl: 64 }));
  w.writePacket(t, 1_000_000, tcp6({ src: SERVER, dst: CLIENT, sport: 8443, dport: 65000, seq: 0, ack: 101, flags: 'RA', ttl: 64 }));
  w.writePacket(t + 1, 0, tcp6({ src: CLIENT, dst: SERVER, sport: 65001, dport: 8444, seq: 200, flags: 'S', ttl: 64 }));
  w.writePacket(t + 10, 0, tcp6({ src: CLIENT, dst: SERVER, sport: 65001, dport: 8444, seq: 200, flags: 'S', ttl: 64 }));
  const p = join(tmp, 'long-v6.pcap');
  writeFileSync(p, w.toBuffer());
  return p;
}

test('--details on 80 columns fits 80 columns (it was 185 wide)', () => {
  for (const f of [fixture, fixture6]) {
    const r = run(['analyze', f, '--details', '--no-hints'], { env: cols(80) });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(widest(r.stdout) <= 80, `${f}: ${widest(r.stdout)} columns:\n${r.stdout.split('\n').slice(0, 12).join('\n')}`);
    // Every reason is there, whole, once the wrapping is undone.
    const doc = JSON.parse(run(['analyze', f, '--format', 'json']).stdout);
    const flat = r.stdout.replace(/│/g, ' ').replace(/\s+/g, ' ');
    for (const a of doc.attempts) for (const word of a.reason.split(' ')) assert.ok(flat.includes(word), `"${word}" of "${a.reason}" missing`);
  }
});

test('long IPv6 addresses are never cut, and neither are their ports', () => {
  const p = longV6();
  for (const width of [80, 100, 250]) {
    for (const args of [['--details'], []]) {
      const r = run(['analyze', p, ...args, '--no-hints'], { env: cols(width) });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(widest(r.stdout) <= width, `${width}: ${widest(r.stdout)} columns:\n${r.stdout}`);
      assert.doesNotMatch(r.stdout, /…/);
      assert.ok(r.stdout.includes(`[${SERVER}]:8443`), r.stdout);
      assert.ok(r.stdout.includes(`[${SERVER}]:8444`), r.stdout);
      if (args.length) assert.ok(r.stdout.includes(`[${CLIENT}]:65000`), r.stdout);
    }
  }
});

test('not a terminal and no $COLUMNS: 100 columns; a wide $COLUMNS gets the wide table', () => {
  const narrow = run(['analyze', fixture, '--details', '--no-hints'], { env: cols(undefined) });
  assert.ok(widest(narrow.stdout) <= 100, `${widest(narrow.stdout)} columns`);
  const wide = run(['analyze', fixture, '--details', '--no-hints'], { env: cols(250) });
  assert.ok(widest(wide.stdout) <= 250);
  assert.match(wide.stdout, /│ flags +│ SYNs │ rtt ms │/, 'one column per fact when there is room');
});

test('several files: the frames column names the file of each frame list', async () => {
  const a = join(tmp, 'part.pcap');
  const b = join(tmp, 'part.pcap1');
  await splitCapture(fixture, 20, a, b);
  for (const width of [80, 250]) {
    const r = run(['analyze', a, b, '--details', '--no-hints'], { env: cols(width) });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(widest(r.stdout) <= width);
    // (A long path may wrap after a slash: compare without the table's spacing.)
    const flat = r.stdout.replace(/[│\s]/g, '');
    for (const f of [a, b]) assert.match(flat, new RegExp(`(frames)?${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d`), `no "${f}: frames" in:\n${r.stdout}`);
  }
  // One file: no file names in the frames.
  assert.doesNotMatch(run(['analyze', fixture, '--details', '--no-hints'], { env: cols(250) }).stdout, /basic-v4-client\.pcap:/);
});

test('wrap(): at spaces, then after commas and slashes; words that fit are never split', () => {
  assert.deepEqual(wrap('one two three', 7), ['one two', 'three']);
  assert.deepEqual(wrap('1,2,3,4,5,6,7,8', 6), ['1,2,3,', '4,5,6,', '7,8']);
  assert.deepEqual(wrap('[2001:db8::1]:443 is here', 17), ['[2001:db8::1]:443', 'is here']);
  assert.deepEqual(wrap('short', Infinity), ['short']);
});

test('formatTable(): width 0 is no limit; warnings can be left out', () => {
  const report: SynscopeReport = {
    attempts: [], endpoints: [{ server: { ip: '203.0.113.20', port: 80 }, attempts: 1, verdicts: { refused: 1 }, diagnosis: 'x '.repeat(100).trim(), diagnosisCode: 'not-listening', diagnosisCodes: ['not-listening'], hints: [], first: '', last: '' }],
    summary: { packets: 2, attempts: 1, midstream: 0, verdicts: { refused: 1 }, warnings: ['careful'], files: ['f'], handshakeTimeoutSec: 3 },
  };
  const unlimited = formatTable(report, { width: 0 });
  assert.ok(unlimited.split('\n').some((l) => l.includes('x '.repeat(100).trim())));
  assert.match(unlimited, /^warning: careful$/m);
  assert.doesNotMatch(formatTable(report, { width: 80, warnings: false }), /careful/);
  assert.match(formatTable(report, { width: 80 }), /^2 packets, 1 connection attempt: refused 1$/m);
});
