#!/usr/bin/env node
// Score synscope on the held-out captures.
//
//   node holdout/score.mjs [--data DIR] [--synscope FILE] [--only SUBSTRING] [--quiet]
//
// For every capture in DIR (default /work/holdout-data) with a sibling .expect file:
//   synscope analyze FILE --format json    -> verdicts; also piped into validate-contract.mjs
//   synscope analyze FILE --format ndjson  -> piped into validate-contract.mjs --ndjson; its
//                                             final attempt lines compared with the json report
// Per expected attempt: right when the verdict matches (`*` = any), every listed flag is present
// and every `!flag` absent (a `backlog-drop` verdict counts as the flag too). Attempts marked
// amb=... are scored separately. Attempts synscope reports that the expect file does not list
// are "extra" (wrong). Writes the report to stdout and DIR/.score/report.{txt,json}.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const DATA = opt('--data', '/work/holdout-data');
const SYNSCOPE = opt('--synscope', '/work/main/bin/synscope.js');
const VALIDATOR = opt('--validator', '/work/shared/validate-contract.mjs');
const ONLY = opt('--only', '');
const QUIET = args.includes('--quiet');

const FIREWALL = new Set(['filtered', 'rejected', 'forged-reset', 'refused', 'unreachable']);
const VERDICTS = ['established', 'refused', 'forged-reset', 'rejected', 'unreachable', 'filtered',
  'backlog-drop', 'aborted', 'incomplete'];

function parseHostPort(s) {
  const m = /^\[(.+)\]:(\d+)$/.exec(s) || /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new Error(`bad endpoint ${s}`);
  return { ip: m[1].toLowerCase(), port: Number(m[2]) };
}
const epText = (h) => (h.ip.includes(':') ? `[${h.ip}]:${h.port}` : `${h.ip}:${h.port}`);

function parseExpect(path) {
  const out = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const hash = raw.indexOf('#');
    const comment = hash >= 0 ? raw.slice(hash + 1).trim() : '';
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (!line) continue;
    const tok = line.split(/\s+/);
    const e = { client: parseHostPort(tok[0]), server: parseHostPort(tok[1]), verdict: tok[2],
      want: [], not: [], attrs: {}, comment };
    for (const t of tok.slice(3)) {
      if (t.includes('=')) { const [k, ...v] = t.split('='); e.attrs[k] = v.join('='); continue; }
      for (const f of t.split(',').filter(Boolean)) (f.startsWith('!') ? e.not : e.want).push(f.replace(/^!/, ''));
    }
    e.group = e.attrs.g || '';
    e.amb = e.attrs.amb || '';
    e.vlan = e.attrs.vlan === undefined ? null : (e.attrs.vlan === '-' ? '' : e.attrs.vlan);
    out.push(e);
  }
  return out;
}

const vlanOf = (a) => (Array.isArray(a.vlan) ? a.vlan.join('.') : '');
const tupleKey = (c, s) => `${epText(c)} ${epText(s)}`;

function run(file, format) {
  const r = spawnSync('node', [SYNSCOPE, 'analyze', file, '--format', format, '-q'],
    { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout || '', stderr: r.stderr || '' };
}
function validate(text, ndjson) {
  const r = spawnSync('node', [VALIDATOR, ...(ndjson ? ['--ndjson'] : [])], { input: text, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { ok: r.status === 0, msg: ((r.stdout || '') + (r.stderr || '')).trim().split('\n').slice(0, 6).join(' | ') };
}
const countBy = (arr, f) => arr.reduce((m, x) => { const k = f(x); m[k] = (m[k] || 0) + 1; return m; }, {});
const sameCounts = (a, b) => {
  const ka = Object.keys(a).filter((k) => a[k]); const kb = Object.keys(b).filter((k) => b[k]);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
};

function contradictions(report, ndLines) {
  const out = [];
  const atts = report.attempts || [];
  const byAtt = countBy(atts, (a) => a.verdict);
  const sum = report.summary || {};
  if (!sameCounts(byAtt, sum.verdicts || {})) out.push(`attempt verdicts ${JSON.stringify(byAtt)} != summary.verdicts ${JSON.stringify(sum.verdicts)}`);
  if (sum.attempts !== atts.length) out.push(`summary.attempts ${sum.attempts} != ${atts.length} attempts`);
  const epSum = {}; let epAtt = 0;
  for (const e of report.endpoints || []) {
    epAtt += e.attempts || 0;
    for (const [k, v] of Object.entries(e.verdicts || {})) epSum[k] = (epSum[k] || 0) + v;
    const mine = atts.filter((a) => a.server.ip === e.server.ip && a.server.port === e.server.port &&
      vlanOf(a) === (Array.isArray(e.vlan) ? e.vlan.join('.') : ''));
    if (mine.length !== e.attempts) out.push(`endpoint ${epText(e.server)}${e.vlan ? ' vlan ' + e.vlan : ''}: attempts ${e.attempts} != ${mine.length} attempts listed`);
  }
  if (!sameCounts(byAtt, epSum)) out.push(`attempt verdicts ${JSON.stringify(byAtt)} != endpoint verdict sums ${JSON.stringify(epSum)}`);
  if (epAtt !== atts.length) out.push(`endpoint attempts sum ${epAtt} != ${atts.length}`);
  if (ndLines) {
    const last = new Map(); let ndSummary = null;
    for (const l of ndLines) {
      if (l.type === 'attempt') last.set(`${epText(l.client)} ${epText(l.server)} ${l.isn} ${l.start} ${vlanOf(l)}`, l);
      if (l.type === 'summary') ndSummary = l;
    }
    const ndBy = countBy([...last.values()], (a) => a.verdict);
    if (!sameCounts(ndBy, byAtt)) out.push(`ndjson final attempt verdicts ${JSON.stringify(ndBy)} != json attempts ${JSON.stringify(byAtt)}`);
    if (ndSummary && !sameCounts(ndSummary.verdicts || {}, byAtt)) out.push(`ndjson summary.verdicts ${JSON.stringify(ndSummary.verdicts)} != json attempts`);
    if (!ndSummary) out.push('ndjson has no summary line');
  }
  return out;
}

function judge(e, a) {
  if (!a) return { ok: false, why: 'missing' };
  const flags = new Set(a.flags || []);
  if (a.verdict === 'backlog-drop') flags.add('backlog-drop');
  const bad = [];
  if (e.verdict !== '*' && a.verdict !== e.verdict) bad.push(`verdict ${a.verdict}`);
  const missing = e.want.filter((f) => !flags.has(f));
  const present = e.not.filter((f) => flags.has(f));
  if (missing.length) bad.push(`missing ${missing.join(',')}`);
  if (present.length) bad.push(`unwanted ${present.join(',')}`);
  return { ok: bad.length === 0, why: bad.join('; '), flags };
}

// ---------------------------------------------------------------- main
const files = readdirSync(DATA).filter((f) => f.endsWith('.expect') && existsSync(join(DATA, f.slice(0, -7))))
  .map((f) => f.slice(0, -7)).filter((f) => f.includes(ONLY)).sort();
if (!files.length) { console.error(`no captures with .expect in ${DATA}`); process.exit(2); }

const captures = [];
const wrong = [];
const confusion = {};      // expected -> got -> n (firm attempts)
const confusionAmb = {};
const groups = {};
const counts = { refusedAsFiltered: 0, filteredAsRefused: 0, incompleteAsFiltered: 0, refusedAsForged: 0,
  backlogAsFirewall: 0, backlogFlagMissing: 0, falseBacklog: 0, falseBacklogLossApp: 0, falseBacklogList: [],
  contradictions: 0, validatorFailures: 0, extra: 0, missing: 0, runFailures: 0 };
let totFirm = 0, okFirm = 0, totAmb = 0, okAmb = 0;

for (const f of files) {
  const path = join(DATA, f);
  const exp = parseExpect(path + '.expect');
  const t0 = Date.now();
  const js = run(path, 'json');
  const nd = run(path, 'ndjson');
  const ms = Date.now() - t0;
  const cap = { file: f, expected: exp.length, firm: 0, firmOk: 0, amb: 0, ambOk: 0, extra: 0, problems: [], ms };
  captures.push(cap);
  let report = null, ndLines = null;
  if (js.status !== 0) { cap.problems.push(`json exit ${js.status}: ${js.stderr.trim().slice(0, 200)}`); counts.runFailures++; }
  try { report = JSON.parse(js.stdout); } catch (err) { cap.problems.push(`json unparsable: ${err.message}`); }
  try { ndLines = nd.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)); } catch (err) { cap.problems.push(`ndjson unparsable: ${err.message}`); }
  const vj = validate(js.stdout, false), vn = validate(nd.stdout, true);
  if (!vj.ok) { cap.problems.push(`validator (json): ${vj.msg}`); counts.validatorFailures++; }
  if (!vn.ok) { cap.problems.push(`validator (ndjson): ${vn.msg}`); counts.validatorFailures++; }
  cap.validator = vj.ok && vn.ok;
  const got = report ? report.attempts || [] : [];
  if (report) {
    const c = contradictions(report, ndLines);
    if (c.length) { cap.problems.push(...c.map((x) => `contradiction: ${x}`)); counts.contradictions++; }
    cap.contradictions = c.length;
  }
  const used = new Set();
  for (const e of exp) {
    const k = tupleKey(e.client, e.server);
    const idx = got.findIndex((a, i) => !used.has(i) && tupleKey(a.client, a.server) === k &&
      (e.vlan === null || vlanOf(a) === e.vlan));
    const a = idx >= 0 ? got[idx] : null;
    if (idx >= 0) used.add(idx);
    const j = judge(e, a);
    const gv = a ? a.verdict : '(missing)';
    const ev = e.verdict;
    const mat = e.amb ? confusionAmb : confusion;
    (mat[ev] ||= {})[gv] = (mat[ev][gv] || 0) + 1;
    if (e.amb) { cap.amb++; totAmb++; if (j.ok) { cap.ambOk++; okAmb++; } } else { cap.firm++; totFirm++; if (j.ok) { cap.firmOk++; okFirm++; } }
    const g = e.group || `(${f.replace(/\.(pcap|pcapng)$/, '')})`;
    const G = (groups[g] ||= { n: 0, ok: 0, amb: 0, ambOk: 0 });
    if (e.amb) { G.amb++; if (j.ok) G.ambOk++; } else { G.n++; if (j.ok) G.ok++; }
    if (!a) counts.missing++;
    if (!e.amb && a) {
      if (ev === 'refused' && gv === 'filtered') counts.refusedAsFiltered++;
      if (ev === 'filtered' && gv === 'refused') counts.filteredAsRefused++;
      if (ev === 'incomplete' && gv === 'filtered') counts.incompleteAsFiltered++;
      if (ev === 'refused' && gv === 'forged-reset') counts.refusedAsForged++;
      if (ev === 'backlog-drop' && FIREWALL.has(gv)) counts.backlogAsFirewall++;
      if (e.want.includes('backlog-drop') && !(j.flags && j.flags.has('backlog-drop'))) counts.backlogFlagMissing++;
      if (e.not.includes('backlog-drop') && j.flags && j.flags.has('backlog-drop')) {
        counts.falseBacklog++;
        if (/^(loss-c2s|app-)/.test(e.group) || /^(loss-v|app-)/.test(f)) counts.falseBacklogLossApp++;
        counts.falseBacklogList.push(`${f} ${k}`);
      }
    }
    if (!j.ok) {
      wrong.push({ capture: f, tuple: k + (e.vlan !== null ? ` vlan=${e.vlan || '-'}` : ''), group: e.group, amb: e.amb,
        expected: `${e.verdict}${e.want.length || e.not.length ? ' ' + [...e.want, ...e.not.map((x) => '!' + x)].join(',') : ''}`,
        got: a ? `${a.verdict}${a.flags && a.flags.length ? ' ' + a.flags.join(',') : ''}` : '(no attempt)',
        why: j.why, reason: a ? a.reason : '', truth: e.comment });
    }
  }
  got.forEach((a, i) => {
    if (used.has(i)) return;
    cap.extra++; counts.extra++;
    (confusion['(not expected)'] ||= {})[a.verdict] = (confusion['(not expected)'][a.verdict] || 0) + 1;
    wrong.push({ capture: f, tuple: tupleKey(a.client, a.server) + (a.vlan ? ` vlan=${vlanOf(a)}` : ''), group: '', amb: '',
      expected: '(no attempt)', got: `${a.verdict}${a.flags && a.flags.length ? ' ' + a.flags.join(',') : ''}`,
      why: 'extra attempt', reason: a.reason, truth: '' });
  });
}

// ---------------------------------------------------------------- report
const L = [];
const pct = (a, b) => (b ? `${(100 * a / b).toFixed(1)}%` : '-');
L.push(`synscope held-out score: ${SYNSCOPE} on ${DATA} (${files.length} captures)`);
L.push(`OVERALL (firm truth): ${okFirm}/${totFirm} attempts right = ${pct(okFirm, totFirm)};  ` +
  `ambiguous truth: ${okAmb}/${totAmb} = ${pct(okAmb, totAmb)};  extra attempts: ${counts.extra}`);
const fully = captures.filter((c) => c.firmOk === c.firm && c.extra === 0 && !c.problems.length).length;
L.push(`captures fully right (firm attempts, no extras, no problems): ${fully}/${captures.length}`);
L.push('');
L.push('Counts:');
L.push(`  refused called filtered: ${counts.refusedAsFiltered}; filtered called refused: ${counts.filteredAsRefused}; incomplete called filtered: ${counts.incompleteAsFiltered}; refused called forged-reset: ${counts.refusedAsForged}`);
L.push(`  backlog-drop (verdict) called firewall-like (filtered/rejected/forged-reset/refused/unreachable): ${counts.backlogAsFirewall}; expected backlog-drop flag missing: ${counts.backlogFlagMissing}`);
L.push(`  false backlog-drop (flag or verdict where !backlog-drop expected): ${counts.falseBacklog} (on loss / app-close captures: ${counts.falseBacklogLossApp})`);
L.push(`  self-contradicting reports (attempt counts vs summary vs endpoints vs ndjson): ${counts.contradictions} capture(s)`);
L.push(`  validator failures: ${counts.validatorFailures} (json + ndjson runs); synscope exit != 0: ${counts.runFailures}; expected attempts missing: ${counts.missing}`);
L.push('');
function matrix(title, mat) {
  const rows = Object.keys(mat);
  if (!rows.length) return;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(mat[r])))];
  const order = (x) => { const i = VERDICTS.indexOf(x); return i < 0 ? 99 : i; };
  rows.sort((a, b) => order(a) - order(b)); cols.sort((a, b) => order(a) - order(b));
  const w = Math.max(14, ...rows.map((r) => r.length)) + 1;
  const cw = cols.map((c) => Math.max(c.length, 4) + 1);
  L.push(title);
  L.push(`  ${'expected \\ got'.padEnd(w)}${cols.map((c, i) => c.padStart(cw[i])).join('')}`);
  for (const r of rows) L.push(`  ${r.padEnd(w)}${cols.map((c, i) => String(mat[r][c] || '.').padStart(cw[i])).join('')}`);
  L.push('');
}
matrix('Confusion matrix, firm truth (rows: expected verdict; "*": any verdict expected; columns: synscope):', confusion);
matrix('Confusion matrix, ambiguous truth (amb=...):', confusionAmb);
L.push('Per capture (firm right/total, ambiguous right/total, extra attempts, problems):');
for (const c of captures) {
  L.push(`  ${c.file.padEnd(38)} ${String(c.firmOk).padStart(4)}/${String(c.firm).padEnd(4)} ${pct(c.firmOk, c.firm).padStart(6)}` +
    `${c.amb ? `  amb ${c.ambOk}/${c.amb}` : ''}${c.extra ? `  extra ${c.extra}` : ''}  ${c.ms} ms${c.problems.length ? '  PROBLEMS: ' + c.problems.join(' || ') : ''}`);
}
L.push('');
L.push('Per group (scenario variant):');
for (const [g, G] of Object.entries(groups).sort()) {
  L.push(`  ${g.padEnd(44)} ${G.ok}/${G.n} ${pct(G.ok, G.n)}${G.amb ? `   amb ${G.ambOk}/${G.amb}` : ''}`);
}
L.push('');
L.push(`Wrong attempts (${wrong.length}; firm first, then ambiguous):`);
const ws = [...wrong.filter((w) => !w.amb), ...wrong.filter((w) => w.amb)];
const shown = QUIET ? ws.slice(0, 40) : ws;
for (const w of shown) {
  L.push(`- ${w.amb ? '[AMBIGUOUS ' + w.amb + '] ' : ''}${w.capture}  ${w.tuple}${w.group ? '  (' + w.group + ')' : ''}`);
  L.push(`    expected: ${w.expected}   got: ${w.got}   (${w.why})`);
  if (w.truth) L.push(`    truth evidence: ${w.truth}`);
  if (w.reason) L.push(`    synscope reason: ${w.reason}`);
}
if (shown.length < ws.length) L.push(`  ... ${ws.length - shown.length} more (without --quiet, or in report.json)`);
const text = L.join('\n');
console.log(text);
mkdirSync(join(DATA, '.score'), { recursive: true });
writeFileSync(join(DATA, '.score', 'report.txt'), text + '\n');
writeFileSync(join(DATA, '.score', 'report.json'), JSON.stringify({ synscope: SYNSCOPE, data: DATA,
  overall: { firm: totFirm, firmOk: okFirm, amb: totAmb, ambOk: okAmb }, counts, confusion, confusionAmb,
  captures, groups, wrong }, null, 1));
