/** Report writers: the attempt JSON written from the engine's state must mean what the report object means. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/analyze.js';
import { JsonReportWriter } from '../src/report/json-stream.js';
import type { Report } from '../src/report/model.js';
import { splitCapture } from './helpers/split.js';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

/** The report objects and the JSON document of the same analysis. */
async function both(files: string | string[]): Promise<{ report: Report; doc: { attempts: unknown[] } }> {
  const chunks: Buffer[] = [];
  const writer = new JsonReportWriter((c) => chunks.push(Buffer.from(c)));
  const report = await analyze(files, { collect: true, jsonWriter: writer });
  writer.end(report.endpoints, report.summary);
  return { report, doc: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
}

test('the JSON report parses back to the same attempts as the report objects, on every real fixture', async () => {
  let n = 0;
  for (const f of readdirSync(fixtures).filter((x) => /\.(pcap|pcapng)$/.test(x))) {
    const { report, doc } = await both(join(fixtures, f));
    assert.deepEqual(doc.attempts, JSON.parse(JSON.stringify(report.attempts)), f);
    n += report.attempts.length;
  }
  assert.ok(n > 100, `only ${n} attempts checked`);
});

test('file names that need escaping, and frames in another file, are written as the objects say', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synscope-json-'));
  const fixture = join(fixtures, 'basic-v4-client.pcap');
  // Split after the filtered attempt's first SYN: its retransmissions are in the second file.
  const at = (await analyze(fixture)).attempts.find((x) => x.verdict === 'filtered')!.frames[0];
  const a = join(dir, 'we"ird\\name\n1.pcap');
  const b = join(dir, 'b"\u00e9.pcap');
  await splitCapture(fixture, at, a, b);
  const { report, doc } = await both([a, b]);
  assert.ok(report.attempts.some((x) => x.otherFrames?.length), 'an attempt spans both files');
  assert.deepEqual(doc.attempts, JSON.parse(JSON.stringify(report.attempts)));
});
