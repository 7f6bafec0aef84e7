/**
 * Capture-filter speed (native-notes.md, "Capture filters"): packets per second through
 * readCapture + Decoder, with and without compileFilter(), and with tcpdump's own program for the
 * same expression run by the BPF interpreter of bpf.ts (the alternative that was not chosen).
 *
 *     node dist/bench/generate.js --out /tmp/b.pcap --size-mb 200 --seed 1
 *     node dist/test/helpers/filter-bench.js /tmp/b.pcap ['expr' ...]
 *
 * Best of 7 runs per measurement; the file should be in the page cache.
 */
import { readCapture } from '../../src/capture/reader.js';
import { Decoder } from '../../src/decode/decoder.js';
import { compileFilter } from '../../src/filter/filter.js';
import { compileBpf, runBpf } from './bpf.js';

const [file, ...given] = process.argv.slice(2);
if (!file) throw new Error('usage: filter-bench.js FILE.pcap [expr ...]');
const exprs = given.length ? given : ['tcp port 8080', 'host 198.51.100.10 or host 2001:db8::10', 'tcp[tcpflags] & (tcp-syn|tcp-rst|tcp-fin) != 0 or icmp or icmp6'];

async function measure(label: string, each: (buf: Buffer, off: number, caplen: number, origLen: number, linkType: number) => boolean): Promise<void> {
  let best = Infinity;
  let packets = 0;
  let kept = 0;
  for (let run = 0; run < 7; run++) {
    packets = 0;
    kept = 0;
    const t0 = process.hrtime.bigint();
    await readCapture(file, (r) => {
      packets++;
      if (each(r.buf, r.off, r.caplen, r.origLen, r.linkType)) kept++;
    });
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  console.log(`| ${label} | ${packets} | ${kept} | ${best.toFixed(2)} | ${Math.round(packets / best).toLocaleString('en-US')} |`);
}

const dec = new Decoder();
console.log('| measurement | packets | kept | best of 7 (s) | packets/s |\n|---|---:|---:|---:|---:|');
await measure('read only', () => true);
await measure('read + decode', (b, o, c, w, l) => dec.decode(b, o, c, w, l).hasTcp);
for (const e of exprs) {
  const f = compileFilter(e);
  await measure(`read + decode + filter \`${e}\``, (b, o, c, w, l) => f.matchesDecoded(b, o, c, w, l, dec.decode(b, o, c, w, l)));
  const prog = compileBpf(e, 1);
  if (typeof prog === 'string') throw new Error(prog);
  await measure(`read + BPF interpreter \`${e}\``, (b, o, c, w) => runBpf(prog, b, o, c, w) !== 0);
  await measure(`read + decode + BPF interpreter \`${e}\``, (b, o, c, w, l) => { dec.decode(b, o, c, w, l); return runBpf(prog, b, o, c, w) !== 0; });
}
// Once more at the end: the machine is shared, and the first measurements run before the JIT has settled.
await measure('read + decode (again)', (b, o, c, w, l) => dec.decode(b, o, c, w, l).hasTcp);

// In memory, without the reader: every frame copied into one buffer, then timed passes over it,
// so that the filter's own cost per packet shows above the machine's noise.
const chunks: Buffer[] = [];
const offs: number[] = [];
const lens: number[] = [];
const wires: number[] = [];
let total = 0;
await readCapture(file, (r) => {
  chunks.push(Buffer.from(r.buf.subarray(r.off, r.off + r.caplen)));
  offs.push(total);
  lens.push(r.caplen);
  wires.push(r.origLen);
  total += r.caplen;
});
const all = Buffer.concat(chunks);
chunks.length = 0;
const n = offs.length;
function pass(label: string, each: (o: number, c: number, w: number) => boolean): number {
  let best = Infinity;
  let kept = 0;
  for (let run = 0; run < 9; run++) {
    kept = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (each(offs[i], lens[i], wires[i])) kept++;
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  const ns = best / n;
  console.log(`| ${label} | ${kept} | ${ns.toFixed(1)} | ${Math.round(1e9 / ns).toLocaleString('en-US')} |`);
  return ns;
}
console.log(`\nIn memory (${n} frames, best of 9 passes):\n\n| measurement | kept | ns/packet | packets/s |\n|---|---:|---:|---:|`);
const base = pass('decode', (o, c, w) => dec.decode(all, o, c, w, 1).hasTcp);
for (const e of exprs) {
  const f = compileFilter(e);
  const withF = pass(`decode + filter \`${e}\``, (o, c, w) => f.matchesDecoded(all, o, c, w, 1, dec.decode(all, o, c, w, 1)));
  const prog = compileBpf(e, 1) as Uint32Array;
  const bpf = pass(`BPF interpreter \`${e}\` (no decode)`, (o, c, w) => runBpf(prog, all, o, c, w) !== 0);
  console.log(`| (filter alone: ${(withF - base).toFixed(1)} ns/packet; BPF interpreter: ${bpf.toFixed(1)} ns/packet) | | | |`);
}
pass('decode (again)', (o, c, w) => dec.decode(all, o, c, w, 1).hasTcp);
