/**
 * Turns the user's input arguments into capture files: directories and glob patterns (for a
 * rotated set from `tcpdump -C` / `-G`: `cap.pcap`, `cap.pcap1`, ... or `cap-%H%M.pcap`) expand
 * to the captures in them, recognised by their magic numbers; then the files are put in time order
 * by their first packet, so a rotated set reads as one capture.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SynscopeError } from '../errors.js';
import { readCapture } from './reader.js';

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

async function capturesIn(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort(naturalCompare);
  const out: string[] = [];
  for (const n of names) {
    const p = join(dir, n);
    if ((await stat(p).catch(() => null))?.isFile() && (await looksLikeCapture(p))) out.push(p);
  }
  return out;
}

/** Expands directories and glob patterns (a `*` or `?` in the file name) into capture files. */
export async function expandInputs(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    if (arg === '-') { out.push(arg); continue; }
    const st = await stat(arg).catch(() => null);
    if (st?.isDirectory()) {
      const found = await capturesIn(arg);
      if (!found.length) throw new SynscopeError('ERR_FILE_OPEN', `${arg}: directory holds no pcap or pcapng capture`, { source: arg });
      out.push(...found);
    } else if (!st && /[*?]/.test(basename(arg))) {
      const dir = dirname(arg);
      const re = globToRegExp(basename(arg));
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => re.test(n)).sort(naturalCompare);
      if (!names.length) throw new SynscopeError('ERR_FILE_OPEN', `${arg}: no file matches`, { source: arg });
      out.push(...names.map((n) => join(dir, n)));
    } else {
      out.push(arg);
    }
  }
  return out;
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
