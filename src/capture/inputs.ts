/**
 * Turns the user's input arguments into capture files: directories and glob patterns (for a
 * rotated set from `tcpdump -C` / `-G`: `cap.pcap`, `cap.pcap1`, ... or `cap-%H%M.pcap`) expand
 * to the captures in them, recognised by their magic numbers; then the files are put in time order
 * by their first packet, so a rotated set reads as one capture.
 */
import { constants as fsConstants } from 'node:fs';
import { access, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SynscopeError } from '../errors.js';
import { openError, readCapture } from './reader.js';

const MAGICS = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1, 0x0a0d0d0a];

async function looksLikeCapture(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    if (bytesRead < 4) return false;
    return b[0] === 0x1f && b[1] === 0x8b ? true : MAGICS.includes(b.readUInt32BE(0));
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

/** Natural order: cap.pcap2 before cap.pcap10. */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true });
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[\\^$.|+(){}[\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A directory's regular files that start like a capture (and its empty files), in natural order. */
async function capturesIn(dir: string): Promise<{ captures: string[]; unreadable: Array<{ path: string; error: unknown }> }> {
  const names = (await readdir(dir)).sort(naturalCompare);
  const captures: string[] = [];
  const unreadable: Array<{ path: string; error: unknown }> = [];
  for (const n of names) {
    const p = join(dir, n);
    const st = await stat(p).catch(() => null);
    if (!st?.isFile()) continue;
    // An empty file is the newest of a rotation, not yet written: it is reported like a pattern's.
    if (st.size === 0) { captures.push(p); continue; }
    try {
      await access(p, fsConstants.R_OK);
    } catch (e) {
      unreadable.push({ path: p, error: e });
      continue;
    }
    if (await looksLikeCapture(p)) captures.push(p);
  }
  return { captures, unreadable };
}

export interface InputSet {
  /** The capture files, in the order the arguments name them (directories and patterns expanded). */
  files: string[];
  /** One line per file of a directory or pattern that was skipped (empty, or unreadable without `strict`). */
  warnings: string[];
}

/**
 * Why a capture of a set cannot be read (permission, not a capture, a cut header), as the error
 * reading it would give, or null when its header reads. Reads at most one chunk.
 */
async function unreadableWhy(path: string): Promise<SynscopeError | Error | null> {
  const ctl = new AbortController();
  try {
    await readCapture(path, () => ctl.abort(), { signal: ctl.signal, chunkSize: 1 << 16, onHeader: () => ctl.abort() });
    return null;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * Expands directories and glob patterns (a `*` or `?` in the file name) into capture files. A
 * file that a directory or pattern names (not one named on its own) is skipped with a warning
 * when it is empty (the newest file of `tcpdump -C` / `-G`, still being written) or cannot be
 * read (permission denied, not a capture, its header cut); with `strict`, an unreadable one is
 * the error it would be on its own. Files named on their own are checked when they are read.
 */
export async function expandInputSet(args: string[], opts: { strict?: boolean } = {}): Promise<InputSet> {
  const files: string[] = [];
  const warnings: string[] = [];
  /** The usable members of a set, the others in `warnings` (or thrown, with strict). */
  const members = async (paths: string[], unreadable: Array<{ path: string; error: unknown }> = []): Promise<string[]> => {
    const ok: string[] = [];
    for (const u of unreadable) {
      const err = openError(u.path, u.error);
      if (opts.strict) throw err;
      warnings.push(`${err.message}: skipped, the other files of the set were read (--strict makes this an error)`);
    }
    for (const p of paths) {
      const st = await stat(p).catch(() => null);
      if (st?.isFile() && st.size === 0) {
        warnings.push(`${p}: empty (0 bytes: the newest file of a rotation, still being written?): skipped`);
        continue;
      }
      const why = await unreadableWhy(p);
      if (why) {
        if (opts.strict) throw why;
        warnings.push(`${why.message.replace(/\.$/, '')}: skipped, the other files of the set were read (--strict makes this an error)`);
        continue;
      }
      ok.push(p);
    }
    return ok;
  };
  for (const arg of args) {
    if (arg === '-') { files.push(arg); continue; }
    const st = await stat(arg).catch(() => null);
    if (st?.isDirectory()) {
      const found = await capturesIn(arg);
      const usable = await members(found.captures, found.unreadable);
      if (!usable.length) {
        const skipped = found.captures.length + found.unreadable.length;
        throw new SynscopeError('ERR_FILE_OPEN', `${arg}: directory holds no pcap or pcapng capture${skipped ? ` that can be read (${skipped} empty or unreadable file${skipped === 1 ? '' : 's'} skipped)` : ''}`, { source: arg });
      }
      files.push(...usable);
    } else if (!st && /[*?]/.test(basename(arg))) {
      const names = await globMatches(arg);
      if (!names.length) throw new SynscopeError('ERR_FILE_OPEN', `${arg}: no file matches`, { source: arg });
      const usable = await members(names);
      if (!usable.length) throw new SynscopeError('ERR_FILE_OPEN', `${arg}: ${names.length === 1 ? 'the one matching file cannot' : `none of the ${names.length} matching files can`} be read: ${warnings[warnings.length - 1] ?? ''}`, { source: arg });
      files.push(...usable);
    } else {
      files.push(arg);
    }
  }
  return { files, warnings };
}

/** The paths a glob pattern (`*` and `?` in the file name only) matches, in natural order. */
export async function globMatches(pattern: string): Promise<string[]> {
  const dir = dirname(pattern);
  const re = globToRegExp(basename(pattern));
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => re.test(n)).sort(naturalCompare);
  return names.map((n) => join(dir, n));
}

/** Expands directories and glob patterns into capture files (see expandInputSet; skipped files are left out silently). */
export async function expandInputs(args: string[]): Promise<string[]> {
  return (await expandInputSet(args)).files;
}

/**
 * Bytes of input the arguments name (directories and patterns expanded), or null when that is
 * not known: standard input, or an argument that cannot be read (the analysis will say why).
 */
export async function inputBytes(args: string[]): Promise<number | null> {
  let files: string[];
  try {
    files = await expandInputs(args);
  } catch {
    return null;
  }
  let total = 0;
  for (const f of files) {
    if (f === '-') return null;
    const st = await stat(f).catch(() => null);
    if (!st?.isFile()) return null;
    total += st.size;
  }
  return total;
}

/** Time of the first packet ([sec, nsec]) or null for an empty or unreadable capture. */
export async function firstPacketTime(file: string): Promise<[number, number] | null> {
  const ctl = new AbortController();
  let t: [number, number] | null = null;
  try {
    await readCapture(file, (r) => { if (!t) { t = [r.tsSec, r.tsNsec]; ctl.abort(); } }, { signal: ctl.signal, chunkSize: 1 << 16 });
  } catch {
    return null;
  }
  return t;
}

/**
 * Orders several capture files by their first packet, so that a rotated set given in any order
 * (or a directory sorted by name) reads as one capture. Standard input cannot be peeked at: with
 * `-` among the inputs the order given is kept.
 */
export async function orderByTime(files: string[]): Promise<string[]> {
  if (files.length < 2 || files.includes('-')) return files;
  const times = await Promise.all(files.map((f) => firstPacketTime(f)));
  return files
    .map((f, i) => ({ f, i, t: times[i] }))
    .sort((x, y) => (x.t && y.t ? x.t[0] - y.t[0] || x.t[1] - y.t[1] : 0) || x.i - y.i)
    .map((x) => x.f);
}
