/**
 * `analyze FILE... -w OUT --verdict LIST` through the real binary: the written capture holds the
 * matching attempts' packets, byte for byte and in capture order with their timestamps and link
 * type; analysed again it gives the same verdicts for them and no other attempt; pcapng packets
 * name their original file and frame; bad values and unusable inputs are one line each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { readCapture } from '../src/capture/reader.js';
import { PcapWriter } from '../src/capture/writer.js';
import { ethernet, ipTcp } from './helpers/packets.js';
import { json, oneLine, root, run } from './helpers/cli-run.js';

const tmp = mkdtempSync(join(tmpdir(), 'synscope-extract-'));
const basic = 'fixtures/basic-v4-client.pcap';

interface Packet { sec: number; nsec: number; data: string; linkType: number; frame: number }

async function packets(file: string): Promise<Packet[]> {
  const out: Packet[] = [];
  await readCapture(isAbsolute(file) ? file : join(root, file), (r) => {
    out.push({ sec: r.tsSec, nsec: r.tsNsec, data: r.buf.subarray(r.off, r.off + r.caplen).toString('hex'), linkType: r.linkType, frame: r.frame });
  });
  return out;
}

const key = (a: Record<string, any>) => `${a.client.ip}:${a.client.port} ${a.server.ip}:${a.server.port} ${a.isn}`;

test('the refused, filtered and rejected attempts of a capture, and nothing else: same verdicts analysed again, frames named in pcapng comments', async () => {
  const out = join(tmp, 'evidence.pcapng');
  const r = run(['analyze', basic, '-w', out, '--verdict', 'refused,filtered,rejected', '-F', 'json']);
  const before = json(r).attempts;
  assert.match(r.stderr, /^synscope: wrote 15 packets of 7 attempts \(refused 3, filtered 1, rejected 3\) to .*evidence\.pcapng \(pcapng\)\n$/);
  const wanted = before.filter((a) => ['refused', 'filtered', 'rejected'].includes(a.verdict));
  const after = json(run(['analyze', out, '-F', 'json'])).attempts;
  assert.deepEqual(after.map(key), wanted.map(key), 'the matching attempts, and only them');
  assert.deepEqual(after.map((a) => a.verdict), wanted.map((a) => a.verdict));
  assert.deepEqual(after.map((a) => [a.synCount, a.origPkts, a.respPkts, a.zeek.connState]), wanted.map((a) => [a.synCount, a.origPkts, a.respPkts, a.zeek.connState]));
  // Every packet is an original one, in order, with its timestamp, and its comment names it.
  const orig = await packets(basic);
  const got = await packets(out);
  const bytes = readFileSync(out).toString('latin1');
  const comments = [...bytes.matchAll(/synscope: fixtures\/basic-v4-client\.pcap frame (\d+)/g)].map((m) => Number(m[1]));
  assert.equal(comments.length, got.length);
  assert.deepEqual(comments, [...comments].sort((x, y) => x - y), 'capture order');
  for (const [i, p] of got.entries()) {
    const o = orig[comments[i] - 1];
    assert.deepEqual([p.sec, p.nsec, p.data, p.linkType], [o.sec, o.nsec, o.data, o.linkType], `packet ${i + 1} = frame ${comments[i]}`);
  }
  // The frames each attempt's report cites are in the file (the evidence is complete).
  const cited = new Set(wanted.flatMap((a) => a.frames));
  for (const f of cited) assert.ok(comments.includes(f), `frame ${f} missing`);
});

test('classic pcap: the input\'s link type and timestamps; without --verdict, every attempt that did not simply work', async () => {
  const out = join(tmp, 'failing.pcap');
  const r = run(['analyze', basic, '-w', out, '-F', 'json']);
  const before = json(r).attempts;
  assert.match(r.stderr, /\(pcap\)\n$/);
  const head = readFileSync(out);
  const src = readFileSync(join(root, basic));
  assert.equal(head.readUInt32LE(20), src.readUInt32LE(20), 'link type');
  const after = json(run(['analyze', out, '-F', 'json'])).attempts;
  assert.deepEqual(after.map(key), before.filter((a) => a.verdict !== 'established').map(key));
  const orig = new Map((await packets(basic)).map((p) => [p.data, p]));
  for (const p of await packets(out)) {
    const o = orig.get(p.data);
    assert.ok(o, 'an original packet');
    assert.deepEqual([p.sec, p.nsec], [o.sec, o.nsec]);
  }
});

test('a verdict that rests on other connections keeps its context when they are extracted too', () => {
  // backlog-drop: the listener answered other handshakes meanwhile (the established ones).
  const file = 'fixtures/backlog-synq-v4-client.pcap';
  const out = join(tmp, 'backlog.pcapng');
  const before = json(run(['analyze', file, '-w', out, '--verdict', 'backlog-drop,established', '-F', 'json'])).attempts;
  const after = json(run(['analyze', out, '-F', 'json'])).attempts;
  assert.deepEqual(after.map((a) => [key(a), a.verdict]), before.map((a) => [key(a), a.verdict]));
  assert.ok(after.some((a) => a.verdict === 'backlog-drop'));
});

test('bad --verdict values, --verdict without -w, standard input, the input as output, and mixed link types into pcap: one line each', () => {
  oneLine(run(['analyze', basic, '-w', join(tmp, 'x.pcapng'), '--verdict', 'refused,nope']), /--verdict: "nope" is not a verdict \(established, refused/);
  oneLine(run(['analyze', basic, '--verdict', 'refused']), /--verdict chooses the attempts -w writes/);
  oneLine(run(['analyze', '-', '-w', join(tmp, 'x.pcapng')], { input: readFileSync(join(root, basic)) }), /standard input cannot be; save the capture to a file first/);
  oneLine(run(['analyze', basic, '-w', basic]), /is an input of the analysis; write the evidence to another file/);
  oneLine(run(['analyze', basic, '-w', join(tmp, 'no', 'such', 'x.pcap')]), /cannot write the evidence capture \(its folder does not exist\)/);
  const raw = join(tmp, 'raw.pcap');
  const eth = join(tmp, 'eth.pcap');
  const w1 = new PcapWriter({ linkType: 101 });
  w1.writePacket(1_790_000_000, 0, ipTcp({ src: '198.51.100.1', dst: '203.0.113.1', sport: 40000, dport: 80, seq: 1, flags: 'S' }));
  writeFileSync(raw, w1.toBuffer());
  const w2 = new PcapWriter({ linkType: 1 });
  w2.writePacket(1_790_000_001, 0, ethernet({}, ipTcp({ src: '198.51.100.2', dst: '203.0.113.1', sport: 40000, dport: 80, seq: 1, flags: 'S' })));
  writeFileSync(eth, w2.toBuffer());
  oneLine(run(['analyze', raw, eth, '-w', join(tmp, 'mixed.pcap')]), /several link types .* which a classic pcap cannot hold; write .*mixed\.pcapng instead/);
  const mixed = join(tmp, 'mixed.pcapng');
  const ok = run(['analyze', raw, eth, '-w', mixed, '--verdict', 'incomplete', '-F', 'json']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(json(run(['analyze', mixed, '-F', 'json'])).attempts.length, 2);
});
