/**
 * The output-format registry (src/output/formats.ts): both commands take their --format choices
 * and help from it, and a format opened through the library writes what the command writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyze } from '../src/analyze.js';
import { formatNames, OUTPUT_FORMATS, openFormat, verdictLine, type OutputTarget } from '../src/output/formats.js';
import { fixture, root, run } from './helpers/cli-run.js';

const icmp = join(root, 'fixtures', 'icmprate-v4-client.pcap');

test('analyze and live offer exactly the registry\'s formats, and say what each is in --help', () => {
  for (const command of ['analyze', 'live'] as const) {
    const help = run([command, '--help']).stdout.replace(/\s+/g, ' ');
    const names = formatNames(command);
    assert.match(help, new RegExp(`\\(choices: ${names.map((n) => `"${n}"`).join(', ')}, default: "table"\\)`));
    for (const f of OUTPUT_FORMATS.filter((x) => x.commands.includes(command))) assert.ok(help.includes(f.help), `${command} --help: ${f.help}`);
  }
  assert.deepEqual(formatNames('live'), ['table', 'json', 'ndjson', 'zeek', 'zeek-json']);
  assert.ok(formatNames('analyze').includes('html'));
});

test('a format live does not offer is a one-line usage error there', () => {
  const r = run(['live', '-i', 'lo', '-F', 'html']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /argument 'html' is invalid\. Allowed choices are table, json, ndjson, zeek, zeek-json/);
});

/** Runs the library's analyze() into the named format and returns what it wrote. */
async function throughLibrary(name: string, file: string, streaming = false): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const target: OutputTarget = {
    command: 'analyze', streaming, hints: true, width: 100,
    write: (c) => { out += typeof c === 'string' ? c : Buffer.from(c).toString('utf8'); },
    stderr: (t) => { err += t; },
  };
  const sink = openFormat(name, target);
  const report = await analyze(file, { ...sink.hooks, collect: false });
  await sink.end(report, {});
  return { out, err };
}

for (const name of ['table', 'json', 'ndjson', 'zeek', 'zeek-json']) {
  test(`-F ${name}: the library's sink writes what synscope analyze writes`, async () => {
    const cli = run(['analyze', '-q', '-F', name, icmp], { env: { ...process.env, COLUMNS: '100', TZ: 'UTC' } });
    assert.equal(cli.status, 0, cli.stderr);
    const lib = await throughLibrary(name, icmp);
    assert.equal(lib.out, cli.stdout);
    assert.equal(lib.err, cli.stderr);
  });
}

test('ndjson while streaming (live, pipes) writes attempts when first decided; from a file once, final', async () => {
  const file = await throughLibrary('ndjson', fixture, false);
  const live = await throughLibrary('ndjson', fixture, true);
  const attempts = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((o) => o.type === 'attempt');
  assert.ok(attempts(file.out).length > 0);
  // basic-v4-client has no revision: the same attempts, in the order they were decided.
  assert.deepEqual(attempts(live.out).map((a) => a.verdict).sort(), attempts(file.out).map((a) => a.verdict).sort());
});

test('live\'s table writes a verdict line per decision, and the tables and the capture line at the end', async () => {
  let out = '';
  const sink = openFormat('table', { command: 'live', streaming: true, hints: false, width: 100, write: (c) => { out += String(c); }, stderr: () => {} });
  assert.ok(sink.hooks.onAttempt && sink.hooks.onRevision);
  const report = await analyze(fixture, { ...sink.hooks, collect: true });
  await sink.end(report, { trailer: 'capture: 9 packets captured on lo\n' });
  const lines = out.split('\n');
  const verdictLines = lines.filter((l) => /^\d\d:\d\d:\d\d\.\d{3} {2}\S+ -> \S+ +[a-z-]+ {2}/.test(l));
  assert.equal(verdictLines.length, report.attempts.length);
  assert.ok(out.includes('refused'));
  assert.ok(out.endsWith('capture: 9 packets captured on lo\n'));
  assert.match(verdictLine(report.attempts[0], 47, 'filtered'), /\(was filtered\) /);
});

test('--fail-on and --verdict check verdict names the same way in both commands, listing every verdict', () => {
  const list = 'established, refused, forged-reset, rejected, unreachable, filtered, backlog-drop, aborted, incomplete';
  for (const args of [['analyze', fixture, '--fail-on', 'refused,nope'], ['live', '-i', 'lo', '--fail-on', 'refused,nope'], ['analyze', fixture, '-w', '/tmp/x.pcapng', '--verdict', 'nope']]) {
    const r = run(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, `synscope: ${args.includes('--verdict') ? '--verdict' : '--fail-on'}: "nope" is not a verdict (${list})\n`);
  }
});
