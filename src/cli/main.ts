/**
 * The command line: argument parsing, output streams and exit codes only. Everything it does is
 * a library call (see src/index.ts) that tests can make directly.
 *
 * Exit status (../shared/CONTRACT.md): 0 analysed, 1 a --fail-on / --expect condition matched,
 * 2 bad usage or unreadable input (one line on stderr, never a stack trace unless --debug).
 */
import { Command, CommanderError, Option } from 'commander';
import { isSynscopeError, SynscopeError } from '../errors.js';
import { constants as fsConstants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { analyze } from '../analyze.js';
import { expandInputs, inputBytes } from '../capture/inputs.js';
import { fileInfo } from '../info/info.js';
import { isVerdict, type Verdict } from '../model/verdict.js';
import { compareExpect, formatExpect, parseExpect } from '../report/expect.js';
import { formatInfoText } from '../report/info-text.js';
import { formatTable } from '../report/table.js';
import { JsonReportWriter, jsonThreads, ParallelJsonReportWriter } from '../report/json-stream.js';
import { Progress } from './progress.js';
import { registerLive } from './live.js';
import { parseIp } from '../util/ip.js';

const debug = process.argv.includes('--debug');

function fail(err: unknown): never {
  if (isSynscopeError(err)) {
    process.stderr.write(`synscope: ${err.message}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exit(2);
  }
  if (debug) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  else process.stderr.write(`synscope: internal error: ${(err as Error)?.message ?? String(err)} (this is a bug in synscope; run again with --debug for the stack trace and report it)\n`);
  process.exit(2);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('synscope')
    .description('Why did connect() fail? Reads TCP handshakes from captures or live traffic and tells a refused connection from a firewall drop or an overflowing listen backlog.')
    .version('0.1.0')
    .option('--debug', 'show stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('info')
    .description('describe capture files: format, link types, precision, time span, and counts of SYN, SYN-ACK, RST and ICMP unreachable packets')
    .argument('<file...>', 'pcap or pcapng files (optionally gzip-compressed), directories or patterns; - reads standard input')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (files: string[], opts: { format: 'text' | 'json' }) => {
      if (files.filter((f) => f === '-').length > 1) throw new SynscopeError('ERR_USAGE', 'standard input (-) can be named only once');
      const infos = [];
      for (const f of await expandInputs(files)) infos.push(await fileInfo(f));
      if (opts.format === 'json') process.stdout.write(`${JSON.stringify(infos.length === 1 ? infos[0] : infos, null, 2)}\n`);
      else process.stdout.write(formatInfoText(infos));
      for (const i of infos) for (const w of i.warnings) if (opts.format === 'json') process.stderr.write(`synscope: warning: ${w}\n`);
    });

  program
    .command('analyze')
    .description('give every TCP connection attempt in the captures a verdict (established, refused, forged-reset, rejected, unreachable, filtered, backlog-drop, aborted, incomplete), with evidence and next steps')
    .argument('<file...>', 'pcap or pcapng files (optionally gzip-compressed), analysed as one capture in the order given; - reads standard input')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'ndjson']).default('table'))
    .option('-d, --details', 'table format: also list every attempt with its reason and frames')
    .option('--fail-on <verdicts>', 'exit with status 1 if any attempt has one of these verdicts (comma-separated)')
    .option('--expect <file>', 'compare the verdicts with an expected-verdicts file; exit 1 with a diff when they differ')
    .option('--write-expect <file>', 'write the verdicts as an expected-verdicts file (for --expect later)')
    .option('--host <ip...>', 'only attempts from or to these addresses')
    .option('--port <port...>', 'only attempts to these server ports')
    .option('--handshake-timeout <seconds>', 'seconds without any answer before an attempt counts as filtered', '3')
    .option('--no-hints', 'table format: leave out the next-step commands')
    .option('-q, --quiet', 'no progress display on the terminal')
    .option('--max-attempts <n>', 'most attempts held undecided at once (a SYN flood beyond it is decided early, with a warning)')
    .addOption(new Option('--workers <n>', 'json format: 2 writes the attempts\' JSON in a second thread while the analysis goes on (same output); auto: 2 for inputs of 64 MB or more on a machine with two or more CPUs').choices(['auto', '1', '2']).default('auto'))
    .action(async (files: string[], o: AnalyzeCliOptions) => {
      if (files.filter((f) => f === '-').length > 1) throw new SynscopeError('ERR_USAGE', 'standard input (-) can be named only once');
      if (o.workers === '2' && o.format !== 'json') throw new SynscopeError('ERR_USAGE', `--workers 2 speeds up --format json only; leave it out with --format ${o.format}`);
      const failOn = parseVerdictList(o.failOn);
      const timeout = Number(o.handshakeTimeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new SynscopeError('ERR_USAGE', `--handshake-timeout must be a number of seconds above 0, not "${o.handshakeTimeout}"`);
      const ports = (o.port ?? []).map((p) => {
        const n = Number(p);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new SynscopeError('ERR_USAGE', `--port takes port numbers 0-65535, not "${p}"`);
        return n;
      });
      for (const h of o.host ?? []) if (!parseIp(h)) throw new SynscopeError('ERR_USAGE', `--host takes IPv4 or IPv6 addresses, not "${h}"`);
      const expected = o.expect ? parseExpect(await readText(o.expect), o.expect) : null;
      // Fail before the analysis, not after the report, when the expected-verdicts file cannot be written.
      if (o.writeExpect) {
        try {
          await access(dirname(resolve(o.writeExpect)), fsConstants.W_OK);
        } catch (e) {
          throw new SynscopeError('ERR_FILE_OPEN', `${o.writeExpect}: cannot write the expected-verdicts file (its folder ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not writable'}); choose another path`, { source: o.writeExpect, cause: e });
        }
      }
      const ndjson = o.format === 'ndjson';
      const line = (obj: unknown) => process.stdout.write(`${JSON.stringify(obj)}\n`);
      const toStdout = (s: string | Uint8Array) => process.stdout.write(s);
      const threads = o.format !== 'json' ? 1 : jsonThreads(o.workers, o.workers === 'auto' ? await inputBytes(files) : null, availableParallelism());
      const json = o.format !== 'json' ? null : threads === 2 ? new ParallelJsonReportWriter(toStdout, () => process.exit(0)) : new JsonReportWriter(toStdout);
      // Every attempt is kept only when something needs the list; otherwise memory stays bounded.
      const collect = Boolean(expected || o.writeExpect || o.details);
      const progress = Progress.wanted(o.quiet) ? new Progress() : null;
      const report = await analyze(files, {
        onProgress: progress ? (p) => progress.update(p) : undefined,
        handshakeTimeout: timeout,
        maxAttempts: o.maxAttempts === undefined ? undefined : positiveInt(o.maxAttempts, '--max-attempts'),
        hosts: o.host,
        ports,
        collect,
        onAttempt: ndjson ? (a) => line({ type: 'attempt', ...a }) : undefined,
        // A later packet changed an attempt already written: the whole attempt again (CONTRACT.md).
        onRevision: ndjson ? (a, previous) => line({ type: 'attempt', ...a, revises: true, previousVerdict: previous }) : undefined,
        jsonWriter: json ?? undefined,
        drain: json instanceof ParallelJsonReportWriter ? () => json.room() ?? stdoutRoom() : stdoutRoom,
        onWarning: ndjson ? (w) => line({ type: 'warning', message: w }) : undefined,
      });
      progress?.done();
      if (ndjson) {
        for (const e of report.endpoints) line({ type: 'endpoint', ...e });
        line({ type: 'summary', ...report.summary });
      } else if (json) {
        await json.end(report.endpoints, report.summary);
      } else {
        process.stdout.write(formatTable(report, { details: o.details, hints: o.hints, width: process.stdout.columns }));
      }
      if (o.writeExpect) {
        try {
          await writeFile(o.writeExpect, formatExpect(report.attempts));
        } catch (e) {
          throw new SynscopeError('ERR_FILE_OPEN', `${o.writeExpect}: cannot write the expected-verdicts file (${(e as NodeJS.ErrnoException).code ?? String(e)}); check that its folder exists and is writable`, { source: o.writeExpect, cause: e });
        }
      }
      let status = 0;
      if (expected) {
        const diffs = compareExpect(expected, report.attempts);
        if (diffs.length) {
          process.stderr.write(`synscope: verdicts differ from ${o.expect} (${diffs.length} difference(s)):\n${diffs.map((d) => `  ${d}\n`).join('')}`);
          status = 1;
        } else if (!ndjson && o.format !== 'json') process.stderr.write(`synscope: all ${expected.length} attempts match ${o.expect}\n`);
      }
      if (failOn.length) {
        const hit = failOn.filter((v) => (report.summary.verdicts[v] ?? 0) > 0);
        if (hit.length) {
          const n = hit.reduce((sum, v) => sum + (report.summary.verdicts[v] ?? 0), 0);
          process.stderr.write(`synscope: ${n} attempt(s) with ${hit.join(', ')} (--fail-on ${failOn.join(',')})\n`);
          status = 1;
        }
      }
      process.exitCode = status;
    });

  registerLive(program);
  return program;
}

interface AnalyzeCliOptions {
  format: 'table' | 'json' | 'ndjson';
  details?: boolean;
  failOn?: string;
  expect?: string;
  writeExpect?: string;
  host?: string[];
  port?: string[];
  handshakeTimeout: string;
  hints: boolean;
  maxAttempts?: string;
  quiet?: boolean;
  workers: 'auto' | '1' | '2';
}

function positiveInt(s: string, option: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new SynscopeError('ERR_USAGE', `${option} takes a whole number above 0, not "${s}"`);
  return n;
}

function parseVerdictList(s: string | undefined): Verdict[] {
  if (!s) return [];
  return s.split(',').map((v) => v.trim()).filter(Boolean).map((v) => {
    if (!isVerdict(v)) throw new SynscopeError('ERR_USAGE', `--fail-on: "${v}" is not a verdict (established, refused, forged-reset, rejected, unreachable, filtered, backlog-drop, aborted, incomplete)`);
    return v;
  });
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new SynscopeError('ERR_FILE_OPEN', `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path`, { source: file, cause: e });
  }
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
      process.exit(2);
    }
    fail(err);
  }
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // `synscope ... | head` closes the pipe early: that is not an error worth a trace.
  if (e.code === 'EPIPE') process.exit(0);
});

// V8 lets its old generation grow to several times the live heap when a program allocates fast,
// as a large analysis does: on the 1 GB bench file 305 MB of peak RSS for a live heap of about
// 50 MB. Growing it by 100 % of the live heap at each collection instead keeps 208 MB, and the
// SYN flood 724 MB instead of 916 MB, for about 3 % more time (bench/RESULTS.md). Set here, in
// the command line's own process only: a library must not change its host's V8 settings.
setFlagsFromString('--heap-growing-percent=100');

await main(process.argv);

/**
 * Resolves when stdout has room again (or is gone). Reading waits for it, so a report piped into
 * a slow reader (`| jq`, `| less`) does not pile up in memory.
 */
function stdoutRoom(): Promise<void> | null {
  const out = process.stdout;
  if (!out.writableNeedDrain) return null;
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}
