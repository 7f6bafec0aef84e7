/**
 * The command line: argument parsing, output streams and exit codes only. Everything it does is
 * a library call (see src/index.ts) that tests can make directly.
 *
 * Exit status (../shared/CONTRACT.md): 0 analysed, 1 a --fail-on / --expect condition matched,
 * 2 bad usage or unreadable input (one line on stderr, never a stack trace unless --debug).
 */
import { Command, CommanderError, Option } from 'commander';
import { isSynscopeError, SynscopeError } from '../errors.js';
import { fileInfo } from '../info/info.js';
import { formatInfoText } from '../report/info-text.js';

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
    .argument('<file...>', 'pcap or pcapng files (optionally gzip-compressed); - reads standard input')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (files: string[], opts: { format: 'text' | 'json' }) => {
      if (files.filter((f) => f === '-').length > 1) throw new SynscopeError('ERR_USAGE', 'standard input (-) can be named only once');
      const infos = [];
      for (const f of files) infos.push(await fileInfo(f));
      if (opts.format === 'json') process.stdout.write(`${JSON.stringify(infos.length === 1 ? infos[0] : infos, null, 2)}\n`);
      else process.stdout.write(formatInfoText(infos));
      for (const i of infos) for (const w of i.warnings) if (opts.format === 'json') process.stderr.write(`synscope: warning: ${w}\n`);
    });

  return program;
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

await main(process.argv);
