/**
 * `--format zeek` and `--format zeek-json` through the real binary: Zeek's header lines in
 * Zeek's form, its field names and types, columns read by name as zeek-cut reads them, and on
 * every fixture a conn_state and history that say what Zeek's documentation of them says (the
 * letters the state rests on are there), per verdict; the packet and IP byte counts against
 * tshark where it is installed; crafted captures for the states the fixtures do not hold
 * (RSTOS0, S3, OTH). Zeek itself is not a Debian package here, so its documentation is the oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RULES } from '../src/verdict/rules.js';
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../src/capture/writer.js';
import { capAvailable } from '../src/capture/live.js';
import { ipTcp } from './helpers/packets.js';
import { bin, json, noCapEnv, root, run } from './helpers/cli-run.js';

const tmp = mkdtempSync(join(tmpdir(), 'synscope-zeek-'));
const utc = { ...process.env, TZ: 'UTC' };
const basic = 'fixtures/basic-v4-client.pcap';

const FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes',
  'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents',
  'ip_proto', 'vlan', 'inner_vlan', 'verdict', 'flags', 'reason', 'reason_code'];
const TYPES = ['time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count', 'string', 'bool', 'bool', 'count',
  'string', 'count', 'count', 'count', 'count', 'set[string]', 'count', 'int', 'int', 'string', 'set[string]', 'string', 'string'];

type Row = Record<string, string>;

/** What zeek-cut does: the #fields line names the columns; rows are read by name. */
function zeekCut(text: string): { header: string[]; rows: Row[]; trailer: string[] } {
  const lines = text.replace(/\n$/, '').split('\n');
  const header = lines.filter((l, i) => l.startsWith('#') && i < 8);
  const trailer = lines.filter((l, i) => l.startsWith('#') && i >= 8);
  const fields = header.find((l) => l.startsWith('#fields\t'))!.split('\t').slice(1);
  const rows = lines.filter((l) => !l.startsWith('#')).map((l) => {
    const cols = l.split('\t');
    assert.equal(cols.length, fields.length, `a row with ${cols.length} columns for ${fields.length} fields: ${l}`);
    return Object.fromEntries(fields.map((f, i) => [f, cols[i]]));
  });
  return { header, rows, trailer };
}

function zeek(file: string, format = 'zeek'): string {
  const r = run(['analyze', file, '-F', format], { env: utc });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('the header lines are Zeek\'s, in its order and form, and #close ends the log', () => {
  const { header, rows, trailer } = zeekCut(zeek(basic));
  assert.deepEqual(header.slice(0, 5), ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn']);
  // The capture's first row, in local time (TZ=UTC here), as Zeek's %Y-%m-%d-%H-%M-%S.
  assert.equal(header[5], '#open\t2026-11-22-01-17-28');
  assert.deepEqual(header[6].split('\t'), ['#fields', ...FIELDS]);
  assert.deepEqual(header[7].split('\t'), ['#types', ...TYPES]);
  assert.deepEqual(trailer, ['#close\t2026-11-22-01-17-43']);
  assert.equal(rows.length, 13);
  // The same capture, the same bytes: uids are derived from the attempts.
  assert.equal(zeek(basic), zeek(basic));
  const uids = rows.map((r) => r.uid);
  assert.equal(new Set(uids).size, uids.length);
  for (const u of uids) assert.match(u, /^C[0-9A-Za-z]{18}$/);
});

test('rows of the basic capture: Zeek\'s values, unset fields as -, empty sets as (empty)', () => {
  const { rows } = zeekCut(zeek(basic));
  const by = (port: string) => rows.find((r) => r['id.orig_p'] === port)!;
  const est = by('40080');
  assert.deepEqual([est.conn_state, est.history, est.orig_bytes, est.resp_bytes, est.orig_pkts, est.orig_ip_bytes, est.resp_pkts, est.resp_ip_bytes, est.duration],
    ['SF', 'ShADadFf', '5', '17', '6', '325', '4', '233', '0.025705']);
  assert.deepEqual([est.ts, est.proto, est.service, est.local_orig, est.missed_bytes, est.tunnel_parents, est.ip_proto, est.vlan, est.flags, est.verdict],
    ['1795310248.841555', 'tcp', '-', '-', '0', '-', '6', '-', '(empty)', 'established']);
  const refused = by('40081');
  assert.deepEqual([refused.conn_state, refused.history, refused.orig_pkts, refused.resp_pkts, refused.resp_ip_bytes, refused.orig_bytes], ['REJ', 'Sr', '1', '1', '40', '0']);
  // One SYN and an ICMP error: Zeek's TCP connection holds the SYN only (no duration, so no byte counts).
  const rejected = by('40083');
  assert.deepEqual([rejected.conn_state, rejected.history, rejected.duration, rejected.orig_bytes, rejected.resp_pkts], ['S0', 'S', '-', '-', '0']);
  const filtered = by('40082');
  assert.deepEqual([filtered.conn_state, filtered.history, filtered.orig_pkts, filtered.duration, filtered.orig_bytes, filtered.flags], ['S0', 'S', '3', '3.041230', '0', 'syn-retransmit']);
  assert.deepEqual([by('40087').conn_state, by('40087').history], ['RSTO', 'ShR']);
  assert.equal(by('40086').verdict, 'forged-reset');
  assert.equal(by('40086').conn_state, 'REJ');
  // The reasonCode report field does not exist (yet): its column is unset.
  // reason_code: the id of the rule that gave the row's verdict (README: the rule table).
  assert.ok(rows.every((r) => RULES.find((rule) => rule.id === r.reason_code)?.verdict === r.verdict && r.reason.length > 10), JSON.stringify(rows.map((r) => [r.verdict, r.reason_code])));
});

/**
 * Zeek's documentation of each conn_state, as the history letters it needs (upper case
 * originator, lower case responder): h the SYN-ACK, F/f FINs, R/r RSTs.
 */
function documented(row: Row): void {
  const h = row.history;
  const what = `${row.verdict} ${row.conn_state} ${h}`;
  const has = (c: string) => h.includes(c);
  switch (row.conn_state) {
    case 'S0': assert.ok(has('S') && !/[a-z]/.test(h) && row.resp_pkts === '0', `S0 is an attempt without reply: ${what}`); break;
    case 'REJ': assert.ok(has('S') && has('r') && !has('h'), `REJ is a SYN answered by a RST: ${what}`); break;
    case 'S1': assert.ok(has('h') && !/[FfRr]/.test(h), `S1 is established, not terminated: ${what}`); break;
    case 'SF': assert.ok(has('h') && has('F') && has('f'), `SF is a normal close: ${what}`); break;
    case 'S2': assert.ok(has('h') && has('F') && !has('f') && !/[Rr]/.test(h), `S2 is a close by the originator only: ${what}`); break;
    case 'S3': assert.ok(has('h') && has('f') && !has('F') && !/[Rr]/.test(h), `S3 is a close by the responder only: ${what}`); break;
    case 'RSTO': assert.ok(has('h') && has('R'), `RSTO is established, then the originator's RST: ${what}`); break;
    case 'RSTR': assert.ok(has('h') && has('r'), `RSTR is established, then the responder's RST: ${what}`); break;
    case 'RSTOS0': assert.ok(/^S[^HAFGIQ]*R/.test(h) && !has('h'), `RSTOS0 is SYN then RST from the originator: ${what}`); break;
    case 'SH': assert.ok(has('S') && has('F') && !/[a-z]/.test(h), `SH is SYN then FIN, no SYN-ACK: ${what}`); break;
    case 'OTH': break;
    default: assert.fail(`not a conn_state of Zeek's: ${what}`);
  }
}

/** The conn_states each verdict can have (the fixtures' verdicts are their .expect files'). */
const STATES: Record<string, string[]> = {
  established: ['S1', 'SF', 'S2', 'S3', 'RSTO', 'RSTR', 'SH'],
  refused: ['REJ'],
  'forged-reset': ['REJ', 'RSTR'],
  // An ICMP error is no part of Zeek's TCP connection: the SYN alone, no reply.
  rejected: ['S0'],
  unreachable: ['S0'],
  // (A blind RST with the wrong ACK number is a reset to Zeek, which does not check it.)
  filtered: ['S0', 'REJ'],
  'backlog-drop': ['S0', 'S1', 'RSTR', 'S2'],
  aborted: ['RSTO', 'RSTOS0', 'S1'],
  incomplete: ['S0', 'S1', 'SH', 'OTH'],
};

test('every fixture: conn_state and history as Zeek documents them, for every verdict', () => {
  const captures = [
    ...readdirSync(join(root, 'fixtures')).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join('fixtures', f)),
    ...readdirSync(join(root, 'fixtures', 'adversarial')).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join('fixtures', 'adversarial', f)),
  ];
  const seen = new Set<string>();
  for (const c of captures) {
    for (const row of zeekCut(zeek(c)).rows) {
      documented(row);
      assert.ok(STATES[row.verdict]?.includes(row.conn_state), `${c}: ${row.verdict} as ${row.conn_state} (${row.history})`);
      seen.add(row.conn_state);
      // Zeek's numbers: IP bytes at least 20 per packet, a duration only with byte counts.
      assert.ok(Number(row.orig_ip_bytes) >= 20 * Number(row.orig_pkts) && Number(row.orig_pkts) >= 1, `${c}: ${JSON.stringify(row)}`);
      assert.equal(row.duration === '-', row.orig_bytes === '-');
    }
  }
  for (const s of ['S0', 'S1', 'SF', 'REJ', 'S2', 'RSTO', 'RSTR', 'SH']) assert.ok(seen.has(s), `no fixture gave ${s}: ${[...seen].join(' ')}`);
});

/** Three crafted attempts (raw IP): a SYN reset by its own client, a close by the server alone, and a client ACK then RST without any SYN-ACK. */
function crafted(): string {
  const file = join(tmp, 'states.pcap');
  const w = new PcapWriter({ linkType: 101 });
  const c = '198.51.100.7';
  const s = '203.0.113.7';
  const t0 = 1_790_000_000;
  const at = (ms: number): [number, number] => [t0 + Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
  // RSTOS0: SYN, then the client's own RST (no SYN-ACK).
  w.writePacket(...at(0), ipTcp({ src: c, dst: s, sport: 41000, dport: 80, seq: 1000, flags: 'S' }));
  w.writePacket(...at(100), ipTcp({ src: c, dst: s, sport: 41000, dport: 80, seq: 1001, flags: 'R' }));
  // S3: handshake, then the server's FIN, never answered by the client's.
  w.writePacket(...at(200), ipTcp({ src: c, dst: s, sport: 41001, dport: 80, seq: 2000, flags: 'S' }));
  w.writePacket(...at(201), ipTcp({ src: s, dst: c, sport: 80, dport: 41001, seq: 9000, ack: 2001, flags: 'SA' }));
  w.writePacket(...at(202), ipTcp({ src: c, dst: s, sport: 41001, dport: 80, seq: 2001, ack: 9001, flags: 'A' }));
  w.writePacket(...at(300), ipTcp({ src: s, dst: c, sport: 80, dport: 41001, seq: 9001, ack: 2001, flags: 'FA' }));
  // OTH: the client ACKs and resets with no SYN-ACK in the capture.
  w.writePacket(...at(400), ipTcp({ src: c, dst: s, sport: 41002, dport: 80, seq: 3000, flags: 'S' }));
  w.writePacket(...at(401), ipTcp({ src: c, dst: s, sport: 41002, dport: 80, seq: 3001, ack: 7001, flags: 'A' }));
  w.writePacket(...at(402), ipTcp({ src: c, dst: s, sport: 41002, dport: 80, seq: 3001, ack: 7001, flags: 'RA' }));
  w.writePacket(...at(20_000), ipTcp({ src: c, dst: s, sport: 41003, dport: 80, seq: 4000, flags: 'S' }));
  writeFileSync(file, w.toBuffer());
  return file;
}

test('crafted captures: RSTOS0, S3 and OTH by Zeek\'s rules', () => {
  const rows = zeekCut(zeek(crafted())).rows;
  const by = (port: string) => rows.find((r) => r['id.orig_p'] === port)!;
  assert.deepEqual([by('41000').conn_state, by('41000').history], ['RSTOS0', 'SR']);
  assert.deepEqual([by('41001').conn_state, by('41001').history], ['S3', 'ShAf']);
  assert.deepEqual([by('41002').conn_state, by('41002').history], ['OTH', 'SAR']);
  for (const r of rows) documented(r);
});

test('--format zeek-json: Zeek\'s JSON lines (no header; unset fields left out; times as numbers), the same values as the TSV', () => {
  const tsv = zeekCut(zeek(basic)).rows;
  const lines = zeek(basic, 'zeek-json').replace(/\n$/, '').split('\n');
  assert.equal(lines.length, tsv.length);
  for (const [i, l] of lines.entries()) {
    assert.doesNotMatch(l, /^#/);
    const o = JSON.parse(l) as Record<string, unknown>;
    const keys = Object.keys(o);
    // Zeek's field order, less the unset fields.
    assert.deepEqual(keys, FIELDS.filter((f) => keys.includes(f)));
    for (const unset of ['service', 'local_orig', 'local_resp', 'tunnel_parents', 'vlan']) assert.ok(!(unset in o), `${unset} is unset`);
    const t = tsv[i];
    assert.equal(o.reason_code, t.reason_code);
    assert.equal(typeof o.ts, 'number');
    assert.equal((o.ts as number).toFixed(6), t.ts);
    assert.equal(o.uid, t.uid);
    assert.equal(o['id.orig_p'], Number(t['id.orig_p']));
    assert.equal(o.conn_state, t.conn_state);
    assert.equal(o.history, t.history);
    assert.deepEqual(o.flags, t.flags === '(empty)' ? [] : t.flags.split(','));
    if (t.duration === '-') assert.ok(!('duration' in o) && !('orig_bytes' in o));
    else assert.equal((o.duration as number).toFixed(6), t.duration);
  }
});

test('VLAN-tagged attempts fill vlan and inner_vlan', () => {
  const rows = zeekCut(zeek('fixtures/vlan-qinq-client.pcap')).rows;
  assert.ok(rows.length > 0);
  assert.ok(rows.some((r) => r.vlan !== '-' && r.inner_vlan !== '-'), JSON.stringify(rows.map((r) => [r.vlan, r.inner_vlan])));
  for (const r of rows) if (r.vlan !== '-') assert.match(r.vlan, /^\d+$/);
});

test('packet and IP byte counts equal tshark\'s for the attempts\' TCP packets', (t) => {
  if (spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status !== 0) { t.skip('tshark is not installed'); return; }
  for (const file of [basic, 'fixtures/basic-v6-client.pcap', 'fixtures/backlog-acceptq-v4-client.pcap']) {
    const doc = json(run(['analyze', file, '-F', 'json']));
    const sh = spawnSync('tshark', ['-r', join(root, file), '-Y', 'tcp', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'ip.len', '-e', 'ipv6.plen'], { encoding: 'utf8' });
    const pkts = sh.stdout.trim().split('\n').map((l) => l.split('\t'));
    for (const a of doc.attempts) {
      const lo = Date.parse(a.start) / 1000 - 1e-6;
      const hi = Date.parse(a.end) / 1000 + 1e-3;
      const count = { orig: [0, 0], resp: [0, 0] };
      for (const [ts, src4, src6, sp, dp, len4, plen6] of pkts) {
        const tsn = Number(ts);
        if (tsn < lo || tsn > hi) continue;
        const src = src4 || src6;
        const bytes = len4 ? Number(len4) : Number(plen6) + 40;
        if (src === a.client.ip && Number(sp) === a.client.port && Number(dp) === a.server.port) { count.orig[0]++; count.orig[1] += bytes; }
        if (src === a.server.ip && Number(sp) === a.server.port && Number(dp) === a.client.port) { count.resp[0]++; count.resp[1] += bytes; }
      }
      const what = `${file} ${a.client.port}->${a.server.port} ${a.verdict}`;
      assert.deepEqual([a.origPkts, a.origIpBytes, a.respPkts, a.respIpBytes], [...count.orig, ...count.resp], what);
    }
  }
});

test('live takes -F zeek and zeek-json (parsed before the capture opens)', () => {
  for (const f of ['zeek', 'zeek-json']) {
    const r = run(['live', '-i', 'lo', '-F', f, '--duration', '1'], { env: noCapEnv() });
    assert.doesNotMatch(r.stderr, /invalid|choices|not one of/i, r.stderr);
  }
  const bad = run(['live', '-i', 'lo', '-F', 'zeek-tsv'], { env: noCapEnv() });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /zeek-json/);
});

/** Why live capture on loopback cannot run here (CI=true runs it regardless, and fails on the reason). */
function liveMissing(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root';
  if (!capAvailable()) return 'the cap module cannot be loaded';
  return null;
}

test('live -F zeek on loopback: the header when the capture opens, a REJ row for a refused connect(), #close at the end', { timeout: 30_000, ...(liveMissing() && process.env.CI !== 'true' ? { skip: `live capture test skipped: ${liveMissing()}` } : {}) }, async () => {
  const port = 20000 + (process.pid % 20000);
  const child = spawn(process.execPath, [bin, 'live', '-i', 'lo', '-F', 'zeek', '--duration', '4', '--port', String(port)], { cwd: root, env: utc, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  // Wait (at most 10 s) until the capture is open, then connect to a port nothing listens on.
  for (let i = 0; i < 100 && !/capturing on lo/.test(err); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(err, /capturing on lo/, err);
  const refused = await new Promise<string>((res) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', (e: NodeJS.ErrnoException) => res(e.code ?? String(e)));
    s.on('connect', () => { s.destroy(); res('connected'); });
  });
  assert.equal(refused, 'ECONNREFUSED');
  assert.equal(await exited, 0, err);
  const { header, rows, trailer } = zeekCut(out);
  assert.deepEqual(header[6].split('\t'), ['#fields', ...FIELDS]);
  assert.equal(trailer.length, 1);
  assert.match(trailer[0], /^#close\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
  const row = rows.find((r) => r['id.resp_p'] === String(port));
  assert.ok(row, out);
  assert.deepEqual([row['id.orig_h'], row.conn_state, row.history, row.verdict, row.orig_pkts, row.resp_pkts], ['127.0.0.1', 'REJ', 'Sr', 'refused', '1', '1']);
});
