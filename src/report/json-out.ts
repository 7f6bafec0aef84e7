/**
 * JSON text written as UTF-8 bytes straight into large buffers, for the one object per attempt
 * of a large report: no intermediate strings (and none of the garbage collection they would
 * cost while the engine holds many live attempts). Numbers and text come out exactly as
 * JSON.stringify and template strings write them.
 */

/** Where full chunks go; a chunk is never touched again once given (it may be written later). */
export type ChunkSink = (chunk: string | Uint8Array) => void;

/** Text as UTF-8 bytes, to be copied by `JsonOut.bytes` (always a plain Uint8Array, for speed). */
export function textBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

export class JsonOut {
  private buf: Buffer;
  private pos = 0;

  /** `reuse`: the sink is done with a chunk when it returns (a synchronous write), so one buffer serves. */
  constructor(private readonly sink: ChunkSink, private readonly chunkSize = 1 << 16, private readonly reuse = false) {
    this.buf = Buffer.allocUnsafe(chunkSize);
  }

  /** Makes room for `n` more bytes. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.drain();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  /** Gives the bytes written so far to the sink. */
  drain(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    if (!this.reuse || this.buf.length !== this.chunkSize) this.buf = Buffer.allocUnsafe(this.chunkSize);
    this.pos = 0;
  }

  /** Text written as is, ASCII by construction (names, addresses, JSON syntax); anything else still comes out as UTF-8. */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) { this.text(s); return; }
      b[p++] = c;
    }
    this.pos = p;
  }

  /** Any text, as UTF-8 (what writing the string to a stream would give). */
  text(s: string): void {
    if (s.length > this.chunkSize >> 2) {
      this.drain();
      this.sink(s);
      return;
    }
    this.room(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Bytes made by textBytes. */
  bytes(u: Uint8Array): void {
    const n = u.length;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    // A native copy costs a call; below a few dozen bytes the loop is cheaper.
    if (n > 32) { b.set(u, p); this.pos = p + n; return; }
    for (let i = 0; i < n; i++) b[p++] = u[i];
    this.pos = p;
  }

  /** One ASCII character. */
  char(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** `${n}` for a number (integers without building a string). */
  num(n: number): void {
    if (!(n >= 0 && n < 1e15 && Math.floor(n) === n)) { this.ascii(`${n}`); return; }
    this.room(16);
    this.uint(n);
  }

  /** Digits of an integer in [0, 1e15) (room already made). */
  private uint(n: number): void {
    const b = this.buf;
    if (n < 10) { b[this.pos++] = 48 + n; return; }
    let len = 1;
    for (let x = n; x >= 10; len++) x = Math.floor(x / 10);
    let p = this.pos + len;
    this.pos = p;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      b[--p] = 48 + (n - q * 10);
      n = q;
    }
    b[--p] = 48 + n;
  }

  /**
   * `${Math.round(v * 1000) / 1000}`: a value rounded to 3 decimals, written from its integer
   * number of thousandths. Below 1e15 thousandths the shortest text of m / 1000 is exactly
   * m's digits with the point put back (two such decimals never share a double); beyond, the
   * engine's own conversion is used.
   */
  milli(v: number): void {
    const m = Math.round(v * 1000);
    if (!(m > -1e15 && m < 1e15)) { this.ascii(`${m / 1000}`); return; }
    this.room(24);
    if (m === 0) { this.buf[this.pos++] = 48; return; }
    let u = m;
    if (m < 0) { this.buf[this.pos++] = 45; u = -m; }
    const int = Math.floor(u / 1000);
    let frac = u - int * 1000;
    this.uint(int);
    if (frac === 0) return;
    const b = this.buf;
    b[this.pos++] = 46;
    b[this.pos++] = 48 + Math.floor(frac / 100);
    frac %= 100;
    if (frac === 0) return;
    b[this.pos++] = 48 + Math.floor(frac / 10);
    frac %= 10;
    if (frac === 0) return;
    b[this.pos++] = 48 + frac;
  }

  /** The inside of JSON.stringify(s) (without its quotes). */
  stringBody(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    const start = this.pos;
    let p = start;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      // Escapes, and anything beyond ASCII (UTF-8, lone surrogates), go the general way.
      if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) {
        this.pos = start;
        this.text(JSON.stringify(s).slice(1, -1));
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }
}
