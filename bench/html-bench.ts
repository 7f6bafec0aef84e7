/**
 * The HTML report at scale (issue 16): its size and how fast a browser opens it.
 *
 *   node dist/bench/html-bench.js [--size-mb 200] [--seed 1] [--runs 3] [--chromium /usr/bin/chromium]
 *
 * 1. Generates bench/data/bench-<size>mb-seed<seed>.pcap unless it is there (as bench/run.ts does).
 * 2. Interleaved runs of `synscope analyze F -F json --workers 1 -o /dev/null` and
 *    `synscope analyze F -F html -o report.html`: wall time (the parent's clock) of each.
 * 3. The report's size, gzipped size and what it holds (lanes, bins, marks, ladders, bytes per part).
 * 4. In headless Chromium (playwright-core, the system's browser): per run a fresh page, the
 *    navigation's DOMContentLoaded and load times, first paint, the time to two animation frames
 *    after `goto` (all parsed, laid out and painted), and a click on "Zoom in".
 * Prints markdown for bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { generate } from './generate.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SYNSCOPE = join(ROOT, 'bin', 'synscope.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const sizeMb = Number(arg('size-mb', '200'));
const seed = Number(arg('seed', '1'));
const runs = Number(arg('runs', '3'));
const chromiumPath = arg('chromium', '/usr/bin/chromium');
const file = join(ROOT, 'bench', 'data', `bench-${sizeMb}mb-seed${seed}.pcap`);
const out = join(tmpdir(), `synscope-html-bench-${process.pid}.html`);

function timed(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [SYNSCOPE, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`synscope ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs: number[], digits = 2) => `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;

if (!existsSync(file)) {
  mkdirSync(dirname(file), { recursive: true });
  await generate({ out: file, sizeMb, seed });
}
const json: number[] = [];
const html: number[] = [];
for (let i = 0; i < runs; i++) {
  json.push(timed(['analyze', file, '-F', 'json', '--workers', '1', '-q', '-o', '/dev/null']));
  html.push(timed(['analyze', file, '-F', 'html', '-q', '-o', out]));
}
const text = readFileSync(out, 'utf8');
const at = (s: string) => text.indexOf(s);
const parts = {
  timeline: at('<section id="endpoints"') - at('<section id="timeline"'),
  endpoints: at('<section id="ladders"') - at('<section id="endpoints"'),
  ladders: at('</main>') - at('<section id="ladders"'),
};
const count = (s: string) => text.split(s).length - 1;

const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
const loads: Array<{ dcl: number; load: number; paint: number; frame: number; zoom: number }> = [];
for (let i = 0; i < runs; i++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const t0 = performance.now();
  await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const frame = performance.now() - t0;
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const p = performance.getEntriesByName('first-paint')[0];
    return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, paint: p ? p.startTime : NaN };
  });
  const t1 = performance.now();
  await page.click('[data-zoom="in"]');
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  loads.push({ ...nav, frame, zoom: performance.now() - t1 });
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  await page.close();
}
await browser.close();
const version = spawnSync(chromiumPath, ['--version'], { encoding: 'utf8' }).stdout.trim();

const kb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const lines = [
  `- capture: \`${file.slice(ROOT.length + 1)}\` (${(statSync(file).size / 1e6).toFixed(1)} MB); ${runs} interleaved runs each; ${version}, headless, 1280x900`,
  `- analyze wall time: \`-F json --workers 1 -o /dev/null\` ${range(json)} s (median ${median(json).toFixed(2)}), \`-F html -o report.html\` ${range(html)} s (median ${median(html).toFixed(2)})`,
  `- report: ${kb(text.length)} (${kb(gzipSync(text).length)} gzipped): timeline ${kb(parts.timeline)} (${count('class="lane"')} lanes, ${count('class="bin"')} bins, ${count('class="mk"')} marks), endpoint table ${kb(parts.endpoints)} (${count('<th scope="row">')} rows), ladders ${kb(parts.ladders)} (${count('<article')})`,
  `- browser, ms (range of ${runs}): DOMContentLoaded ${range(loads.map((l) => l.dcl), 0)}, load ${range(loads.map((l) => l.load), 0)}, first paint ${range(loads.map((l) => l.paint), 0)}, goto to two frames painted ${range(loads.map((l) => l.frame), 0)}, "Zoom in" click to two frames ${range(loads.map((l) => l.zoom), 0)}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
