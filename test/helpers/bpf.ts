/**
 * tcpdump as an oracle for the capture-filter tests, and a classic BPF interpreter for the
 * programs `tcpdump -ddd` prints (used to measure option (b) of native-notes.md, "Capture
 * filters", and checked against tcpdump itself in test/filter.test.ts).
 *
 * The interpreter follows libpcap's bpf_filter(): A and X registers, 16 scratch words, loads
 * relative to the frame start, a load past the captured length or a division by zero rejects
 * the packet (returns 0), `len` is the wire length, shifts by 32 or more give 0.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let available: boolean | undefined;

/** tcpdump is on the PATH and runs. */
export function haveTcpdump(): boolean {
  if (available === undefined) {
    const r = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' });
    available = r.status === 0;
  }
  return available;
}

let scratch: string | undefined;

export function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'synscope-bpf-'));
  return scratch;
}

/** A pcap with only a file header, so that `tcpdump -r` knows the link type to compile for. */
function emptyPcap(linkType: number): string {
  const path = join(scratchDir(), `empty-${linkType}.pcap`);
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(linkType, 20);
  writeFileSync(path, h);
  return path;
}

/** `tcpdump -ddd` for `expr` on `linkType`: the program as [code, jt, jf, k] quadruples, or tcpdump's error. */
export function compileBpf(expr: string, linkType: number): Uint32Array | string {
  const r = spawnSync('tcpdump', ['-ddd', '-r', emptyPcap(linkType), expr], { encoding: 'utf8' });
  if (r.status !== 0) return (r.stderr.split('\n').find((l) => l.startsWith('tcpdump:')) ?? r.stderr).trim();
  const lines = r.stdout.trim().split('\n');
  const n = Number(lines[0]);
  const prog = new Uint32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const f = lines[i + 1].trim().split(/\s+/).map(Number);
    prog.set([f[0], f[1], f[2], f[3] >>> 0], i * 4);
  }
  return prog;
}

/**
 * Runs `tcpdump -r file -w out expr`; resolves to the whole seconds of the timestamps of the
 * records it kept (the test files number their records that way), or to tcpdump's error line.
 */
export function tcpdumpSelect(file: string, expr: string, out: string): Promise<Set<number> | string> {
  return new Promise((resolve) => {
    execFile('tcpdump', ['-r', file, '-w', out, expr], { encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (err) {
        resolve((stderr.split('\n').find((l) => l.startsWith('tcpdump:')) ?? (stderr || String(err))).trim());
        return;
      }
      const b = readFileSync(out);
      const kept = new Set<number>();
      // Classic little-endian pcap as tcpdump writes it here: 24-byte header, 16-byte record headers.
      for (let o = 24; o + 16 <= b.length; o += 16 + b.readUInt32LE(o + 8)) kept.add(b.readUInt32LE(o));
      resolve(kept);
    });
  });
}

// Opcode classes and fields of classic BPF (bpf.h).
const M = new Uint32Array(16);

/** Runs a classic BPF program on `buf[off, off + caplen)`; returns what it returns (0 = reject). */
export function runBpf(prog: Uint32Array, buf: Buffer, off: number, caplen: number, wireLen: number): number {
  let A = 0;
  let X = 0;
  const n = prog.length >> 2;
  for (let pc = 0; pc < n; pc++) {
    const i = pc << 2;
    const code = prog[i];
    const k = prog[i + 3];
    switch (code) {
      case 0x06: return k; // ret #k
      case 0x16: return A; // ret a
      case 0x20: if (k + 4 > caplen) return 0; A = buf.readUInt32BE(off + k); break; // ld [k]
      case 0x28: if (k + 2 > caplen) return 0; A = (buf[off + k] << 8) | buf[off + k + 1]; break; // ldh [k]
      case 0x30: if (k + 1 > caplen) return 0; A = buf[off + k]; break; // ldb [k]
      case 0x40: { const a = X + k; if (a + 4 > caplen) return 0; A = buf.readUInt32BE(off + a); break; } // ld [x+k]
      case 0x48: { const a = X + k; if (a + 2 > caplen) return 0; A = (buf[off + a] << 8) | buf[off + a + 1]; break; }
      case 0x50: { const a = X + k; if (a + 1 > caplen) return 0; A = buf[off + a]; break; }
      case 0x80: A = wireLen; break; // ld #pktlen
      case 0x81: X = wireLen; break;
      case 0x00: A = k; break; // ld #k
      case 0x01: X = k; break; // ldx #k
      case 0x60: A = M[k]; break; // ld M[k]
      case 0x61: X = M[k]; break;
      case 0x02: M[k] = A; break; // st
      case 0x03: M[k] = X; break; // stx
      case 0xb1: if (k + 1 > caplen) return 0; X = (buf[off + k] & 0xf) << 2; break; // ldxb 4*([k]&0xf)
      case 0x07: X = A; break; // tax
      case 0x87: A = X; break; // txa
      case 0x05: pc += k; break; // ja
      case 0x15: pc += A === k ? prog[i + 1] : prog[i + 2]; break; // jeq #k
      case 0x25: pc += A > k ? prog[i + 1] : prog[i + 2]; break; // jgt
      case 0x35: pc += A >= k ? prog[i + 1] : prog[i + 2]; break; // jge
      case 0x45: pc += (A & k) !== 0 ? prog[i + 1] : prog[i + 2]; break; // jset
      case 0x1d: pc += A === X ? prog[i + 1] : prog[i + 2]; break; // jeq x
      case 0x2d: pc += A > X ? prog[i + 1] : prog[i + 2]; break;
      case 0x3d: pc += A >= X ? prog[i + 1] : prog[i + 2]; break;
      case 0x4d: pc += (A & X) !== 0 ? prog[i + 1] : prog[i + 2]; break;
      case 0x04: A = (A + k) >>> 0; break; // add
      case 0x0c: A = (A + X) >>> 0; break;
      case 0x14: A = (A - k) >>> 0; break; // sub
      case 0x1c: A = (A - X) >>> 0; break;
      case 0x24: A = Math.imul(A, k) >>> 0; break; // mul
      case 0x2c: A = Math.imul(A, X) >>> 0; break;
      case 0x34: if (k === 0) return 0; A = Math.floor(A / k); break; // div
      case 0x3c: if (X === 0) return 0; A = Math.floor(A / X); break;
      case 0x94: if (k === 0) return 0; A = A % k; break; // mod
      case 0x9c: if (X === 0) return 0; A = A % X; break;
      case 0x44: A = (A | k) >>> 0; break; // or
      case 0x4c: A = (A | X) >>> 0; break;
      case 0x54: A = (A & k) >>> 0; break; // and
      case 0x5c: A = (A & X) >>> 0; break;
      case 0xa4: A = (A ^ k) >>> 0; break; // xor
      case 0xac: A = (A ^ X) >>> 0; break;
      case 0x64: A = k >= 32 ? 0 : (A << k) >>> 0; break; // lsh
      case 0x6c: A = X >= 32 ? 0 : (A << X) >>> 0; break;
      case 0x74: A = k >= 32 ? 0 : A >>> k; break; // rsh
      case 0x7c: A = X >= 32 ? 0 : A >>> X; break;
      case 0x84: A = (0 - A) >>> 0; break; // neg
      default: throw new Error(`BPF opcode 0x${code.toString(16)} at ${pc} not implemented`);
    }
  }
  return 0;
}
