/**
 * The command line: argument parsing, output streams and exit codes only. Everything it does is
 * a library call (see src/index.ts) that tests can make directly.
 *
 * Exit status (../shared/CONTRACT.md): 0 analysed, 1 a --fail-on / --expect condition matched,
 * 2 bad usage or unreadable input (one line on stderr, never a stack trace unless --debug).
 */
import { Command, CommanderError, Option } from 'commander';
import { isSynscopeError, SynscopeError } from '../errors.js';
import { constants as fsConstants, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { analyze, isPipe } from '../analyze.js';
import { expandInputSet, inputBytes } from '../capture/inputs.js';
import { fileInfo } from '../info/info.js';
import { compareExpect, formatExpect, parseExpect } from '../report/expect.js';
import { formatInfoText } from '../report/info-text.js';
import { plural } from '../report/table.js';
import { jsonThreads } from '../report/json-stream.js';
import { formatHelp, formatNames, openFormat, type FormatName } from '../output/formats.js';
import { Progress } from './progress.js';
import { registerLive } from './live.js';
import { checkHosts, checkNotFormat, collectList, failOnLine, oneLineUsageErrors, outputWidth, parseGrace, parsePorts, parseVerdictOption, splitInputs, usage } from './args.js';
import { makePacketFilter } from './filter-arg.js';
import { checkRereadable, DEFAULT_EVIDENCE_VERDICTS, EvidenceSet, writeEvidence } from '../extract/evidence.js';
import type { CaptureInfo } from '../capture/record.js';
import type { PacketFilter } from '../filter/filter.js';

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

const FILES_HELP = 'capture files (pcap or pcapng, optionally gzip-compressed), directories (every capture in them) or quoted patterns (\'ring/cap.pcap*\', the files of tcpdump -C / -G); - reads standard input (from tcpdump -w -, give tcpdump -U so that packets arrive as they are captured)';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('synscope')
    .description('Why did connect() fail? Reads TCP handshakes from captures or live traffic and tells a refused connection from a firewall drop or an overflowing listen backlog.')
    .version('0.1.0')
    .option('--debug', 'show stack traces for errors')
    .exitOverride();

  program
    .command('info')
    .description('describe capture files: format, link types, precision, time span, and counts of SYN, SYN-ACK, RST and ICMP unreachable packets')
    .argument('<file...>', FILES_HELP)
    .addOption(new Option('-F, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('-f <value>', 'tshark\'s capture filter; info takes none').hideHelp())
    .action(async (files: string[], opts: { format: 'text' | 'json'; f?: string }) => {
      if (opts.f !== undefined) {
        checkNotFormat(opts.f);
        throw usage('info reads no capture filter (-f); describe the whole file, or use synscope analyze FILE EXPR');
      }
      if (files.filter((f) => f === '-').length > 1) throw new SynscopeError('ERR_USAGE', 'standard input (-) can be named only once');
      const set = await expandInputSet(files);
      for (const w of set.warnings) process.stderr.write(`synscope: warning: ${w}\n`);
      const infos = [];
      for (const f of set.files) infos.push(await fileInfo(f));
      if (opts.format === 'json') process.stdout.write(`${JSON.stringify(infos.length === 1 ? infos[0] : infos, null, 2)}\n`);
      else process.stdout.write(formatInfoText(infos));
      for (const i of infos) for (const w of i.warnings) if (opts.format === 'json') process.stderr.write(`synscope: warning: ${w}\n`);
    });

  program
    .command('analyze')
    .description('give every TCP connection attempt in the captures a verdict (established, refused, forged-reset, rejected, unreachable, filtered, backlog-drop, aborted, incomplete), with evidence and next steps')
    .usage('[options] <file...> [expression]\n       synscope analyze [options] -r <file> [-r <file>...] [expression]')
    .argument('[file...]', `${FILES_HELP}. Several are one capture, merged in the time order of their first packets (not the order given), so an attempt spanning two files gets one verdict. Words after the files that name no file are a capture-filter expression (pcap-filter(7)), as in tcpdump -r FILE [expression]: only matching packets are analysed`)
    .option('-r, --read <file>', 'read this capture, as tcpdump -r (repeat it for several); every word after the options is then the capture-filter expression', collectList)
    .option('-f, --filter <expression>', 'capture-filter expression (pcap-filter(7)), as tshark -f: only packets it matches are analysed; the same as the expression after the files')
    .addOption(new Option('-F, --format <format>', formatHelp('analyze')).choices(formatNames('analyze')).default('table'))
    .option('-o, --output <file>', 'write the report to this file instead of standard output (any format; html most of all)')
    .option('-d, --details', 'table format: also list every attempt with its reason and frames')
    .option('-n', 'accepted for tcpdump habits and ignored: synscope never resolves names (addresses and ports are always numeric)')
    .option('--host <ip>', 'only attempts from or to this address or prefix (203.0.113.20, 203.0.113.0/24, 2001:db8:2::/64); repeat it or give a comma list', collectList)
    .option('--port <port>', 'only attempts to this server port; repeat it or give a comma list', collectList)
    .option('--fail-on <verdicts>', 'exit with status 1 if any attempt has one of these verdicts (comma-separated)')
    .option('--expect <file>', 'compare the verdicts with an expected-verdicts file; exit 1 with a diff when they differ')
    .option('--write-expect <file>', 'write the verdicts as an expected-verdicts file (for --expect later)')
    .option('-w, --write <file>', 'also write the packets of the attempts whose verdict is one of --verdict (SYNs, answers, ICMP errors, the rest of the handshake) to this capture, in capture order with their original timestamps: pcapng if the name ends in .pcapng (each packet with a comment naming its original file and frame), else classic pcap')
    .option('--verdict <verdicts>', `with -w: the verdicts whose attempts are written (comma-separated; default: every verdict but established: ${DEFAULT_EVIDENCE_VERDICTS.join(',')})`)
    .option('--strict', 'exit with status 2 (after the report) when an input is damaged or cut off, and fail on a file of a directory or pattern that cannot be read instead of skipping it')
    .option('--handshake-timeout <seconds>', 'seconds without any answer before an attempt counts as filtered', '3')
    .option('--answer-grace <seconds>', 'seconds a RST or ICMP error waits for a racing SYN-ACK before it decides the verdict (an unanswered attempt waits the handshake timeout plus twice this)', '0.5')
    .option('--no-hints', 'table format: leave out the next-step commands')
    .option('-q, --quiet', 'no progress display on the terminal')
    .option('--max-attempts <n>', 'most attempts held undecided at once (a SYN flood beyond it is decided early, with a warning)', '100000')
    .addOption(new Option('--workers <n>', 'json format: 2 writes the attempts\' JSON in a second thread while the analysis goes on (same output); auto: 2 for inputs of 64 MB or more on a machine with two or more CPUs').choices(['auto', '1', '2']).default('auto'))
    .action(async (words: string[], o: AnalyzeCliOptions) => {
      checkNotFormat(o.filter);
      const { inputs: files, expression } = await splitInputs(words, o.read ?? [], o.filter);
      if (files.filter((f) => f === '-').length > 1) throw new SynscopeError('ERR_USAGE', 'standard input (-) can be named only once');
      if (o.workers === '2' && o.format !== 'json') throw new SynscopeError('ERR_USAGE', `--workers 2 speeds up --format json only; leave it out with --format ${o.format}`);
      if (o.workers === '2' && o.output !== undefined) throw new SynscopeError('ERR_USAGE', '--workers 2 writes to standard output; leave out -o (redirect with > instead) or --workers 2');
      const failOn = parseVerdictOption(o.failOn, '--fail-on');
      if (o.verdict !== undefined && o.write === undefined) throw new SynscopeError('ERR_USAGE', '--verdict chooses the attempts -w writes; give -w FILE.pcapng too');
      const evidence = o.write === undefined ? null : new EvidenceSet(o.verdict === undefined ? DEFAULT_EVIDENCE_VERDICTS : parseVerdictOption(o.verdict, '--verdict', true));
      if (o.write !== undefined) {
        checkRereadable(files, o.write);
        await writableFolder(o.write, 'the evidence capture');
      }
      const inputs: CaptureInfo[] = [];
      const timeout = Number(o.handshakeTimeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new SynscopeError('ERR_USAGE', `--handshake-timeout must be a number of seconds above 0, not "${o.handshakeTimeout}"`);
      const grace = parseGrace(o.answerGrace);
      const ports = parsePorts(o.port);
      checkHosts(o.host);
      const maxAttempts = positiveInt(o.maxAttempts, '--max-attempts');
      const packetFilter = expression === null ? undefined : { expression, ...bound(makePacketFilter(expression)) };
      const expected = o.expect ? parseExpect(await readText(o.expect), o.expect) : null;
      // Fail before the analysis, not after the report, when the expected-verdicts file cannot be written.
      if (o.writeExpect) await writableFolder(o.writeExpect, 'the expected-verdicts file');
      const out = o.output === undefined ? process.stdout : outputFile(o.output);
      const threads = o.format !== 'json' || o.output !== undefined ? 1 : jsonThreads(o.workers, o.workers === 'auto' ? await inputBytes(files) : null, availableParallelism());
      const streaming = files.some(isPipe);
      const sink = openFormat(o.format, {
        command: 'analyze',
        write: (chunk) => out.write(chunk),
        stderr: (text) => process.stderr.write(text),
        streaming,
        details: o.details,
        hints: o.hints,
        width: outputWidth(),
        jsonThreads: threads,
        onPipeClosed: () => process.exit(0),
        packetFilter,
      });
      const { onFinal } = sink.hooks;
      // Every attempt is kept only when something needs the list; otherwise memory stays bounded.
      const collect = Boolean(expected || o.writeExpect || o.details);
      const progress = Progress.wanted(o.quiet) ? new Progress() : null;
      /** Inputs whose reading stopped at damage (for --strict). */
      const damaged: string[] = [];
      const report = await analyze(files, {
        onProgress: progress ? (p) => progress.update(p) : undefined,
        handshakeTimeout: timeout,
        answerGrace: grace,
        maxAttempts,
        hosts: o.host,
        ports,
        collect,
        strict: o.strict,
        packetFilter,
        onInput: (info) => { if (info.damaged) damaged.push(info.file); inputs.push(info); },
        ...sink.hooks,
        onFinal: evidence ? (a) => { evidence.add(a); onFinal?.(a); } : onFinal,
        drain: sink.room ? () => sink.room!() ?? stdoutRoom() : () => stdoutRoom(out),
      });
      progress?.done();
      // The second pass, before the table: an input that pcap cannot hold stops with one line only.
      if (evidence && o.write !== undefined) {
        const w = await writeEvidence(report.summary.files, inputs, evidence, o.write, packetFilter);
        const counts = Object.entries(evidence.counts).map(([v, n]) => `${v} ${n}`).join(', ');
        process.stderr.write(`synscope: wrote ${plural(w.packets, 'packet')} of ${plural(w.attempts, 'attempt')}${counts ? ` (${counts})` : ''} to ${o.write} (${w.format})\n`);
      }
      await sink.end(report, {});
      if (out !== process.stdout) await new Promise<void>((done) => out.end(done));
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
          process.stderr.write(`synscope: verdicts differ from ${o.expect} (${plural(diffs.length, 'difference')}):\n${diffs.map((d) => `  ${d}\n`).join('')}`);
          status = 1;
        } else if (o.format !== 'ndjson' && o.format !== 'json') process.stderr.write(`synscope: all ${expected.length} attempts match ${o.expect}\n`);
      }
      const failed = failOnLine(failOn, report.summary.verdicts);
      if (failed) {
        process.stderr.write(failed);
        status = 1;
      }
      if (o.strict && damaged.length) {
        process.stderr.write(`synscope: --strict: ${damaged.length === 1 ? `${damaged[0]} is` : `${damaged.length} inputs are`} damaged or cut off (${damaged.length === 1 ? 'its warning says' : 'the warnings say'} where); the report covers the packets before the damage\n`);
        status = 2;
      }
      process.exitCode = status;
    });

  registerLive(program);
  oneLineUsageErrors(program);
  return program;
}

/** The filter's matches() as a function of its own (callable without its object). */
function bound(f: PacketFilter): Pick<PacketFilter, 'matches' | 'matchesFrame'> {
  return { matches: f.matches.bind(f), matchesFrame: f.matchesFrame.bind(f) };
}

interface AnalyzeCliOptions {
  read?: string[];
  filter?: string;
  format: FormatName;
  output?: string;
  details?: boolean;
  failOn?: string;
  expect?: string;
  writeExpect?: string;
  strict?: boolean;
  host?: string[];
  port?: string[];
  handshakeTimeout: string;
  answerGrace: string;
  hints: boolean;
  maxAttempts: string;
  quiet?: boolean;
  workers: 'auto' | '1' | '2';
  write?: string;
  verdict?: string;
}

/** Fails before the analysis, not after the report, when `file` cannot be created. */
async function writableFolder(file: string, what: string): Promise<void> {
  try {
    await access(dirname(resolve(file)), fsConstants.W_OK);
  } catch (e) {
    throw new SynscopeError('ERR_FILE_OPEN', `${file}: cannot write ${what} (its folder ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not writable'}); choose another path`, { source: file, cause: e });
  }
}

/** The -o file, opened (created or emptied) before the analysis, so that a bad path fails at once. */
function outputFile(file: string): WriteStream {
  const why = (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : code;
  };
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (e) {
    throw new SynscopeError('ERR_FILE_OPEN', `-o ${file}: cannot write the report there (${why(e)}); choose another path`, { source: file, cause: e });
  }
  const out = createWriteStream('', { fd });
  // A write that fails later (a full disk) ends the run in one line, as a bad path does.
  out.on('error', (e) => fail(new SynscopeError('ERR_FILE_OPEN', `-o ${file}: writing the report failed (${why(e)})`, { source: file, cause: e })));
  return out;
}

function positiveInt(s: string, option: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new SynscopeError('ERR_USAGE', `${option} takes a whole number above 0, not "${s}"`);
  return n;
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
  // Any other failure loses the rest of the report: say so, never exit 0 with a cut report.
  process.stderr.write(`synscope: standard output: writing the report failed (${e.code ?? e.message}): the report is incomplete; write it to a file with -o FILE\n`);
  process.exit(2);
});
blockingPipe(process.stdout);

// V8 lets its old generation grow to several times the live heap when a program allocates fast,
// as a large analysis does: on the 1 GB bench file 305 MB of peak RSS for a live heap of about
// 50 MB. Growing it by 100 % of the live heap at each collection instead keeps 208 MB, and the
// SYN flood 724 MB instead of 916 MB, for about 3 % more time (bench/RESULTS.md). Set here, in
// the command line's own process only: a library must not change its host's V8 settings.
setFlagsFromString('--heap-growing-percent=100');
// An attempt's fields are accessors over typed columns (flow/row-table.ts), 30 to 60 bytes of
// bytecode each: above V8's 27-byte "always inline" size, so in the engine's larger functions they
// competed for the inlining budget and a share stayed calls (about 8 % of the CPU profile, +16 %
// CPU on the 200 MB bench file). Counting them as small brings that back to within 5 % (RESULTS.md).
setFlagsFromString('--max-inlined-bytecode-size-small=64');

await main(process.argv);

/**
 * Standard output as a pipe writes in blocking mode, as Node.js writes files and terminals. A
 * pipe's writes otherwise queue in memory whenever the reader is slower than the analysis, and the
 * end of a capture decides and reports every attempt still open at once: the 1 M-SYN flood queued
 * a million lines (about 700 MB) behind `| wc -l` and libuv gave up with ENOBUFS, the report cut
 * after 118,736 lines, exit status 0. Blocking writes keep memory bounded and lose nothing. (In
 * live capture a reader slower than the traffic then makes the kernel drop packets, which the
 * summary counts, instead of synscope's memory growing without bound.)
 */
function blockingPipe(out: NodeJS.WriteStream): void {
  const handle = (out as unknown as { _handle?: { setBlocking?: (on: boolean) => number } })._handle;
  if (out.isTTY || typeof handle?.setBlocking !== 'function') return;
  handle.setBlocking(true);
}

/**
 * Resolves when stdout has room again (or is gone). Reading waits for it, so a report piped into
 * a slow reader (`| jq`, `| less`) does not pile up in memory.
 */
function stdoutRoom(out: NodeJS.WritableStream & { writableNeedDrain: boolean } = process.stdout): Promise<void> | null {
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
