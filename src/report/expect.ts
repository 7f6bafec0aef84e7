/**
 * Expected-verdicts files: one line per attempt, in order of first SYN, so that a captured
 * incident becomes a regression test (`synscope analyze incident.pcap --expect incident.expect`).
 *
 *     # synscope expected verdicts v1
 *     # client server verdict [flags,comma,separated]
 *     198.51.100.10:40001 203.0.113.20:8081 refused
 *     [2001:db8:1::10]:40002 [2001:db8:2::20]:8082 filtered syn-retransmit
 *
 * Flags listed must all be present on the attempt; a flag written `!flag` must be absent (a
 * false alarm the capture must not raise); flags not listed are not checked.
 */
import { SynscopeError } from '../errors.js';
import { isVerdict, VERDICTS, type Verdict } from '../model/verdict.js';
import { endpointToString } from '../util/ip.js';
import type { AttemptReport } from './model.js';

export interface ExpectedAttempt {
  client: string;
  server: string;
  verdict: Verdict;
  flags: string[];
  line: number;
}

export const EXPECT_HEADER = '# synscope expected verdicts v1\n# client server verdict [flags,comma,separated]\n';

export function parseExpect(text: string, file: string): ExpectedAttempt[] {
  const out: ExpectedAttempt[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const parts = line.split(/\s+/);
    if (parts.length < 3 || parts.length > 4) {
      throw new SynscopeError('ERR_EXPECT_FILE', `${file}: line ${i + 1}: expected "client server verdict [flags]", got "${line}"`, { source: file });
    }
    if (!isVerdict(parts[2])) {
      throw new SynscopeError('ERR_EXPECT_FILE', `${file}: line ${i + 1}: "${parts[2]}" is not a verdict (${VERDICTS.join(', ')})`, { source: file });
    }
    out.push({ client: parts[0], server: parts[1], verdict: parts[2], flags: parts[3] ? parts[3].split(',').filter(Boolean) : [], line: i + 1 });
  });
  return out;
}

export function formatExpect(attempts: AttemptReport[], withFlags = true): string {
  const rows = attempts.map((a) => {
    const f = withFlags && a.flags.length ? ` ${a.flags.join(',')}` : '';
    return `${endpointToString(a.client.ip, a.client.port)} ${endpointToString(a.server.ip, a.server.port)} ${a.verdict}${f}`;
  });
  return EXPECT_HEADER + rows.map((r) => `${r}\n`).join('');
}

/** Differences between expected and actual, one readable line each; empty when they agree. */
export function compareExpect(expected: ExpectedAttempt[], actual: AttemptReport[]): string[] {
  const diffs: string[] = [];
  // Pair attempts per (client, server) in order, so port reuse and reordering are handled.
  const pool = new Map<string, AttemptReport[]>();
  for (const a of actual) {
    const k = `${endpointToString(a.client.ip, a.client.port)} ${endpointToString(a.server.ip, a.server.port)}`;
    const l = pool.get(k) ?? [];
    l.push(a);
    pool.set(k, l);
  }
  for (const e of expected) {
    const k = `${e.client} ${e.server}`;
    const a = pool.get(k)?.shift();
    if (!a) { diffs.push(`- ${k} ${e.verdict}   (expected at line ${e.line}; no such attempt in the capture)`); continue; }
    if (a.verdict !== e.verdict) diffs.push(`~ ${k}: expected ${e.verdict}, got ${a.verdict} (${a.reason}; frames ${a.frames.join(',')})`);
    const has = (f: string) => (a.flags as string[]).includes(f);
    const missing = e.flags.filter((f) => !f.startsWith('!') && !has(f));
    if (missing.length) diffs.push(`~ ${k}: expected flag(s) ${missing.join(',')} missing (flags: ${a.flags.join(',') || 'none'})`);
    const unwanted = e.flags.filter((f) => f.startsWith('!') && has(f.slice(1))).map((f) => f.slice(1));
    if (unwanted.length) diffs.push(`~ ${k}: flag(s) ${unwanted.join(',')} must not be there (${a.reason})`);
  }
  for (const [k, rest] of pool) for (const a of rest) diffs.push(`+ ${k} ${a.verdict}   (not in the expected file; frames ${a.frames.join(',')})`);
  return diffs;
}
