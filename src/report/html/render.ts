/**
 * The HTML report: one self-contained document (inline CSS, SVG and a small script; nothing is
 * fetched), so it opens offline from a mail attachment or a ticket. Three parts:
 *
 * - a timeline, one lane per server endpoint and one mark per attempt, coloured and shaped by
 *   verdict; past `maxMarks` attempts it is binned per lane (stacked by verdict), with marks only
 *   for the attempts that have a ladder;
 * - the endpoint table with diagnoses and next steps, as in the terminal;
 * - a ladder diagram per chosen attempt (see select.ts): client, server and, when there is one,
 *   the ICMP sender or the device that forged a reset, as vertical lines; each packet an arrow.
 *
 * Everything is drawn here, as text; the script only moves marks when zooming, shows tooltips and
 * handles the keyboard. Without it the page still shows everything, links included.
 */
import { TcpFlag } from '../../decode/constants.js';
import { hopsOf } from '../../model/ttl.js';
import { VERDICTS, type Verdict } from '../../model/verdict.js';
import { endpointToString } from '../../util/ip.js';
import type { EndpointReport, Report } from '../model.js';
import { plural, summaryLine } from '../table.js';
import type { LadderData, LadderPacket } from './model.js';
import { SCRIPT } from './script.js';
import { STYLE } from './style.js';
import { duration, esc, num, VERDICT_STYLE } from './svg.js';
import { isFailing, type LadderSelection } from './select.js';

export interface HtmlOptions {
  /** One mark per attempt up to this many attempts; beyond, the timeline is binned (default 2000). */
  maxMarks?: number;
  /** Lanes drawn at most; the endpoints with fewest failures beyond it share one lane (default 40). */
  maxLanes?: number;
  /** Bins across a lane in the binned timeline (default 100). */
  bins?: number;
  /** The command that made the report, for the advice on getting a ladder that was left out (default `synscope analyze FILE...`). */
  command?: string;
  /** Inputs that could not be read a second time for the ladders (standard input, a pipe). */
  unread?: string[];
}

/** Timeline geometry (SVG user units). */
const TL = { width: 1100, plotX0: 250, plotX1: 1080, top: 30, lane: 24 } as const;

/** Ladder geometry. */
const LD = { width: 780, client: 100, middle: 310, server: 520, top: 56, row: 34 } as const;

export function renderHtml(report: Report, sel: LadderSelection, ladders: LadderData[], opts: HtmlOptions = {}): string {
  const s = report.summary;
  const command = opts.command ?? `synscope analyze ${s.files.map(shellWord).join(' ')}`;
  const title = `synscope: ${plural(s.attempts, 'connection attempt')} in ${s.files.map(baseName).join(', ') || 'no input'}`;
  const parts = [
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    // No request may leave the page: the policy forbids every fetch, inline style and script aside.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">\n`,
    `<meta name="generator" content="synscope">\n<title>${esc(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n`,
    `<a class="skip" href="#endpoints">Skip to the endpoint table</a>\n`,
    `<header>\n<h1>${esc(title)}</h1>\n<p class="files">${s.files.map((f) => `<code>${esc(f)}</code>`).join(', ')}</p>\n`,
    `<p class="summary">${esc(summaryLine(report))}</p>\n`,
    '<nav aria-label="Sections"><a href="#timeline">Timeline</a> · <a href="#endpoints">Endpoints</a> · <a href="#ladders">Ladders</a>',
    s.warnings.length ? ' · <a href="#warnings">Warnings</a>' : '', '</nav>\n</header>\n<main>\n',
    timeline(report, sel, opts),
    endpointTable(report.endpoints),
    ladderSection(report, sel, ladders, command, opts.unread ?? []),
    warnings(s.warnings),
    `</main>\n<script>${SCRIPT}</script>\n</body>\n</html>\n`,
  ];
  return parts.join('');
}

// ---------------------------------------------------------------- timeline

function timeline(report: Report, sel: LadderSelection, opts: HtmlOptions): string {
  const n = sel.count;
  const maxMarks = opts.maxMarks ?? 2000;
  const binned = n > maxMarks;
  const endpoints = sel.endpointsByLane(report.endpoints);
  const { rows, laneRow, other } = chooseLanes(sel, opts.maxLanes ?? 40);
  let span = 0;
  for (let i = 0; i < n; i++) if (sel.times[i] > span) span = sel.times[i];
  if (span <= 0) span = 1;
  const d0 = -span * 0.02;
  const d1 = span * 1.02;
  const x = (t: number) => TL.plotX0 + ((t - d0) / (d1 - d0)) * (TL.plotX1 - TL.plotX0);
  const laneCount = rows.length + (other > 0 ? 1 : 0);
  const height = TL.top + laneCount * TL.lane + 8;
  const laneY = (r: number) => TL.top + r * TL.lane;
  const out: string[] = [];
  const base = sel.firstStart;

  out.push('<section id="timeline" aria-labelledby="h-timeline">\n<h2 id="h-timeline">Timeline</h2>\n');
  out.push(`<p class="hint">Time runs left to right from the first SYN (${esc(base)}, +0 s); one lane per server endpoint${binned ? `; ${n.toLocaleString('en-US')} attempts are binned per lane (bar height: attempts in the bin, colours: their verdicts), with a mark for each attempt that has a ladder` : ', one mark per attempt'}. Drag across the lanes to zoom to a time range. Tab to a mark, move with the arrow keys (left and right along a lane, up and down between lanes), Enter opens its ladder.</p>\n`);
  out.push('<div class="controls"><button type="button" data-zoom="in">Zoom in</button> <button type="button" data-zoom="out">Zoom out</button> <button type="button" data-zoom="reset">Whole capture</button> <span id="range" aria-live="polite"></span></div>\n');
  out.push(legend(report));
  out.push(`<div class="tl-wrap"><svg id="tl" viewBox="0 0 ${TL.width} ${height}" width="${TL.width}" height="${height}" role="group" aria-labelledby="tl-title tl-desc" data-mode="${binned ? 'bins' : 'marks'}" data-attempts="${n}" data-d0="${d0}" data-d1="${d1}" data-x0="${TL.plotX0}" data-x1="${TL.plotX1}">\n`);
  out.push(`<title id="tl-title">Timeline of ${plural(n, 'connection attempt')} over ${esc(duration(span))}</title>\n`);
  out.push(`<desc id="tl-desc">${esc(timelineDesc(report, endpoints))}</desc>\n`);
  out.push(symbols());
  out.push(`<clipPath id="plot"><rect x="${TL.plotX0 - 8}" y="0" width="${TL.plotX1 - TL.plotX0 + 16}" height="${height}"/></clipPath>\n`);
  out.push(`<g class="axis" aria-hidden="true"><line x1="${TL.plotX0}" x2="${TL.plotX1}" y1="${TL.top - 4}" y2="${TL.top - 4}"/><text x="${x(0)}" y="${TL.top - 10}" class="tick">+0 s</text><text x="${x(span)}" y="${TL.top - 10}" class="tick">${esc(`+${duration(span)}`)}</text></g>\n`);

  const laneLabel = (r: number, key: string, e: EndpointReport | undefined, count: number) => {
    const y = laneY(r);
    const counts = e ? verdictCounts(e.verdicts).join(', ') : '';
    const label = `${key}: ${plural(count, 'attempt')}${counts ? ` (${counts})` : ''}${e ? `; ${e.diagnosis}` : ''}`;
    return `<g class="lane" data-row="${r}" aria-label="${esc(label)}"><rect class="lane-bg" x="0" y="${y}" width="${TL.width}" height="${TL.lane}"/><text class="lane-label" x="${TL.plotX0 - 12}" y="${y + TL.lane / 2 + 4}"><title>${esc(label)}</title>${esc(clip(key, 34))}</text><line class="lane-line" x1="${TL.plotX0}" x2="${TL.plotX1}" y1="${y + TL.lane / 2}" y2="${y + TL.lane / 2}"/></g>\n`;
  };
  const perLane = new Int32Array(sel.laneKeys.length);
  for (let i = 0; i < n; i++) perLane[sel.lanes[i]]++;
  rows.forEach((lane, r) => out.push(laneLabel(r, sel.laneKeys[lane], endpoints[lane], perLane[lane])));
  if (other > 0) {
    let count = 0;
    for (let l = 0; l < perLane.length; l++) if (laneRow[l] === rows.length) count += perLane[l];
    out.push(laneLabel(rows.length, `${other} other endpoints`, undefined, count));
  }
  out.push('<g class="marks" clip-path="url(#plot)">\n');
  if (binned) out.push(bins(sel, laneRow, laneCount, d0, d1, opts.bins ?? 100, laneY));
  for (let i = 0; i < n; i++) {
    const ladder = sel.ladders[i] === 1;
    if (binned && !ladder) continue;
    out.push(mark(sel, i, x(sel.times[i]), laneY(laneRow[sel.lanes[i]]) + TL.lane / 2, ladder, endpoints[sel.lanes[i]]));
  }
  out.push('</g>\n');
  out.push(`<rect class="brush" x="0" y="${TL.top}" width="0" height="${laneCount * TL.lane}" hidden/>\n`);
  out.push('</svg></div>\n<div id="tip" role="status" hidden></div>\n</section>\n');
  return out.join('');
}

/** Lanes to draw: all, or the `max - 1` with most failures (then most attempts), in first-seen order, and one shared lane. */
function chooseLanes(sel: LadderSelection, max: number): { rows: number[]; laneRow: Int32Array; other: number } {
  const lanes = sel.laneKeys.length;
  const laneRow = new Int32Array(lanes);
  if (lanes <= max) {
    for (let l = 0; l < lanes; l++) laneRow[l] = l;
    return { rows: [...Array(lanes).keys()], laneRow, other: 0 };
  }
  const failing = new Int32Array(lanes);
  const total = new Int32Array(lanes);
  for (let i = 0; i < sel.count; i++) {
    total[sel.lanes[i]]++;
    if (sel.verdicts[i] !== 0) failing[sel.lanes[i]]++;
  }
  const ranked = [...Array(lanes).keys()].sort((a, b) => failing[b] - failing[a] || total[b] - total[a] || a - b);
  const rows = ranked.slice(0, max - 1).sort((a, b) => a - b);
  laneRow.fill(rows.length);
  rows.forEach((l, r) => { laneRow[l] = r; });
  return { rows, laneRow, other: lanes - rows.length };
}

function mark(sel: LadderSelection, i: number, x: number, y: number, ladder: boolean, e: EndpointReport | undefined): string {
  const v = sel.verdictOf(i);
  const server = sel.laneKeys[sel.lanes[i]];
  const client = sel.clients[i];
  const t = sel.times[i];
  const what = `${v}: ${client ? `${client} to ` : ''}${server} at +${duration(t)}`;
  const use = `<use href="#s-${v}" x="${num(x)}" y="${num(y)}"/>`;
  const data = `id="tl-m${i + 1}" data-i="${i}" data-t="${t}" data-v="${v}"`;
  if (ladder) return `<a class="mk" href="#L${i + 1}" ${data} aria-label="${esc(`${what}; open its ladder`)}">${use}</a>\n`;
  const port = e ? e.server.port : Number(server.slice(server.lastIndexOf(':') + 1)) || 0;
  const host = client ? client.replace(/^\[/, '').replace(/\]?:\d+$/, '') : e?.server.ip ?? '';
  const how = `no ladder in this report: --host ${host} --port ${port} draws it`;
  return `<g class="mk" tabindex="0" role="img" ${data} aria-label="${esc(`${what}; ${how}`)}">${use}</g>\n`;
}

/** Per lane, attempts counted into bins across the whole span, stacked by verdict. */
function bins(sel: LadderSelection, laneRow: Int32Array, laneCount: number, d0: number, d1: number, binCount: number, laneY: (r: number) => number): string {
  const nv = VERDICTS.length;
  const counts = new Int32Array(laneCount * binCount * nv);
  const width = (d1 - d0) / binCount;
  for (let i = 0; i < sel.count; i++) {
    const b = Math.min(binCount - 1, Math.max(0, Math.floor((sel.times[i] - d0) / width)));
    counts[(laneRow[sel.lanes[i]] * binCount + b) * nv + sel.verdicts[i]]++;
  }
  // Heights are relative to each lane's fullest bin (a tooltip gives the counts): one busy lane
  // must not flatten the others.
  const laneMax = new Int32Array(laneCount).fill(1);
  for (let k = 0; k < laneCount * binCount; k++) {
    let sum = 0;
    for (let v = 0; v < nv; v++) sum += counts[k * nv + v];
    const r = Math.floor(k / binCount);
    if (sum > laneMax[r]) laneMax[r] = sum;
  }
  const out: string[] = ['<g class="bins">'];
  const plotW = TL.plotX1 - TL.plotX0;
  const binW = plotW / binCount;
  for (let r = 0; r < laneCount; r++) {
    for (let b = 0; b < binCount; b++) {
      const k = r * binCount + b;
      let sum = 0;
      for (let v = 0; v < nv; v++) sum += counts[k * nv + v];
      if (sum === 0) continue;
      // Square-root heights: a bin of 4 attempts stays visible beside one of 400.
      const h = Math.max(3, (TL.lane - 4) * Math.sqrt(sum / laneMax[r]));
      let y = laneY(r) + TL.lane - 2;
      const rects: string[] = [];
      const text: string[] = [];
      for (let v = 0; v < nv; v++) {
        const c = counts[k * nv + v];
        if (c === 0) continue;
        const seg = (h * c) / sum;
        y -= seg;
        rects.push(`<rect y="${num(y)}" width="1" height="${num(seg)}" fill="${VERDICT_STYLE[VERDICTS[v]].colour}"/>`);
        text.push(`${VERDICTS[v]} ${c}`);
      }
      const t0 = d0 + b * width;
      out.push(`\n<g class="bin" data-t0="${t0}" data-t1="${t0 + width}" data-c="${esc(text.join(', '))}" transform="translate(${num(TL.plotX0 + b * binW)},0) scale(${num(binW)},1)">${rects.join('')}</g>`);
    }
  }
  out.push('</g>\n');
  return out.join('');
}

function symbols(): string {
  return `<defs>${VERDICTS.map((v) => `<symbol id="s-${v}" overflow="visible"><path d="${VERDICT_STYLE[v].shape}" fill="${VERDICT_STYLE[v].colour}" stroke="#222" stroke-width="0.8"/></symbol>`).join('')}</defs>\n`;
}

function legend(report: Report): string {
  const items = VERDICTS.map((v) => {
    const n = report.summary.verdicts[v] ?? 0;
    const st = VERDICT_STYLE[v];
    return `<li${n ? '' : ' class="none"'}><svg width="16" height="16" viewBox="-8 -8 16 16" aria-hidden="true"><path d="${st.shape}" fill="${st.colour}" stroke="#222" stroke-width="0.8"/></svg> <span>${v}</span> <span class="shape">(${st.shapeName})</span> <b>${n}</b></li>`;
  });
  return `<ul class="legend" aria-label="Verdicts: colour, shape and count">${items.join('')}</ul>\n`;
}

function timelineDesc(report: Report, endpoints: Array<EndpointReport | undefined>): string {
  const lines = endpoints.slice(0, 40).filter((e): e is EndpointReport => e !== undefined)
    .map((e) => `${endpointToString(e.server.ip, e.server.port)}: ${verdictCounts(e.verdicts).join(', ')} from ${e.first} to ${e.last}`);
  return `${summaryLine(report)}. ${lines.join('. ')}${endpoints.length > 40 ? `. And ${endpoints.length - 40} more endpoints (see the endpoint table)` : ''}.`;
}

// ---------------------------------------------------------------- endpoint table

/** Endpoint rows laid out at once; the rest wait in a closed <details> (a table of thousands of rows is most of a large report's layout time). */
const OPEN_ROWS = 100;

function endpointTable(endpoints: EndpointReport[]): string {
  const rows = endpoints.map((e) => {
    const chips = VERDICTS.filter((v) => e.verdicts[v]).map((v) => `<span class="chip"><svg width="12" height="12" viewBox="-7 -7 14 14" aria-hidden="true"><path d="${VERDICT_STYLE[v].shape}" fill="${VERDICT_STYLE[v].colour}" stroke="#222" stroke-width="0.8"/></svg> ${v} ${e.verdicts[v]}</span>`).join('<br>');
    const hints = e.hints.map((h) => `<code>${esc(h)}</code>`).join('<br>');
    const vlan = e.vlan?.length ? ` <span class="vlan">vlan ${e.vlan.join('.')}</span>` : '';
    return `<tr><th scope="row"><code>${esc(endpointToString(e.server.ip, e.server.port))}</code>${vlan}</th><td class="n">${e.attempts}</td><td>${chips}</td><td>${esc(e.diagnosis)}</td><td class="hints">${hints}</td></tr>`;
  });
  const head = '<thead><tr><th scope="col">server</th><th scope="col">attempts</th><th scope="col">verdicts</th><th scope="col">diagnosis</th><th scope="col">next steps</th></tr></thead>';
  const table = (list: string[], caption: string) => `<div class="table-wrap"><table>\n<caption>${caption}</caption>\n${head}\n<tbody>\n${list.join('\n')}\n</tbody></table></div>\n`;
  const out = ['<section id="endpoints" aria-labelledby="h-endpoints">\n<h2 id="h-endpoints">Endpoints</h2>\n'];
  out.push(table(rows.slice(0, OPEN_ROWS), 'One row per server endpoint, in order of first attempt: the verdicts of its attempts, the diagnosis and the commands to run next (as in the terminal table)'));
  if (rows.length > OPEN_ROWS) out.push(`<details class="more-rows"><summary>${rows.length - OPEN_ROWS} more endpoints</summary>\n${table(rows.slice(OPEN_ROWS), `Endpoints ${OPEN_ROWS + 1} to ${rows.length}`)}</details>\n`);
  out.push('</section>\n');
  return out.join('');
}

function warnings(list: string[]): string {
  if (!list.length) return '';
  return `<section id="warnings" aria-labelledby="h-warnings">\n<h2 id="h-warnings">Warnings</h2>\n<ul>${list.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>\n</section>\n`;
}

// ---------------------------------------------------------------- ladders

function ladderSection(report: Report, sel: LadderSelection, ladders: LadderData[], command: string, unread: string[]): string {
  const out: string[] = ['<section id="ladders" aria-labelledby="h-ladders">\n<h2 id="h-ladders">Ladders</h2>\n'];
  const left = sel.leftOut();
  const { perVerdict, healthy } = sel.sizes;
  let note = `${plural(ladders.length, 'attempt')} of ${report.summary.attempts} drawn as ladders`;
  if (left.length === 0) note += ': every attempt of the capture.';
  else {
    note += ` (a sample spread over the capture: up to ${perVerdict} of each failing verdict, ${perVerdict} established attempts delayed by a listen queue, and ${healthy} healthy ones); left out: ${esc(left.map((k) => `${k.left} of ${k.seen} ${k.kind}`).join(', '))}.`;
    note += ` To draw one, run the report for its client and server port: <code>${esc(command)} --host CLIENT --port PORT --format html -o attempt.html</code> (the mark's tooltip names them).`;
  }
  out.push(`<p class="hint">${note}</p>\n`);
  if (unread.length) out.push(`<p class="hint">${esc(`${unread.join(', ')} could not be read a second time (standard input or a pipe), so these ladders show no packets: write the capture to a file (tcpdump -w FILE) and run the report on the file.`)}</p>\n`);
  out.push(ARROW_MARKERS);
  for (const d of ladders) out.push(ladder(d, report));
  out.push('</section>\n');
  return out.join('');
}

/** Where a packet's arrow starts and ends. */
type Node = 'client' | 'server' | 'middle';

interface Arrow {
  p: LadderPacket;
  from: Node;
  to: Node;
  label: string;
  kind: 'syn' | 'synack' | 'rst' | 'icmp' | 'fin' | 'ack';
  retransmit: boolean;
  deciding: boolean;
}

const ARROW_COLOURS = { dark: '#333333', blue: '#0072B2', red: '#D55E00', orange: '#B36B00' } as const;
const ARROW_MARKERS = `<svg width="0" height="0" class="defs" aria-hidden="true"><defs>${Object.entries(ARROW_COLOURS).map(([k, c]) => `<marker id="ah-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0L10,5L0,10Z" fill="${c}"/></marker>`).join('')}</defs></svg>\n`;

function kindColour(kind: Arrow['kind']): keyof typeof ARROW_COLOURS {
  return kind === 'synack' ? 'blue' : kind === 'rst' ? 'red' : kind === 'icmp' ? 'orange' : 'dark';
}

/** TCP flag names in bit order, as tshark prints them (`SYN, ACK`, `FIN, PSH, ACK`). */
export function flagNames(flags: number): string {
  const names: string[] = [];
  if (flags & TcpFlag.FIN) names.push('FIN');
  if (flags & TcpFlag.SYN) names.push('SYN');
  if (flags & TcpFlag.RST) names.push('RST');
  if (flags & TcpFlag.PSH) names.push('PSH');
  if (flags & TcpFlag.ACK) names.push('ACK');
  if (flags & TcpFlag.URG) names.push('URG');
  if (flags & TcpFlag.ECE) names.push('ECE');
  if (flags & TcpFlag.CWR) names.push('CWR');
  return names.join(', ') || 'none';
}

/** The arrows of a ladder: who sent each packet, its label, retransmissions, deciding frames. */
/** The third line of a ladder: who sent an ICMP error or forged a reset, and what is known of it. */
interface Middle {
  role: 'ICMP sender' | 'forging device';
  detail: string;
}

function arrows(d: LadderData, fileIndex: number): { list: Arrow[]; middle: Middle | null } {
  const a = d.attempt;
  const deciding = new Set(a.frames);
  const forged = a.verdict === 'forged-reset';
  let middle: Middle | null = null;
  let clientSyn = false;
  let synAck = false;
  const dataSeen = [new Set<number>(), new Set<number>()];
  const list = d.packets.map((p): Arrow => {
    const isDeciding = p.file === fileIndex && deciding.has(p.frame);
    let from: Node = p.dir === 'c2s' ? 'client' : 'server';
    let to: Node = p.dir === 'c2s' ? 'server' : 'client';
    let kind: Arrow['kind'] = 'ack';
    let label = flagNames(p.flags);
    let retransmit = false;
    if (p.dir === 'icmp' && p.icmp) {
      kind = 'icmp';
      label = `ICMP${a.server.ip.includes(':') ? 'v6' : ''} ${p.icmp.name}`;
      if (p.icmp.sender !== a.server.ip) {
        from = 'middle';
        middle ??= { role: 'ICMP sender', detail: p.icmp.sender };
      }
    } else if (p.flags & TcpFlag.RST) {
      kind = 'rst';
      // The RST the verdict calls forged comes from the device that forged it, not the server.
      const unlikeServer = a.ttl.server !== undefined && p.ttl !== a.ttl.server;
      if (forged && p.dir === 's2c' && (isDeciding || unlikeServer)) {
        from = 'middle';
        const closer = a.hops.server !== undefined ? a.hops.server - hopsOf(p.ttl) : NaN;
        middle ??= { role: 'forging device', detail: closer > 0 ? `${plural(closer, 'hop')} before the server` : 'on the path' };
      }
    } else if (p.flags & TcpFlag.SYN) {
      kind = p.flags & TcpFlag.ACK ? 'synack' : 'syn';
      if (kind === 'syn') { retransmit = clientSyn; clientSyn = true; } else { retransmit = synAck; synAck = true; }
    } else if (p.flags & TcpFlag.FIN) kind = 'fin';
    if (p.len > 0 && p.dir !== 'icmp') {
      const seen = dataSeen[p.dir === 'c2s' ? 0 : 1];
      if (seen.has(p.seq)) retransmit = true;
      seen.add(p.seq);
      label += ` · ${plural(p.len, 'byte')}`;
    }
    return { p, from, to, label, kind, retransmit, deciding: isDeciding };
  });
  return { list, middle };
}

function ladder(d: LadderData, report: Report): string {
  const a = d.attempt;
  const files = report.summary.files;
  const fileIndex = Math.max(0, files.indexOf(a.file));
  const { list, middle } = arrows(d, fileIndex);
  const timeout = report.summary.handshakeTimeoutSec;
  const xs: Record<Node, number> = { client: LD.client, server: LD.server, middle: LD.middle };
  // Where the handshake timeout falls among the rows (time runs down, one row per packet).
  const unanswered = a.verdict === 'filtered' || a.verdict === 'backlog-drop' || a.verdict === 'incomplete' || a.flags.includes('syn-retransmit');
  const late = list.findIndex((w) => w.p.t > timeout);
  const timeoutRow = late >= 0 ? late : unanswered ? list.length : -1;
  const rowY = (k: number) => LD.top + 16 + k * LD.row + (timeoutRow >= 0 && k >= timeoutRow ? 22 : 0);
  const bottom = rowY(list.length) + (timeoutRow === list.length ? 22 : 0) + (d.more ? 18 : 0);
  const id = `L${d.index + 1}`;
  const client = endpointToString(a.client.ip, a.client.port);
  const server = endpointToString(a.server.ip, a.server.port);
  const several = files.length > 1;
  const g: string[] = [];
  const head = (node: Node, name: string, addr: string) => `<g class="node"><text x="${xs[node]}" y="18" class="node-name">${esc(name)}</text><text x="${xs[node]}" y="34" class="node-addr">${esc(addr)}</text><line x1="${xs[node]}" x2="${xs[node]}" y1="${LD.top - 12}" y2="${bottom}"/></g>`;
  g.push(head('client', 'client', client));
  if (middle) g.push(head('middle', middle.role, middle.detail));
  g.push(head('server', 'server', server));
  list.forEach((w, k) => {
    const y = rowY(k);
    const x1 = xs[w.from];
    const x2 = xs[w.to];
    const colour = kindColour(w.kind);
    const where = `${several ? `${files[w.p.file]}:` : ''}#${w.p.frame}`;
    const ttl = `TTL ${w.p.ttl} (${plural(hopsOf(w.p.ttl), 'hop')})`;
    const cls = `pk${w.deciding ? ' dec' : ''}${w.retransmit ? ' rtx' : ''}`;
    const label = `${w.label}${w.retransmit ? ' (retransmission)' : ''}`;
    g.push(`<g class="${cls}" data-from="${w.from}" data-to="${w.to}" data-kind="${w.kind}" data-flags="${esc(w.p.dir === 'icmp' ? 'ICMP' : flagNames(w.p.flags))}" data-frame="${w.p.frame}" data-t="${w.p.t}">`
      + `<text x="${LD.client - 14}" y="${y + 10}" class="t">+${esc(duration(w.p.t))}</text>`
      + `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y + 12}" stroke="${ARROW_COLOURS[colour]}" marker-end="url(#ah-${colour})"${w.retransmit ? ' stroke-dasharray="6 4"' : ''}/>`
      + `<text x="${(x1 + x2) / 2}" y="${y - 2}" class="lbl">${esc(label)}</text>`
      + `<text x="${LD.server + 12}" y="${y + 10}" class="meta">${esc(`${where} · ${ttl}`)}</text></g>`);
  });
  if (timeoutRow >= 0) {
    const y = timeoutRow === list.length ? rowY(list.length) - LD.row + 22 + 6 : rowY(timeoutRow) - 18;
    g.push(`<g class="timeout"><line x1="${LD.client - 10}" x2="${LD.server + 10}" y1="${y}" y2="${y}"/><text x="${LD.server + 12}" y="${y + 4}">${esc(`handshake timeout (${timeout} s)`)}</text></g>`);
  }
  if (d.more) g.push(`<text class="more" x="${LD.client}" y="${bottom - 2}">${esc(`… ${plural(d.more, 'more packet')} of this connection not drawn`)}</text>`);
  const desc = list.map((w, k) => `${k + 1}. +${duration(w.p.t)}: ${w.from === 'middle' && middle ? `${middle.role} (${middle.detail})` : w.from} to ${w.to}, ${w.label}${w.retransmit ? ' (retransmission)' : ''}, frame ${w.p.frame}, TTL ${w.p.ttl}${w.deciding ? ', decided the verdict' : ''}.`).join(' ');
  const svg = `<svg class="ladder-svg" viewBox="0 0 ${LD.width} ${bottom + 8}" width="${LD.width}" height="${bottom + 8}" role="img" aria-labelledby="${id}-t ${id}-d"><title id="${id}-t">${esc(`Ladder of attempt ${d.index + 1}: ${client} to ${server}, ${a.verdict}`)}</title><desc id="${id}-d">${esc(desc || 'No packets of this attempt were found in a second read of the capture.')}</desc>${g.join('')}</svg>`;
  const st = VERDICT_STYLE[a.verdict];
  const facts: Array<[string, string]> = [
    ['verdict', a.verdict], ['flags', a.flags.join(', ') || 'none'], ['SYNs', String(a.synCount)],
    ['RTT', a.rttMs === null ? 'none' : `${a.rttMs.toFixed(1)} ms`], ['answer after', a.answerMs === null ? 'none' : `${a.answerMs.toFixed(1)} ms`],
    ['history', a.history], ['deciding frames', `${several ? `${a.file}: ` : ''}${a.frames.join(', ')}`], ['start', a.start],
  ];
  if (a.icmp) facts.push(['ICMP', `${a.icmp.name} from ${a.icmp.sender}${a.icmp.senderIsServer ? ' (the server)' : ''}`]);
  return `<article class="ladder${isFailing(a) ? ' failing' : ''}" id="${id}" tabindex="-1" data-verdict="${a.verdict}" aria-labelledby="${id}-h">`
    + `<h3 id="${id}-h"><svg width="14" height="14" viewBox="-7 -7 14 14" aria-hidden="true"><path d="${st.shape}" fill="${st.colour}" stroke="#222" stroke-width="0.8"/></svg> Attempt ${d.index + 1}: <code>${esc(client)}</code> → <code>${esc(server)}</code> <span class="verdict">${a.verdict}</span> <a class="back" href="#tl-m${d.index + 1}" data-back="${d.index}">back to the timeline</a></h3>`
    + `<div class="ladder-body"><div class="ladder-draw">${svg}</div><div class="facts"><p class="reason">${esc(a.reason)}</p><dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl></div></div></article>\n`;
}

// ---------------------------------------------------------------- text helpers

function verdictCounts(v: Partial<Record<Verdict, number>>): string[] {
  return VERDICTS.filter((k) => v[k]).map((k) => `${k} ${v[k]}`);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

/** A file name as a shell word (quoted when it needs to be). */
function shellWord(s: string): string {
  return /^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

