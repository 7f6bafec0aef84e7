/**
 * Every real-kernel capture in fixtures/ (made by fixtures/make-fixtures.sh inside network
 * namespaces) against the expected verdicts written beside it, through the library API and
 * through the CLI's JSON and NDJSON output checked by the shared contract validator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/analyze.js';
import { compareExpect, parseExpect } from '../src/report/expect.js';
import { VERDICTS } from '../src/model/verdict.js';
import { DIAGNOSIS_CODES } from '../src/report/model.js';
import { RULES } from '../src/verdict/rules.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(root, 'fixtures');
const bin = join(root, 'bin', 'synscope.js');
const validator = resolve(root, '..', 'shared', 'validate-contract.mjs');

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...captures(p));
    else if (/\.(pcap|pcapng)(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

const all = captures(fixtures);
const withExpect = all.filter((f) => existsSync(`${f}.expect`));

test('there are real-kernel fixtures with expected verdicts', () => {
  assert.ok(withExpect.length >= 6, `only ${withExpect.length} fixtures with .expect files`);
});

for (const f of withExpect) {
  const name = f.slice(fixtures.length + 1);
  test(`verdicts of ${name} match ${name}.expect`, async () => {
    const expected = parseExpect(readFileSync(`${f}.expect`, 'utf8'), `${f}.expect`);
    const report = await analyze(f);
    const diffs = compareExpect(expected, report.attempts);
    assert.deepEqual(diffs, [], diffs.join('\n'));
    assert.equal(report.attempts.length, expected.length);
    for (const a of report.attempts) {
      assert.ok(a.frames.length > 0 && a.frames.every((n) => Number.isInteger(n) && n >= 1));
      assert.ok(a.reason.length > 10 && !a.reason.includes('\n'));
      // The stable code names the rule that gave this very verdict.
      assert.equal(RULES.find((r) => r.id === a.reasonCode)?.verdict, a.verdict, `reasonCode ${a.reasonCode} for ${a.verdict}`);
    }
    for (const e of report.endpoints) {
      assert.ok(e.diagnosisCodes.length > 0 && e.diagnosisCodes.every((c) => (DIAGNOSIS_CODES as readonly string[]).includes(c)), e.diagnosisCodes.join());
      assert.equal(e.diagnosisCode, e.diagnosisCodes[0]);
    }
  });
}

test('every verdict and contract flag appears in at least one real-kernel fixture', async () => {
  const seenV = new Set<string>();
  const seenF = new Set<string>();
  for (const f of withExpect) {
    const r = await analyze(f);
    for (const a of r.attempts) { seenV.add(a.verdict); a.flags.forEach((x) => seenF.add(x)); }
  }
  const missingV = VERDICTS.filter((v) => !seenV.has(v));
  const missingF = ['syn-retransmit', 'synack-retransmit', 'backlog-drop', 'ttl-mismatch', 'port-reuse', 'truncated'].filter((x) => !seenF.has(x));
  assert.deepEqual({ missingV, missingF }, { missingV: [], missingF: [] });
});

const haveValidator = existsSync(validator);
for (const f of all) {
  const name = f.slice(fixtures.length + 1);
  for (const form of ['json', 'ndjson'] as const) {
    test(`${name}: --format ${form} passes the contract validator`, { skip: haveValidator ? false : `no ${validator} (the shared contract checker sits beside the repository in CI)` }, () => {
      const run = spawnSync(process.execPath, [bin, 'analyze', f, '--format', form], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.equal(run.status, 0, run.stderr);
      const check = spawnSync(process.execPath, [validator, ...(form === 'ndjson' ? ['--ndjson'] : [])], { input: run.stdout, encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /^contract ok/);
    });
  }
}

test('diagnoses from real captures: restart, one-address bind, backlog, forged reset, REJECT at a router', async () => {
  const diag = async (file: string, port: number) => {
    const r = await analyze(join(fixtures, file));
    const e = r.endpoints.find((x) => x.server.port === port);
    assert.ok(e, `${file}: no endpoint on port ${port}`);
    return e;
  };
  for (const side of ['v4-client', 'v6-client', 'v4-server', 'v6-server']) {
    const restart = await diag(`listener-restart-${side}.pcap`, 9100);
    assert.match(restart.diagnosis, /listener went away between .* and came back/);
    assert.equal(restart.diagnosisCode, 'listener-changed');
    const bind = await analyze(join(fixtures, `listener-bind-${side}.pcap`));
    assert.ok(bind.endpoints.some((e) => /answers on .* but refuses on .*bound to one address/.test(e.diagnosis)), `${side}: ${bind.endpoints.map((e) => e.diagnosis)}`);
    const slow = await analyze(join(fixtures, `listener-slow-${side}.pcap`));
    assert.ok(slow.attempts.some((a) => a.verdict === 'established' && a.flags.includes('backlog-drop')), `${side}: no established attempt delayed by the backlog`);
  }
  const forged = await diag('basic-v4-client.pcap', 8086);
  assert.match(forged.diagnosis, /reset forged by a device 1 hop before the server/);
  assert.deepEqual(forged.diagnosisCodes, ['forged-reset']);
  assert.ok(forged.hints.some((h) => h.startsWith('traceroute -T -p 8086 203.0.113.20')));
  assert.match((await diag('basic-v4-client.pcap', 8085)).diagnosis, /REJECT rule at 198\.51\.100\.1 \(host-prohibited\)/);
  assert.match((await diag('basic-v4-client.pcap', 8083)).diagnosis, /REJECT rule at 203\.0\.113\.20 \(port-unreach, the server itself\)/);
  const backlog = await diag('backlog-synq-v4-client.pcap', 9001);
  assert.match(backlog.diagnosis, /listen backlog overflow/);
  assert.ok(backlog.diagnosisCodes.includes('backlog-overflow'), backlog.diagnosisCodes.join());
  assert.ok(backlog.hints.some((h) => h.includes('TcpExtListenOverflows')));
  assert.ok(backlog.hints.some((h) => h.includes('net.core.somaxconn')));
});
