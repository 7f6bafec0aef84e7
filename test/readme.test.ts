/**
 * The README's promises that code can check (issue 13, items 13 and 14): the library example runs
 * as written, the library option table names every option, and every synscope option in the
 * "tcpdump/tshark habit" table exists in the help of its command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, run } from './helpers/cli-run.js';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = (title: string) => {
  const start = readme.indexOf(`\n${title}\n`);
  assert.ok(start >= 0, `README has no "${title}" section`);
  const next = readme.slice(start + title.length + 2).search(/\n#{2,3} /);
  return readme.slice(start, next < 0 ? undefined : start + title.length + 2 + next);
};

test('the library example runs as written (node --test, importing synscope by its name)', () => {
  const lib = section('## Library');
  const code = /```js\n([\s\S]*?)```/.exec(lib)?.[1];
  assert.ok(code, 'no ```js block in the Library section');
  const file = join(root, `.readme-example-${process.pid}.test.mjs`);
  writeFileSync(file, code);
  try {
    // (Without the parent test runner's context, the child reports for itself.)
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: root, encoding: 'utf8', env, timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /# pass 2/);
  } finally {
    rmSync(file, { force: true });
  }
});

test('the library option table names every option of AnalyzeOptions and EngineOptions', () => {
  const lib = section('## Library');
  const src = readFileSync(join(root, 'src', 'analyze.ts'), 'utf8') + readFileSync(join(root, 'src', 'handshake', 'engine.ts'), 'utf8');
  const block = (name: string) => {
    const m = new RegExp(`export interface ${name}[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(src);
    assert.ok(m, name);
    return [...m[1]!.matchAll(/^ {2}(\w+)\??:/gm)].map((x) => x[1]!);
  };
  for (const opt of [...block('AnalyzeOptions'), ...block('EngineOptions')]) {
    assert.match(lib, new RegExp(`\\| \`${opt}(\\(|\`)`), `option ${opt} is not in the README's library table`);
  }
});

test('the tcpdump/tshark table covers the shared options, and its synscope options exist', () => {
  const t = section('### For tcpdump and tshark users');
  for (const habit of ['-r', '-n', '-i', '-w', '-c', '-s', '-B', '-Z', '-F', '-f', 'expression']) assert.ok(t.includes(`\`${habit}`) || t.includes(`${habit} `), `no row for ${habit}`);
  const help = { analyze: run(['analyze', '--help']).stdout, live: run(['live', '--help']).stdout, info: run(['info', '--help']).stdout };
  for (const m of t.matchAll(/`synscope (analyze|live) ([^`]*)`/g)) {
    for (const flag of m[2]!.match(/(?<=^|\s)-{1,2}[A-Za-z][\w-]*/g) ?? []) {
      assert.match(help[m[1] as 'analyze' | 'live'], new RegExp(`(^|[\\s,])${flag}[\\s,]`), `synscope ${m[1]} has no ${flag} (README: ${m[0]})`);
    }
  }
});

test('the README\'s rule table is the rule table of src/verdict/rules.ts, in order; every verdict has a rule; the diagnosis codes are listed', async () => {
  const { RULES } = await import('../src/verdict/rules.js');
  const { DIAGNOSIS_CODES } = await import('../src/report/model.js');
  const { VERDICTS } = await import('../src/model/verdict.js');
  const rows = [...section('### Verdict rules and stable codes').matchAll(/^\| `([a-z-]+)` \| `([a-z-]+)` \| (.+) \|$/gm)].map((m) => [m[1], m[2], m[3]]);
  assert.deepEqual(rows, RULES.map((r) => [r.id, r.verdict, r.shows]));
  assert.deepEqual([...new Set(RULES.map((r) => r.verdict))].sort(), [...VERDICTS].sort(), 'each verdict is given by some rule, and no rule gives another');
  const verdictRows = [...section('### Verdicts').matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(verdictRows.sort(), [...VERDICTS].sort(), 'the verdict table lists the closed set');
  const codes = section('### Verdict rules and stable codes').split('diagnosisCodes')[1];
  for (const c of DIAGNOSIS_CODES) assert.match(codes, new RegExp(`\`${c}\``), c);
});
