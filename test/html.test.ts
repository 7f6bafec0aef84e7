/**
 * `analyze --format html` (issue 16): reports of real-kernel fixtures rendered in a real headless
 * browser (Debian's chromium, driven by playwright-core, which downloads no browser of its own).
 * Skipped with a message where chromium or playwright-core is missing, except with CI=true,
 * where it must run. Screenshots go to $SYNSCOPE_ARTIFACTS (default test-artifacts/, git-ignored).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyze } from '../src/analyze.js';
import { HtmlReport } from '../src/ladder/html-report.js';
import { sampleKind } from '../src/report/html/select.js';
import type { Report } from '../src/report/model.js';
import { oneLine, root, run } from './helpers/cli-run.js';

const CHROMIUM = process.env.SYNSCOPE_CHROMIUM ?? '/usr/bin/chromium';
const CI = process.env.CI === 'true';
const artifacts = process.env.SYNSCOPE_ARTIFACTS ?? join(root, 'test-artifacts');
const tmp = mkdtempSync(join(tmpdir(), 'synscope-html-'));
// Relative to the repository, where the binary runs (cli-run.ts): the report names the file as given.
const basic = 'fixtures/basic-v4-client.pcap';
const backlog = 'fixtures/backlog-abort-v4-client.pcap';
const router6 = 'fixtures/basic-v6-router.pcapng';

// The browser API, typed loosely: playwright-core is a devDependency that may be missing.
type Page = any;
let browser: any = null;
let why = '';

before(async () => {
  if (!existsSync(CHROMIUM)) why = `no browser at ${CHROMIUM} (apt-get install chromium)`;
  else {
    try {
      const { chromium } = await import('playwright-core') as any;
      // As root, chromium refuses to start without --no-sandbox.
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
    } catch (e) {
      why = `the browser could not be started through playwright-core: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  if (why && CI) throw new Error(`CI=true, so the HTML report test must run, but ${why}`);
});

after(async () => { await browser?.close(); });

/** Skip with the reason where no browser can run (never in CI: `before` fails there). */
function needsBrowser(): { skip?: string } {
  return why ? { skip: `HTML report browser test skipped: ${why}` } : {};
}

/** Opens a report file; collects console errors, page errors and any request that leaves the file. */
async function open(file: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.setDefaultTimeout(5_000);
  const problems: string[] = [];
  page.on('console', (m: any) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e: Error) => problems.push(`page error: ${e.message}`));
  page.on('request', (r: any) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`request: ${r.url()}`); });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 20_000 });
  return { page, problems };
}

function htmlOf(capture: string, name: string, extra: string[] = []): string {
  const out = join(tmp, name);
  const r = run(['analyze', capture, '--format', 'html', '-o', out, ...extra]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '', 'with -o nothing goes to stdout');
  return out;
}

function jsonOf(capture: string): Report {
  const r = run(['analyze', capture, '--format', 'json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

/** The arrows of the ladder of attempt `n` (1-based): from, to, flags, frame. */
async function arrowsOf(page: Page, n: number): Promise<string[]> {
  return page.$$eval(`#L${n} .pk`, (els: Element[]) => els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')} ${e.getAttribute('data-flags')} #${e.getAttribute('data-frame')}${e.classList.contains('rtx') ? ' rtx' : ''}`));
}

function ladderOf(report: Report, pick: (a: Report['attempts'][number]) => boolean): number {
  const i = report.attempts.findIndex(pick);
  assert.ok(i >= 0, 'the fixture holds such an attempt');
  return i + 1;
}

test('-F html to stdout is the same document as -o; -o works for table and json too', () => {
  const file = htmlOf(basic, 'same.html');
  const r = run(['analyze', basic, '-F', 'html']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(file, 'utf8'));
  assert.match(r.stdout, /^<!DOCTYPE html>/);
  // Self-contained: no external reference of any kind.
  assert.doesNotMatch(r.stdout, /(src|href)="(https?:)?\/\//);
  assert.doesNotMatch(r.stdout, /@import|url\((?!#)/);
  for (const format of ['table', 'json', 'ndjson']) {
    const out = join(tmp, `out.${format}`);
    const w = run(['analyze', basic, '-F', format, '-o', out]);
    assert.equal(w.status, 0, w.stderr);
    assert.equal(w.stdout, '');
    assert.equal(readFileSync(out, 'utf8'), run(['analyze', basic, '-F', format]).stdout, `-o ${format}`);
  }
});

test('-o errors: one line naming the path, exit 2, before the analysis', () => {
  oneLine(run(['analyze', basic, '-F', 'html', '-o', join(tmp, 'no-such-dir', 'r.html')]), /-o .*no-such-dir\/r\.html: cannot write the report there \(its folder does not exist\)/);
  oneLine(run(['analyze', basic, '-F', 'html', '-o', tmp]), /cannot write the report there \(it is a directory\)/);
  oneLine(run(['analyze', basic, '-F', 'json', '--workers', '2', '-o', join(tmp, 'w.json')]), /--workers 2 writes to standard output/);
  oneLine(run(['analyze', basic, '-F', 'pdf']), /pdf/);
  // A write that fails after the open (a full disk): one line too, not a stack trace.
  if (existsSync('/dev/full')) oneLine(run(['analyze', basic, '-F', 'html', '-o', '/dev/full']), /-o \/dev\/full: writing the report failed \(ENOSPC\)/);
});

test('standard input: the report is drawn, and says the ladders could not read the packets again', () => {
  const r = run(['analyze', '-', '-F', 'html'], { input: readFileSync(join(root, basic)) });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /could not be read a second time \(standard input or a pipe\)/);
  assert.equal((r.stdout.match(/class="mk"/g) ?? []).length, 13);
});

test('the report in a browser: marks per attempt, ladders of refused, rejected and forged-reset attempts', needsBrowser(), async () => {
  const report = jsonOf(basic);
  const { page, problems } = await open(htmlOf(basic, 'basic-v4-client.html'));
  try {
    assert.equal(await page.getAttribute('#tl', 'data-mode'), 'marks');
    const marks: string[] = await page.$$eval('#tl .mk', (els: Element[]) => els.map((e) => e.getAttribute('data-v') ?? ''));
    assert.equal(marks.length, report.summary.attempts, 'one timeline mark per attempt');
    assert.deepEqual(marks, report.attempts.map((a) => a.verdict), 'each mark carries its attempt\'s verdict, in order');
    assert.equal(await page.locator('#tl .lane').count(), report.endpoints.length, 'one lane per server endpoint');
    assert.equal(await page.locator('#endpoints tbody tr').count(), report.endpoints.length);
    assert.match(await page.textContent('#endpoints'), /nothing listening: the host itself answers RST/);
    assert.match(await page.textContent('#endpoints'), /ss -ltnp 'sport = :8081'/);

    const refused = ladderOf(report, (a) => a.verdict === 'refused');
    assert.deepEqual(await arrowsOf(page, refused), ['client>server SYN #17', 'server>client RST, ACK #18']);
    const hostReject = ladderOf(report, (a) => a.verdict === 'rejected' && a.icmp?.senderIsServer === true);
    assert.deepEqual(await arrowsOf(page, hostReject), ['client>server SYN #28', 'server>client ICMP #29']);
    const routerReject = ladderOf(report, (a) => a.verdict === 'rejected' && a.icmp?.senderIsServer === false);
    assert.deepEqual(await arrowsOf(page, routerReject), ['client>server SYN #32', 'middle>client ICMP #33']);
    assert.match(await page.locator(`#L${routerReject} .node`).nth(1).textContent(), /ICMP sender.*198\.51\.100\.1/);
    const forged = ladderOf(report, (a) => a.verdict === 'forged-reset');
    assert.deepEqual(await arrowsOf(page, forged), ['client>server SYN #42', 'middle>client RST, ACK #43']);
    assert.match(await page.locator(`#L${forged} .node`).nth(1).textContent(), /forging device.*1 hop before the server/);
    const filtered = ladderOf(report, (a) => a.verdict === 'filtered');
    assert.deepEqual(await arrowsOf(page, filtered), ['client>server SYN #23', 'client>server SYN #24 rtx', 'client>server SYN #27 rtx']);
    assert.equal(await page.locator(`#L${filtered} .timeout`).count(), 1, 'the handshake timeout is drawn');
    assert.match(await page.textContent(`#L${forged} .reason`), /not sent by 203\.0\.113\.20/);
    // Text alternatives for every drawing.
    for (const sel of ['#tl', `#L${forged} svg.ladder-svg`]) {
      const ids: string = await page.getAttribute(sel, 'aria-labelledby');
      for (const id of ids.split(' ')) assert.ok((await page.textContent(`#${id}`)).length > 10, `${sel}: ${id} has text`);
    }
    assert.match(await page.textContent(`#L${forged}-d`), /2\. \+5\.5 ms: forging device \(1 hop before the server\) to client, RST, ACK, frame 43/);

    // Hover shows the attempt; a click opens its ladder.
    const mark = page.locator(`#tl-m${refused}`);
    await mark.hover();
    assert.equal(await page.isVisible('#tip'), true);
    assert.match(await page.textContent('#tip'), /^refused: 198\.51\.100\.10:40081 to 203\.0\.113\.20:8081/);
    await mark.click();
    await page.waitForFunction((n: number) => location.hash === `#L${n}`, refused, { timeout: 5_000 });
    assert.equal(await page.evaluate(() => document.activeElement?.id), `L${refused}`);
    assert.equal(await page.locator(`#L${refused}.open`).count(), 1);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'html-ladder-refused.png') });

    // Keyboard: arrows along a lane and between lanes, Enter opens the ladder.
    await page.focus(`#tl-m${refused}`);
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement?.id), `tl-m${refused + 1}`, 'the next attempt to 8081');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.evaluate(() => document.activeElement?.id), `tl-m${refused}`);
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.id), `tl-m${filtered}`, 'the lane below (8082)');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'tl-m1', 'the lane above (8080)');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#L1', null, { timeout: 5_000 });

    // Zoom: a brush across the first seconds keeps only the attempts in that range.
    await page.evaluate(() => window.scrollTo(0, 0));
    const box = await page.locator('#tl').boundingBox();
    const plot = await page.evaluate(() => {
      const svg = document.getElementById('tl')!;
      return { x0: +svg.getAttribute('data-x0')!, x1: +svg.getAttribute('data-x1')!, w: +svg.getAttribute('width')! };
    });
    const px = (ux: number) => box.x + (ux / plot.w) * box.width;
    const y = box.y + box.height / 2;
    const visible = () => page.$$eval('#tl .mk', (els: Element[]) => els.filter((e) => !e.classList.contains('out')).length);
    assert.equal(await visible(), report.summary.attempts);
    await page.mouse.move(px(plot.x0 + 2), y);
    await page.mouse.down();
    await page.mouse.move(px(plot.x0 + (plot.x1 - plot.x0) * 0.2), y, { steps: 5 });
    await page.mouse.up();
    const inRange = await visible();
    assert.ok(inRange > 0 && inRange < report.summary.attempts, `the brush keeps ${inRange} marks`);
    assert.match(await page.textContent('#range'), /^showing \+/);
    assert.equal(await page.isVisible('#tl .brush'), false, 'the brush goes once it has zoomed');
    await page.click('[data-zoom="reset"]');
    assert.equal(await visible(), report.summary.attempts);
    assert.equal(await page.textContent('#range'), 'showing the whole capture');
    await page.click('[data-zoom="in"]');
    assert.ok(await visible() < report.summary.attempts, 'zoom in leaves the attempts at the edges out');
    await page.click('[data-zoom="reset"]');

    await page.screenshot({ path: join(artifacts, 'html-report.png'), fullPage: false });
    await page.locator(`#tl-m${forged}`).click();
    await page.waitForFunction((n: number) => location.hash === `#L${n}`, forged, { timeout: 5_000 });
    await page.screenshot({ path: join(artifacts, 'html-ladders.png'), fullPage: false });
    // Print: the controls go, the drawings stay.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('.controls'), false);
    assert.equal(await page.isVisible('#tl'), true);
    await page.emulateMedia({ media: 'screen' });
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('a backlog-drop ladder (tcp_abort_on_overflow), and an IPv6 router capture with a forged reset', needsBrowser(), async () => {
  const report = jsonOf(backlog);
  const { page, problems } = await open(htmlOf(backlog, 'backlog-abort.html'));
  try {
    assert.equal(await page.locator('#tl .mk').count(), report.summary.attempts);
    const drop = ladderOf(report, (a) => a.verdict === 'backlog-drop');
    assert.deepEqual(await arrowsOf(page, drop), [
      'client>server SYN #10', 'server>client SYN, ACK #14', 'client>server ACK #15', 'client>server PSH, ACK #16',
      'server>client RST #18', 'server>client RST #19',
    ]);
    assert.deepEqual(await page.$$eval(`#L${drop} .pk.dec`, (els: Element[]) => els.map((e) => e.getAttribute('data-frame'))), ['10', '14', '15', '18'], 'the deciding frames are marked');
    assert.match(await page.textContent(`#L${drop} .reason`), /tcp_abort_on_overflow/);
    await page.locator(`#tl-m${drop}`).scrollIntoViewIfNeeded();
    await page.locator(`#L${drop}`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'html-backlog-drop.png') });
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
  const six = jsonOf(router6);
  const { page: p6, problems: problems6 } = await open(htmlOf(router6, 'basic-v6-router.html'));
  try {
    assert.equal(await p6.locator('#tl .mk').count(), six.summary.attempts);
    const forged = ladderOf(six, (a) => a.verdict === 'forged-reset');
    const arrows = await arrowsOf(p6, forged);
    assert.equal(arrows.length, 2);
    assert.match(arrows[0], /^client>server SYN #/);
    assert.match(arrows[1], /^middle>client RST, ACK #/);
    assert.deepEqual(problems6, []);
  } finally {
    await p6.close();
  }
});

test('many attempts: the timeline is binned per lane, with a mark for each drawn ladder only', needsBrowser(), async () => {
  const capture = join(root, 'fixtures', 'burst-v4-client.pcap');
  const html = new HtmlReport({ perVerdict: 6, healthy: 3 }, { maxMarks: 50 });
  const report = await analyze(capture, { onFinal: html.add });
  const kinds = new Map<string, number>();
  for (const a of report.attempts) kinds.set(sampleKind(a), (kinds.get(sampleKind(a)) ?? 0) + 1);
  assert.ok(kinds.size >= 2 && [...kinds.values()].some((n) => n > 6), 'the fixture has more attempts of a kind than its sample');
  const expected = [...kinds].reduce((sum, [kind, n]) => sum + Math.min(n, kind === 'healthy' ? 3 : 6), 0);
  const file = join(tmp, 'binned.html');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, await html.render(report));
  const { page, problems } = await open(file);
  try {
    assert.equal(await page.getAttribute('#tl', 'data-mode'), 'bins');
    assert.equal(Number(await page.getAttribute('#tl', 'data-attempts')), report.summary.attempts);
    const binned: number = await page.$$eval('#tl .bin', (els: Element[]) => els.reduce((sum, e) => sum + (e.getAttribute('data-c') ?? '').split(', ').reduce((s, part) => s + Number(part.split(' ').pop()), 0), 0));
    assert.equal(binned, report.summary.attempts, 'every attempt is in one bin');
    const ladders = await page.locator('.ladder').count();
    assert.equal(ladders, expected, 'a sample of each kind');
    const drawn: number[] = await page.$$eval('.ladder', (els: Element[]) => els.map((e) => Number(e.id.slice(1))));
    assert.ok(drawn[drawn.length - 1] - drawn[0] > report.summary.attempts / 2, 'spread over the capture, not its first attempts');
    assert.equal(await page.locator('#tl .mk').count(), ladders, 'a mark for each ladder');
    assert.match(await page.textContent('#ladders .hint'), /left out: .*--host CLIENT --port PORT --format html/);
    // A click on a bin zooms to it.
    const spot: { x: number; y: number } | null = await page.evaluate(() => {
      for (const bin of Array.from(document.querySelectorAll('#tl .bin'))) {
        const r = bin.getBoundingClientRect();
        const x = r.x + r.width / 2;
        const y = r.y + r.height / 2;
        if (document.elementFromPoint(x, y)?.closest('.bin') === bin) return { x, y };
      }
      return null;
    });
    assert.ok(spot, 'a bin not covered by a mark');
    await page.mouse.click(spot.x, spot.y);
    assert.match(await page.textContent('#range'), /^showing \+/);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('ladders keep VLANs apart: the same 4-tuple in VLAN 10 and 20 draws two ladders of their own packets', async () => {
  const { readLadders } = await import('../src/ladder/packets.js');
  const file = join(root, 'fixtures', 'vlan-client.pcap');
  const r = await analyze(file);
  const twins = r.attempts.map((a, index) => ({ a, index })).filter(({ a }) => a.client.port === 58080 && a.server.port === 8080 && a.client.ip === '198.51.100.10');
  assert.deepEqual(twins.map(({ a }) => a.vlan), [[10], [20]]);
  const ns = (iso: string): [number, number] => {
    const ms = Date.parse(iso);
    const frac = /\.(\d+)Z$/.exec(iso)?.[1] ?? '0';
    return [Math.floor(ms / 1000), Number(frac.padEnd(9, '0').slice(0, 9))];
  };
  const { ladders } = await readLadders([file], twins.map(({ a, index }) => ({ index, attempt: a, start: ns(a.start), until: null })));
  const frames = ladders.map((l) => l.packets.map((p) => p.frame));
  for (const [i, { a }] of twins.entries()) for (const f of a.frames) assert.ok(frames[i]!.includes(f), `VLAN ${a.vlan}: frame ${f} in its ladder ${frames[i]}`);
  assert.deepEqual(frames[0]!.filter((f) => frames[1]!.includes(f)), [], 'no packet in both ladders');
});
