/**
 * Why the cap module cannot be loaded (issue 13, item 12): a module built for another Node.js
 * (NODE_MODULE_VERSION 115 against 127 after an upgrade) names the ABI mismatch and its fix,
 * `npm rebuild cap`, instead of the libpcap-dev build hint. The classifier on the error objects
 * Node gives, and once through the real binary with a module really built for another ABI
 * (compiled here with cc when there is one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_HINT, capLoadProblem } from '../src/capture/live.js';
import { oneLine, run } from './helpers/cli-run.js';

const dlopen = (message: string) => Object.assign(new Error(message), { code: 'ERR_DLOPEN_FAILED' });

test('an addon built for another Node.js: the ABI mismatch and npm rebuild cap', () => {
  const e = dlopen("The module '/srv/synscope/node_modules/cap/build/Release/cap.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 127. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).");
  const m = capLoadProblem(e);
  assert.match(m, /built for another Node\.js \(NODE_MODULE_VERSION 115, Node\.js 20\) and this is Node\.js v\d+\S* \(NODE_MODULE_VERSION 127\): run `npm rebuild cap`/);
  assert.doesNotMatch(m, /apt-get install libpcap-dev/);
});

test('libpcap missing at run time, another CPU, an undefined symbol, a missing module', () => {
  assert.match(capLoadProblem(dlopen('libpcap.so.0.8: cannot open shared object file: No such file or directory')), /libpcap library .*libpcap\.so\.0\.8.*apt-get install libpcap0\.8/);
  assert.match(capLoadProblem(dlopen('/x/cap.node: invalid ELF header')), /another platform or CPU .*npm rebuild cap/);
  assert.match(capLoadProblem(dlopen('/x/cap.node: undefined symbol: pcap_set_immediate_mode')), /does not match .*npm rebuild cap/);
  const missing = capLoadProblem(Object.assign(new Error("Cannot find module 'cap'\nRequire stack:\n- /x/live.js"), { code: 'MODULE_NOT_FOUND' }));
  assert.ok(missing.startsWith(BUILD_HINT), missing);
  assert.match(missing, /with MODULE_NOT_FOUND: Cannot find module 'cap'\)$/);
});

test('the real binary loading a module built for another NODE_MODULE_VERSION', (t) => {
  if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) { t.skip('no C compiler (cc) to build a module for another ABI'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'synscope-abi-'));
  const other = Number(process.versions.modules) === 127 ? 115 : 127;
  // The registration Node's legacy addons make (node.h's NODE_MODULE), with another ABI number.
  writeFileSync(join(dir, 'cap.c'), `#include <stddef.h>
struct node_module { int nm_version; unsigned int nm_flags; void *nm_dso_handle; const char *nm_filename; void *nm_register_func; void *nm_context_register_func; const char *nm_modname; void *nm_priv; struct node_module *nm_link; };
extern void node_module_register(void *);
static struct node_module m = { ${other}, 0, NULL, "cap.c", NULL, NULL, "cap", NULL, NULL };
__attribute__((constructor)) static void reg(void) { node_module_register(&m); }
`);
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'cap.node'), join(dir, 'cap.c')], { encoding: 'utf8' });
  if (cc.status !== 0) { t.skip(`cc could not build the module: ${cc.stderr.trim().split('\n')[0]}`); return; }
  const env = { ...process.env, SYNSCOPE_CAP_MODULE: join(dir, 'cap.node') };
  const re = new RegExp(`the cap module was built for another Node\\.js \\(NODE_MODULE_VERSION ${other}.*this is Node\\.js ${process.version.replace(/\./g, '\\.')} \\(NODE_MODULE_VERSION ${process.versions.modules}\\): run \`npm rebuild cap\``);
  oneLine(run(['live', '-i', 'lo'], { env }), re);
  oneLine(run(['devices'], { env }), re);
});
