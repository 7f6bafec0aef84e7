/**
 * Opens a capture (a path, or `-` for standard input), recognises gzip and the capture format by
 * their magic numbers (never by the file name), and streams every packet record to a sink.
 * Memory stays constant whatever the file size: chunks are parsed as they arrive.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants as zlibConstants, createGunzip } from 'node:zlib';
import { SynscopeError } from '../errors.js';
import { Deframer, type UnitParser } from './deframer.js';
import { DamageReporter } from './damage.js';
import { PcapParser, isPcapMagic } from './pcap.js';
import { PcapngParser, isPcapngMagic } from './pcapng.js';
import { CaptureRecord, type CaptureInfo, type PacketSink } from './record.js';

export interface ReadOptions {
  /** Chunk size for file reads (bytes). */
  chunkSize?: number;
  /** Stops reading at the next chunk boundary when aborted. */
  signal?: AbortSignal;
  /** Input stream to use instead of opening `file` (for tests and for `-`). */
  stream?: NodeJS.ReadableStream;
  /** Called once the capture's header has been read and the format is known. */
  onHeader?: (info: CaptureInfo) => void;
  /**
   * Called after each chunk with the bytes of the input read so far (compressed, for gzip), its
   * size if known, and the bytes of an unfinished record waiting for the next chunk (0: the input
   * so far ended at a record boundary).
   */
  onProgress?: (inputBytes: number, inputSize: number | null, pending: number) => void;
  /**
   * Asked after each chunk: a promise means the consumer's output is full (a slow pipe), and
   * reading waits for it, so memory does not grow with what the output has not taken yet.
   */
  drain?: () => Promise<void> | null;
}

const GZIP_MAGIC = 0x1f8b;

function newInfo(file: string): CaptureInfo {
  return {
    file, format: 'pcap', compression: null, byteOrder: 'little-endian', version: '', interfaces: [],
    packets: 0, bytesRead: 0, first: null, last: null, sections: 0, warnings: [], damaged: false,
  };
}

/** How a file is named in messages (`-` is standard input). */
export function label(file: string): string {
  return file === '-' ? '<stdin>' : file;
}

async function openInput(file: string, chunkSize: number): Promise<{ chunks: AsyncGenerator<Buffer>; size: number | null }> {
  if (file === '-') return { chunks: chunksOf(process.stdin), size: null };
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    throw openError(file, e);
  }
  if (st.isDirectory()) throw new SynscopeError('ERR_FILE_OPEN', `${file}: is a directory, not a capture file; name the .pcap/.pcapng files in it`, { source: file });
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw openError(file, e);
  }
  return { chunks: fileChunks(fh, chunkSize), size: st.isFile() ? st.size : null };
}

const ignore = (): void => {};

/**
 * Chunks of an open file, read through two buffers in turn: while the caller parses one chunk,
 * the next is already being read into the other (in libuv's thread pool, so on another core).
 * A read stream would allocate a new buffer for every chunk (page faults on fresh memory, then
 * garbage) and go through the stream machinery, which cost as much as parsing the packets.
 *
 * A chunk is overwritten by the read started when the caller asks for the chunk after it: the
 * caller must be done with a chunk (or have copied what it keeps) before asking for the next.
 * The parsers already work that way (a record's bytes are valid only during the sink call, and
 * a unit split over two chunks is copied into the deframer's carry buffer).
 */
async function* fileChunks(fh: FileHandle, chunkSize: number): AsyncGenerator<Buffer> {
  const bufs = [Buffer.allocUnsafeSlow(chunkSize), Buffer.allocUnsafeSlow(chunkSize)];
  let cur = 0;
  // position null: read on from the file's current position (also works for pipes and devices).
  let pending = fh.read(bufs[cur], 0, chunkSize, null);
  // Marks a failed read as handled until it is awaited: the caller may be awaiting something
  // else (the gzip inflater) when it fails, which must not count as an unhandled rejection.
  pending.catch(ignore);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return;
      const chunk = bufs[cur];
      cur ^= 1;
      pending = fh.read(bufs[cur], 0, chunkSize, null);
      pending.catch(ignore);
      yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
    }
  } finally {
    // Stopped early (damage, abort) or failed: let the read in flight finish before closing.
    await pending.catch(ignore);
    await fh.close();
  }
}

/** The one-line error for a file that cannot be opened or read. */
export function openError(file: string, e: unknown): SynscopeError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file; check the path'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied; make it readable (chmod) or run as a user who can read it'
    : `cannot open it (${code ?? String(e)})`;
  return new SynscopeError('ERR_FILE_OPEN', `${file}: ${why}`, { source: file, cause: e });
}

/** Chunks of an input stream (standard input, or a stream the caller gives). */
async function* chunksOf(stream: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  for await (const c of stream as AsyncIterable<Buffer | string>) yield typeof c === 'string' ? Buffer.from(c) : c;
}

/** Counts the bytes of the raw input, for progress reports. */
async function* counted(chunks: AsyncGenerator<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  try {
    for (;;) {
      const r = await chunks.next();
      if (r.done) return;
      onBytes(r.value.length);
      yield r.value;
    }
  } finally {
    await chunks.return(undefined);
  }
}

/**
 * Reads one capture, calling `sink` for every packet. Resolves with what the file holds; damage
 * (a cut-off last record, a corrupt length) ends reading early with a warning in `info.warnings`
 * and `info.damaged` set. Rejects only when nothing can be read at all.
 */
export async function readCapture(file: string, sink: PacketSink, opts: ReadOptions = {}): Promise<CaptureInfo> {
  const chunkSize = opts.chunkSize ?? 1 << 20;
  const name = label(file);
  const info = newInfo(file);
  const input = opts.stream ? { chunks: chunksOf(opts.stream), size: null } : await openInput(file, chunkSize);
  let inputBytes = 0;
  const raw = counted(input.chunks, (n) => { inputBytes += n; });
  let first: Buffer | undefined;
  try {
    // Peek enough bytes to recognise gzip and the capture format.
    const firstRes = await raw.next();
    first = firstRes.done ? Buffer.alloc(0) : firstRes.value;
    while (first.length < 4) {
      // A chunk is reused once the next one is asked for (see fileChunks): keep a copy.
      first = Buffer.from(first);
      const more = await raw.next();
      if (more.done) break;
      first = Buffer.concat([first, more.value]);
    }
  } catch (e) {
    throw openError(file, e);
  }
  // Ending early (damage, not a capture) must still close the file: `raw` is finished here, else
  // its stream (and FileHandle) would stay open until garbage collection.
  let chunks: AsyncIterable<Buffer> = (async function* () {
    try {
      yield first;
      yield* raw;
    } finally {
      await raw.return(undefined);
    }
  })();
  let gzipError: Error | null = null;
  if (first.length >= 2 && first.readUInt16BE(0) === GZIP_MAGIC) {
    info.compression = 'gzip';
    // Each compressed chunk is written only once the one before is inflated (its write callback),
    // so the last one is never inflated together with the final Z_FINISH: a stream cut off in the
    // middle gives everything it decompresses to, however it was split into chunks, and only the
    // empty final flush reports the damage.
    const gunzip = createGunzip({ flush: zlibConstants.Z_SYNC_FLUSH });
    const compressed = chunks;
    const feed = (async () => {
      try {
        for await (const c of compressed) {
          if (gunzip.destroyed) break;
          await new Promise<void>((res, rej) => gunzip.write(c, (e) => (e ? rej(e) : res())));
        }
        gunzip.end();
      } catch (e) {
        gunzip.destroy(e as Error);
      }
    })();
    chunks = (async function* () {
      try {
        for await (const c of gunzip as AsyncIterable<Buffer>) yield c;
      } catch (e) {
        gzipError = e as Error;
      } finally {
        gunzip.destroy();
        await feed;
      }
    })();
  }

  const rec = new CaptureRecord();
  const damage = new DamageReporter(info, name);
  /** Stream offset of the first packet record (what came before it is headers). */
  let firstRecordAt = -1;
  const timedSink: PacketSink = (r) => {
    let last = info.last;
    if (last === null) {
      info.first = [r.tsSec, r.tsNsec];
      last = info.last = [0, 0];
      firstRecordAt = r.fileOffset;
    }
    last[0] = r.tsSec;
    last[1] = r.tsNsec;
    sink(r);
  };
  let parser: UnitParser | null = null;
  let deframer: Deframer | null = null;
  let magic = 0;
  // The magic number may arrive split over several (decompressed) chunks: gather 4 bytes first.
  let head: Buffer | null = null;
  for await (let chunk of chunks) {
    if (chunk.length === 0) continue;
    if (!parser) {
      head = head ? Buffer.concat([head, chunk]) : chunk;
      if (head.length < 4) {
        // A chunk is reused once the next one is asked for (see fileChunks): keep a copy.
        if (head === chunk) head = Buffer.from(chunk);
        continue;
      }
      chunk = head;
      head = null;
      parser = pickParser(chunk, info, rec, timedSink, damage, name);
      magic = chunk.readUInt32BE(0);
      deframer = new Deframer(parser);
    }
    info.bytesRead += chunk.length;
    deframer!.push(chunk);
    opts.onProgress?.(inputBytes, input.size, deframer!.pending);
    if (opts.drain) {
      const wait = opts.drain();
      if (wait) await wait;
    }
    if (parser.stopped || opts.signal?.aborted) break;
    if (info.interfaces.length > 0 && opts.onHeader) {
      opts.onHeader(info);
      opts.onHeader = undefined;
    }
  }
  if (!parser && head) pickParser(head, info, rec, timedSink, damage, name); // throws: 1 to 3 bytes are no capture
  if ((!parser || !deframer) && gzipError) {
    throw new SynscopeError('ERR_NOT_A_CAPTURE', `${name}: byte 0: the gzip stream is damaged or cut off before any capture data (${(gzipError as Error).message}); re-copy the file`, { source: file, offset: 0 });
  }
  if (!parser || !deframer) {
    throw new SynscopeError('ERR_NOT_A_CAPTURE', `${name}: empty input (0 bytes); expected a pcap or pcapng capture`, { source: file, offset: 0 });
  }
  if (info.interfaces.length === 0 && !parser.stopped) {
    throw new SynscopeError('ERR_CAPTURE_HEADER', `${name}: byte 0: file ends inside the capture header (${info.bytesRead} bytes); the file was cut off, re-copy or re-capture it`, { source: file, offset: 0 });
  }
  if (info.interfaces.length === 0 && parser.stopped) {
    throw new SynscopeError('ERR_CAPTURE_CORRUPT', info.warnings[info.warnings.length - 1] ?? `${name}: corrupt capture header`, { source: file, offset: 0 });
  }
  if (opts.onHeader) opts.onHeader(info);
  // Records seen before the damage, for estimating what it cost.
  const avg = info.packets > 0 && firstRecordAt >= 0 ? (deframer.consumed - firstRecordAt) / info.packets : 0;
  // Bytes lost and their share, for a file of known size only (a stream's size is not known).
  const share = (bytes: number) => (input.size !== null && info.compression === null && input.size > 0 ? ` (${bytes} bytes, ${((100 * bytes) / input.size).toFixed(1)}% of the file)` : '');
  if (!parser.stopped && deframer.pending > 0) {
    info.damaged = true;
    damage.warn(deframer.consumed, cutMessage(deframer, info, magic, avg, share));
  }
  if (parser.stopped && input.size !== null && info.compression === null) {
    const lost = input.size - deframer.consumed;
    if (lost > 0 && info.warnings.length > 0) {
      const about = avg > 0 ? `; about ${plural(Math.max(1, Math.round(lost / avg)), 'record')} lost, at the ${Math.round(avg)} bytes the ${plural(info.packets, 'record')} before it averaged` : '';
      info.warnings[info.warnings.length - 1] += `${about}${share(lost)}`;
    }
  }
  if (gzipError) {
    info.damaged = true;
    damage.warn(info.bytesRead, `the gzip stream is damaged or cut off (${(gzipError as Error).message}); analysed what decompressed before it`);
  }
  return info;
}

function pickParser(first: Buffer, info: CaptureInfo, rec: CaptureRecord, sink: PacketSink, damage: DamageReporter, name: string): UnitParser {
  if (isPcapMagic(first)) {
    info.format = 'pcap';
    return new PcapParser(info, rec, sink, damage);
  }
  if (isPcapngMagic(first)) {
    info.format = 'pcapng';
    return new PcapngParser(info, rec, sink, damage);
  }
  const head = first.subarray(0, Math.min(4, first.length)).toString('hex').replace(/(..)/g, '$1 ').trim();
  throw new SynscopeError(
    'ERR_NOT_A_CAPTURE',
    `${name}: byte 0: not a pcap or pcapng capture (starts with ${head || 'nothing'}); give a file written by tcpdump, dumpcap or Wireshark, optionally gzip-compressed`,
    { source: info.file, offset: 0 },
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The warning for an input that ends inside a record: the last record cut off (a capture copied
 * while it was written), or a record whose length field is corrupt and claims more than the rest
 * of the file. Then the records after it are counted where they can be found (a chain of
 * well-formed records running to the end), else estimated from the average size of those before.
 */
function cutMessage(d: Deframer, info: CaptureInfo, magic: number, avg: number, share: (bytes: number) => string): string {
  const pending = d.pending;
  const before = `${info.packets} packets before it were analysed`;
  const counted = d.wanted > pending ? countAfterDamage(d.pendingBytes(), info, magic) : null;
  const claims = d.wanted > 0 ? `record ${info.packets + 1} claims a length of ${d.wanted} bytes, but only ${pending} follow` : `the file ends inside a record (${pending} bytes of it present)`;
  if (counted !== null && counted > 1) {
    return `${claims}: its length is corrupt (well-formed records follow inside it); ${plural(counted, 'record')} lost${share(pending)}, ${before}`;
  }
  if (avg > 0 && pending > 2 * avg + 64) {
    const n = Math.max(2, Math.round(pending / avg));
    return `${claims}: its length is probably corrupt (the ${plural(info.packets, 'record')} before it averaged ${Math.round(avg)} bytes); about ${n} records lost${share(pending)}, ${before}`;
  }
  return `${d.wanted > 0 ? `the file ends inside a record (${pending} of its ${d.wanted} bytes present)` : `the file ends inside a record (${pending} bytes of it present)`}; the last record was lost, ${before}`;
}

const MAX_SCAN = 1 << 24;

/**
 * Records lost in `bytes` (a record whose length is wrong, and what follows it up to the end of
 * the input): 1 for the damaged record plus the well-formed records found after it, when a chain
 * of at least two of them (or one that ends exactly at the end) starts somewhere inside it and
 * runs to the end; null when none is found.
 */
function countAfterDamage(bytes: Buffer, info: CaptureInfo, magic: number): number | null {
  // Without a packet before the damage there is nothing to check records against: not counted.
  if (!info.first || !info.last) return null;
  if (info.format === 'pcapng') return countBlocks(bytes, info.byteOrder !== 'big-endian');
  const le = info.byteOrder === 'little-endian';
  const modified = magic === 0xa1b2cd34 || magic === 0x34cdb2a1;
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const hdr = modified ? 24 : 16;
  const snap = Math.max(info.interfaces[0]?.snaplen ?? 0, 262144);
  const lo = info.first[0] - 86400;
  const hi = info.last[0] + 30 * 86400;
  const u32 = (o: number) => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  const good = (o: number) => {
    const sec = u32(o);
    const frac = u32(o + 4);
    const cap = u32(o + 8);
    const orig = u32(o + 12);
    // (A record of 0 bytes is nothing a capture holds: runs of zero bytes must not count as records.)
    return sec >= lo && sec <= hi && frac < (nanos ? 1e9 : 1e6) && cap > 0 && cap <= snap && orig >= cap && orig <= 16 * 1024 * 1024;
  };
  const end = bytes.length;
  for (let start = hdr; start + hdr <= end && start < MAX_SCAN; start++) {
    let pos = start;
    let n = 0;
    while (end - pos >= hdr && good(pos)) {
      const len = hdr + u32(pos + 8);
      if (pos + len > end) { n++; pos = end; break; } // the last one cut off
      pos += len;
      n++;
    }
    if (pos === end && n >= 2) return 1 + n;
  }
  return null;
}

/** As countAfterDamage, for pcapng blocks (4-byte aligned, trailing length equal to the leading one). */
function countBlocks(bytes: Buffer, le: boolean): number | null {
  const u32 = (o: number) => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  const types = new Set([1, 2, 3, 4, 5, 6, 0xbad, 0x40000bad]);
  const end = bytes.length;
  for (let start = 12; start + 12 <= end && start < MAX_SCAN; start += 4) {
    let pos = start;
    let n = 0;
    while (end - pos >= 12) {
      const len = u32(pos + 4);
      if (!types.has(u32(pos)) || len < 12 || len % 4 !== 0 || len > 16 * 1024 * 1024) break;
      if (pos + len > end) { n++; pos = end; break; }
      if (u32(pos + len - 4) !== len) break;
      pos += len;
      n++;
    }
    if (pos === end && n >= 2) return 1 + n;
  }
  return null;
}
