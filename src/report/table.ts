/**
 * Terminal output: per-endpoint table, optional per-attempt table, summary line.
 *
 * Tables fit the width they are given (the terminal's, see src/cli/args.ts outputWidth): columns
 * that hold addresses, ports, verdicts and counts are as wide as their longest entry and are
 * never cut; reasons, diagnoses and frame lists wrap. When even that does not fit (long IPv6
 * addresses on 80 columns), the same facts are printed as indented blocks instead of a table.
 * The summary line and the next-step commands are never wrapped (scripts grep the one, people copy
 * the others). The per-attempt table has a wide form (one column per fact) and a narrow one (client and server
 * in one column, flags, SYNs and RTT under the verdict, frames under the reason).
 */
import { VERDICTS } from '../model/verdict.js';
import { endpointToString } from '../util/ip.js';
import type { AttemptReport, Report } from './model.js';

export interface TableOptions {
  details?: boolean;
  hints?: boolean;
  /** Columns the output may take (default 100); 0 or Infinity for no limit (nothing wraps). */
  width?: number;
  /** Append the summary's warnings as `warning: ...` lines (default true; the CLI prints them on stderr instead). */
  warnings?: boolean;
}

/** `1 connection attempt`, `2 connection attempts`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatTable(r: Report, opts: TableOptions = {}): string {
  const out: string[] = [];
  const width = opts.width === undefined ? 100 : opts.width > 0 ? Math.max(40, opts.width) : Infinity;
  const counts = (v: Partial<Record<string, number>>) => VERDICTS.filter((k) => v[k]).map((k) => `${k} ${v[k]}`);
  if (opts.details && r.attempts.length) out.push(attemptsTable(r, width));
  if (r.endpoints.length) {
    const rows = r.endpoints.map((e) => [endpointToString(e.server.ip, e.server.port), String(e.attempts), counts(e.verdicts).join('\n'), e.diagnosis]);
    const table = fitTable([
      { head: 'server' }, { head: 'attempts' }, { head: 'verdicts' }, { head: 'diagnosis', flex: 24 },
    ], rows, width);
    out.push(table ?? r.endpoints.map((e, i) => block([
      `${rows[i]![0]}  ${plural(e.attempts, 'attempt')}: ${counts(e.verdicts).join(', ')}`,
    ], [e.diagnosis], width)).join('\n'));
  }
  if (opts.hints !== false) {
    const hints = r.endpoints.filter((e) => e.hints.length);
    if (hints.length) {
      out.push('Next steps:');
      for (const e of hints) {
        out.push(`  ${endpointToString(e.server.ip, e.server.port)}`);
        for (const h of e.hints) out.push(`    ${h}`);
      }
    }
  }
  // One line whatever the width, as the next-step commands: scripts grep it, people copy them.
  out.push(summaryLine(r));
  if (opts.warnings !== false) for (const w of r.summary.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}

/** `47 packets, 13 connection attempts: established 1, refused 3, ...` (the table's last line). */
export function summaryLine(r: Report): string {
  const s = r.summary;
  const counts = VERDICTS.filter((k) => s.verdicts[k]).map((k) => `${k} ${s.verdicts[k]}`);
  const filter = s.filteredOut !== undefined ? `; the filter${s.filter?.expression !== undefined ? ` "${s.filter.expression}"` : ''} kept ${s.packets - s.filteredOut} of them` : '';
  return `${plural(s.packets, 'packet')}${filter}, ${plural(s.attempts, 'connection attempt')}${s.midstream ? `, ${plural(s.midstream, 'flow')} without their SYN (midstream)` : ''}: ${counts.join(', ') || 'none'}`;
}

/** The per-attempt table, in the widest of its forms that fits. */
function attemptsTable(r: Report, width: number): string {
  const several = r.summary.files.length > 1;
  const frames = (a: AttemptReport): string[] => {
    const list = [`${several ? `${a.file}: ` : ''}${a.frames.join(',')}`];
    for (const o of a.otherFrames ?? []) list.push(`${o.file}: ${o.frames.join(',')}`);
    return list;
  };
  const client = (a: AttemptReport) => endpointToString(a.client.ip, a.client.port);
  const server = (a: AttemptReport) => endpointToString(a.server.ip, a.server.port);
  const rtt = (a: AttemptReport) => (a.rttMs === null ? '' : a.rttMs.toFixed(1));
  const wide = fitTable([
    { head: '#' }, { head: 'client' }, { head: 'server' }, { head: 'verdict' }, { head: 'flags' }, { head: 'SYNs' }, { head: 'rtt ms' },
    { head: several ? 'file: frames' : 'frames', flex: 12 }, { head: 'reason', flex: 30 },
  ], r.attempts.map((a, i) => [String(i + 1), client(a), server(a), a.verdict, a.flags.join('\n'), String(a.synCount), rtt(a), frames(a).join('\n'), a.reason]), width);
  if (wide) return wide;
  const verdictCell = (a: AttemptReport) => [a.verdict, ...a.flags, plural(a.synCount, 'SYN'), ...(a.rttMs === null ? [] : [`rtt ${rtt(a)} ms`])].join('\n');
  const framesLines = (a: AttemptReport) => frames(a).map((f) => `frames ${f}`);
  const narrow = fitTable([
    { head: '#' }, { head: 'client -> server' }, { head: 'verdict' }, { head: 'reason, frames', flex: 20 },
  ], r.attempts.map((a, i) => [String(i + 1), `${client(a)}\n-> ${server(a)}`, verdictCell(a), [a.reason, ...framesLines(a)].join('\n')]), width);
  if (narrow) return narrow;
  return r.attempts.map((a, i) => {
    const head = `#${i + 1} ${a.verdict}${a.flags.length ? ` [${a.flags.join(',')}]` : ''}, ${plural(a.synCount, 'SYN')}${a.rttMs === null ? '' : `, rtt ${rtt(a)} ms`}`;
    const flow = `${client(a)} -> ${server(a)}`;
    const flowLines = flow.length + 2 <= width ? [flow] : [client(a), `-> ${server(a)}`];
    return block([head], [...flowLines, ...framesLines(a), a.reason], width);
  }).join('\n');
}

/** Lines as they are, then `body` indented by two and wrapped to the width. */
function block(head: string[], body: string[], width: number): string {
  const lines = [...head];
  for (const b of body) for (const l of wrap(b, width - 2)) lines.push(`  ${l}`);
  return lines.join('\n');
}

interface Column {
  head: string;
  /** Wraps, down to this many columns (or its longest word, if longer); columns without it never wrap. */
  flex?: number;
}

/**
 * A table whose columns fit `width`: fixed columns as wide as their longest line,
 * flexible ones shrunk (widest first) down to their floor. Null when even that is too wide.
 * Cells are wrapped here (at spaces, after commas and slashes), never cut.
 */
function fitTable(cols: Column[], rows: string[][], width: number): string | null {
  const lines = (text: string) => text.split('\n');
  const natural = cols.map((c, i) => Math.max(c.head.length, ...rows.map((r) => Math.max(...lines(r[i] ?? '').map((l) => l.length)))));
  const floor = cols.map((c, i) => (c.flex === undefined ? natural[i]! : Math.min(natural[i]!, Math.max(c.flex, longestWord(c.head), ...rows.map((r) => longestWord(r[i] ?? ''))))));
  const widths = [...natural];
  const total = () => widths.reduce((s, w) => s + w + 2, 0) + cols.length + 1;
  while (total() > width) {
    let pick = -1;
    for (let i = 0; i < cols.length; i++) if (widths[i]! > floor[i]! && (pick < 0 || widths[i]! > widths[pick]!)) pick = i;
    if (pick < 0) return null;
    widths[pick] = Math.max(floor[pick]!, widths[pick]! - Math.max(1, total() - width));
  }
  return drawBoxes(cols.map((c) => [c.head]), rows.map((r) => r.map((cell, i) => lines(cell).flatMap((l) => wrap(l, widths[i]!)))), widths);
}

/**
 * Draws the table in cli-table3's default style (box-drawing borders, one space of padding, a rule
 * between rows), from cells already wrapped to `widths`. cli-table3 itself measured every cell's
 * width through ANSI-stripping regular expressions: 27 s of a 29 s run for the 7,800 endpoints of
 * the 200 MB bench file (JSON output of the same analysis: 2.5 s); this is one pass over the text.
 */
function drawBoxes(head: string[][], rows: string[][][], widths: number[]): string {
  const rule = (l: string, m: string, r: string) => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const out: string[] = [rule('┌', '┬', '┐')];
  const put = (cells: string[][]) => {
    const height = Math.max(1, ...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(`│${cells.map((c, i) => ` ${(c[k] ?? '').padEnd(widths[i]!)} `).join('│')}│`);
  };
  put(head);
  for (const r of rows) {
    out.push(rule('├', '┼', '┤'));
    put(r);
  }
  out.push(rule('└', '┴', '┘'));
  return out.join('\n');
}

function longestWord(text: string): number {
  let best = 0;
  for (const w of text.split(/[\s]+/)) for (const part of w.split(/(?<=[,/])/)) best = Math.max(best, part.length);
  return best;
}

/**
 * Wraps one line to `width` columns: at spaces, else after a comma or slash; a word longer than
 * the width (only when the width is below the longest word) is cut into pieces.
 */
export function wrap(text: string, width: number): string[] {
  if (!Number.isFinite(width) || text.length <= width) return [text];
  const out: string[] = [];
  let line = '';
  const put = (piece: string, sep: string) => {
    if (line === '') line = piece;
    else if (line.length + sep.length + piece.length <= width) line += sep + piece;
    else { out.push(line); line = piece; }
    while (line.length > width) { out.push(line.slice(0, width)); line = line.slice(width); }
  };
  for (const word of text.split(' ')) {
    if (word.length <= width) { put(word, ' '); continue; }
    // A long word: its parts after commas and slashes, joined back where they fit.
    let first = true;
    for (const part of word.split(/(?<=[,/])/)) { put(part, first ? ' ' : ''); first = false; }
  }
  if (line !== '') out.push(line);
  return out;
}
