/**
 * Argument handling shared by the commands: repeatable options that also take comma lists
 * (`--host a --host b`, `--host a,b`), address prefixes, ports, the tcpdump/tshark spellings
 * (`-r`, `-f`, `-F`, `-n`), how `analyze` tells its input files from a capture-filter expression,
 * and commander's usage errors turned into synscope's one-line form.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { globMatches } from '../capture/inputs.js';
import { openError } from '../capture/reader.js';
import { SynscopeError } from '../errors.js';
import { isVerdict, VERDICTS, type Verdict } from '../model/verdict.js';
import { parseHostPrefix } from '../util/prefix.js';

export function usage(message: string): SynscopeError {
  return new SynscopeError('ERR_USAGE', message);
}

/** Commander argument parser for a repeatable option that also takes comma-separated lists. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

/** `--host` values: addresses or prefixes, checked (one line naming the bad one). */
export function checkHosts(hosts: string[] | undefined): string[] | undefined {
  for (const h of hosts ?? []) {
    if (!parseHostPrefix(h)) throw usage(`--host takes IPv4 or IPv6 addresses or prefixes (203.0.113.20, 203.0.113.0/24, 2001:db8:2::/64), not "${h}"`);
  }
  return hosts;
}

/** `--port` values as numbers. */
export function parsePorts(ports: string[] | undefined): number[] {
  return (ports ?? []).map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || !Number.isInteger(n) || n < 0 || n > 65535) throw usage(`--port takes port numbers 0-65535, not "${p}"`);
    return n;
  });
}

/** `--answer-grace`: seconds, 0 or more (0 decides on the RST or ICMP error at once). */
export function parseGrace(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 60) throw usage(`--answer-grace takes seconds from 0 to 60, not "${text}"`);
  return n;
}

/** Output-format words someone used to `-f FORMAT` may give to -f, which is the capture filter now. */
const FORMAT_WORDS = new Set(['json', 'ndjson', 'table', 'text']);

/** Throws the one-line hint when the -f value is an output format, not a filter expression. */
export function checkNotFormat(filter: string | undefined): void {
  if (filter !== undefined && FORMAT_WORDS.has(filter.trim())) {
    throw usage('-f is the capture filter (as in tshark); the output format is -F json');
  }
}

/** A word that names a capture file, not a filter expression: a path or a capture's file name. */
function looksLikeFile(word: string): boolean {
  if (/\.(pcap|pcapng|cap|gz|pcap\d+|pcapng\d+)$/i.test(word)) return true;
  // A slash makes a path, unless it is a prefix length (10.0.0.0/8, 2001:db8::/32).
  return word.includes('/') && !/^[0-9a-f.:]+\/\d{1,3}$/i.test(word);
}

/** `-`, an existing file or directory, or a pattern (`*`, `?` in the file name) that matches a file. */
async function isInput(word: string): Promise<boolean> {
  if (word === '-') return true;
  if (await stat(word).then(() => true, () => false)) return true;
  return /[*?]/.test(basename(word)) && (await globMatches(word)).length > 0;
}

/**
 * Splits `analyze`'s words into inputs and a capture-filter expression, as tcpdump reads
 * `tcpdump -r FILE [expression]`. With -r, every word is the expression (joined with spaces).
 * Without, the leading words that are inputs (`-`, existing files and directories, patterns that
 * match) are the inputs and the rest, from the first word that is none of these, the expression;
 * a first word that is no input stays an input (its error is "no such file"). `-f EXPR` gives the
 * expression too, but not together with expression words.
 */
export async function splitInputs(words: string[], read: string[], filter: string | undefined): Promise<{ inputs: string[]; expression: string | null }> {
  let inputs: string[];
  let rest: string[];
  if (read.length) {
    inputs = read;
    rest = words;
  } else {
    let i = 0;
    while (i < words.length && (await isInput(words[i]!))) i++;
    if (i === 0 && words.length) i = 1;
    inputs = words.slice(0, i);
    rest = words.slice(i);
  }
  if (!inputs.length) throw usage('analyze needs a capture: synscope analyze FILE... [expression], or -r FILE (- reads standard input); see synscope analyze --help');
  // A word meant as a file (a typo, a file not there yet) must not turn into a filter expression.
  if (rest.length && looksLikeFile(rest[0]!) && !(await isInput(rest[0]!))) {
    const w = rest[0]!;
    if (/[*?]/.test(basename(w))) throw new SynscopeError('ERR_FILE_OPEN', `${w}: no file matches`, { source: w });
    throw openError(w, Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
  }
  if (read.length && rest.length && looksLikeFile(rest[0]!)) {
    throw usage(`with -r, the words after the options are the capture-filter expression, and "${rest[0]}" is a file: name each file with its own -r (-r a.pcap -r b.pcap), or give the files without -r`);
  }
  const positional = rest.join(' ').trim();
  if (positional && filter !== undefined) throw usage(`the capture-filter expression is given twice (-f "${filter}" and "${positional}"): give it once, quoted after -f (-f "${filter} ${positional}") or after the files`);
  const expression = filter !== undefined ? filter.trim() : positional;
  if (filter !== undefined && expression === '') throw usage('-f needs a capture-filter expression (pcap-filter(7)), e.g. -f "tcp port 443"');
  // A missing input named on its own fails here, before the expression is compiled (the same error as ever).
  for (const f of inputs) {
    if (f === '-' || /[*?]/.test(basename(f))) continue;
    await stat(f).catch((e: unknown) => { throw openError(f, e); });
  }
  return { inputs, expression: expression === '' ? null : expression };
}

/**
 * Commander's usage errors as synscope prints every error: one line, `synscope: ` first, with
 * the help to look at (never `error: ...` plus a second line).
 */
export function oneLineUsage(text: string, command: string): string {
  const lines = text.replace(/^error: /, '').split('\n').map((l) => l.trim()).filter(Boolean);
  const first = (lines[0] ?? 'bad usage').replace(/\.$/, '');
  const more = lines.slice(1).map((l) => l.replace(/^\((.*)\)$/, '$1').replace(/^Did you mean/, 'did you mean'));
  const help = command ? `synscope ${command} --help` : 'synscope --help';
  return `synscope: ${first}${more.length ? ` (${more.join('; ')})` : ''}; see ${help}\n`;
}

/** Makes a command and its subcommands print usage errors in one line (see oneLineUsage). */
export function oneLineUsageErrors(cmd: Command, name = ''): void {
  cmd.configureOutput({ outputError: (text, write) => write(oneLineUsage(text, name)) });
  for (const sub of cmd.commands) oneLineUsageErrors(sub, name ? `${name} ${sub.name()}` : sub.name());
}

/** Columns a table may take: $COLUMNS when set, else the terminal's width, else 100 (a pipe or file). */
export function outputWidth(out: NodeJS.WriteStream = process.stdout): number {
  const env = Number(process.env.COLUMNS);
  if (Number.isInteger(env) && env > 0) return env;
  if (out.isTTY && out.columns > 0) return out.columns;
  return 100;
}

/**
 * `refused,filtered` -> verdicts, for options that name verdicts (--fail-on, --verdict); anything
 * outside the closed set is a usage error that names it and lists the set. Empty: none, unless
 * `required`.
 */
export function parseVerdictOption(text: string | undefined, option: string, required = false): Verdict[] {
  const list = (text ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  if (!list.length && required) throw usage(`${option} needs one or more verdicts, comma-separated (${VERDICTS.join(', ')})`);
  for (const v of list) if (!isVerdict(v)) throw usage(`${option}: "${v}" is not a verdict (${VERDICTS.join(', ')})`);
  return list as Verdict[];
}

/** --fail-on against the summary's counts: the line to print when some attempts have those verdicts, or null. */
export function failOnLine(failOn: readonly Verdict[], counts: Partial<Record<Verdict, number>>): string | null {
  const hit = failOn.filter((v) => (counts[v] ?? 0) > 0);
  if (!hit.length) return null;
  const n = hit.reduce((sum, v) => sum + (counts[v] ?? 0), 0);
  return `synscope: ${n} attempt${n === 1 ? '' : 's'} with ${hit.join(', ')} (--fail-on ${failOn.join(',')})\n`;
}
