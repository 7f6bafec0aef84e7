/**
 * The capture-filter oracle (test/filter.test.ts): every record of every fixture, grouped by link
 * type into one pcap per link type (record i stamped i + 1 s, so tcpdump's output names the
 * records it kept), and the decisions of tcpdump and of compileFilter() on them.
 *
 * synscope's filter tests the innermost IP packet (src/filter/filter.ts), tcpdump the outer
 * headers. So a record is compared in one of two ways:
 * - "plain" (no VLAN tag, MPLS label, PBB or FabricPath header, PPPoE, tunnel): with tcpdump's
 *   decision on the record itself;
 * - otherwise, for expressions about IP and above: with tcpdump's decision on the innermost IP
 *   packet cut out as a raw-IP record (link type 101), which is what the filter claims to test.
 * A disagreement is allowed only in the classes filter.ts documents (IPv6 extension headers,
 * IPv4 AH, transport-header indexing on IPv6); any other fails the test.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { readCapture } from '../../src/capture/reader.js';
import { PcapWriter } from '../../src/capture/writer.js';
import { Decoder } from '../../src/decode/decoder.js';
import { compileFilter } from '../../src/filter/filter.js';
import { scratchDir, tcpdumpSelect } from './bpf.js';

export interface OracleRecord {
  file: string;
  frame: number;
  linkType: number;
  data: Buffer;
  origLen: number;
  plain: boolean;
  /** The innermost IP packet (non-plain records whose IP header decoded), as raw IP bytes. */
  inner: Buffer | null;
  innerOrigLen: number;
  /** Deviation classes the record belongs to (see the module comment). */
  v6ext: boolean;
  v4ah: boolean;
  ipv6: boolean;
  /** An 802.11 frame with four addresses: libpcap takes its header for 24 bytes, not 30. */
  wds: boolean;
}

export function fixtureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...fixtureFiles(p));
    else if (/\.(pcap|pcapng)(\.gz)?$/.test(name)) out.push(p);
  }
  return out;
}

/** Link types with an EtherType at a fixed offset: where, so a walked tag or header shows. */
const ETHERTYPE_AT: Record<number, number> = { 1: 12, 113: 14, 276: 0 };

export async function loadRecords(dir: string): Promise<OracleRecord[]> {
  const recs: OracleRecord[] = [];
  const dec = new Decoder();
  for (const file of fixtureFiles(dir)) {
    try {
      await readCapture(file, (r) => {
        const data = Buffer.from(r.buf.subarray(r.off, r.off + r.caplen));
        const p = dec.decode(data, 0, data.length, r.origLen, r.linkType);
        const at = ETHERTYPE_AT[r.linkType];
        const walked = at !== undefined && data.length >= at + 2 && p.net.type !== 0 && data.readUInt16BE(at) !== p.net.type;
        const plain = p.tunnels === 0 && p.net.vlanCount === 0 && p.net.mplsCount === 0 && !walked;
        const hasIp = p.ip.proto >= 0;
        const inner = !plain && hasIp ? Buffer.from(data.subarray(p.ip.off)) : null;
        recs.push({
          file, frame: r.frame, linkType: r.linkType, data, origLen: r.origLen, plain, inner,
          innerOrigLen: inner ? r.origLen - p.ip.off : 0,
          v6ext: p.ip.version === 6 && p.ip.extHeaders > 0,
          v4ah: p.ip.version === 4 && hasIp && data[p.ip.off + 9] === 51,
          ipv6: p.ip.version === 6,
          wds: r.linkType === 105 && data.length >= 2 && (data[1] & 3) === 3,
        });
      });
    } catch {
      // Files that are not captures at all (deliberately broken fixtures) have no records to compare.
    }
  }
  return recs;
}

export interface Group {
  linkType: number;
  path: string;
  /** Records in file order; record i is stamped i + 1 seconds. */
  members: { rec: OracleRecord; data: Buffer; origLen: number }[];
}

/** One pcap per link type of the records as they are, and one raw-IP pcap of the inner packets. */
export function writeGroups(recs: OracleRecord[]): { plain: Group[]; inner: Group } {
  const byLink = new Map<number, Group>();
  for (const rec of recs) {
    let g = byLink.get(rec.linkType);
    if (!g) byLink.set(rec.linkType, (g = { linkType: rec.linkType, path: join(scratchDir(), `link-${rec.linkType}.pcap`), members: [] }));
    g.members.push({ rec, data: rec.data, origLen: rec.origLen });
  }
  const inner: Group = { linkType: 101, path: join(scratchDir(), 'inner-raw.pcap'), members: [] };
  for (const rec of recs) if (rec.inner) inner.members.push({ rec, data: rec.inner, origLen: rec.innerOrigLen });
  for (const g of [...byLink.values(), inner]) {
    const w = new PcapWriter({ linkType: g.linkType });
    g.members.forEach((m, i) => w.writePacket(i + 1, 0, m.data, m.origLen));
    writeFileSync(g.path, w.toBuffer());
  }
  return { plain: [...byLink.values()], inner };
}



/** Expressions whose meaning involves the link layer: not compared on cut-out inner packets. */
export function linkLevel(expr: string): boolean {
  return /\b(vlan|less|greater|len|ether|arp)\b/.test(expr);
}

export interface Disagreement {
  expr: string;
  rec: OracleRecord;
  ours: boolean;
  tcpdump: boolean;
  how: 'plain' | 'inner';
  /** The documented deviation class, or '' (a real failure). */
  cls: string;
}

export interface OracleResult {
  compared: number;
  agreed: number;
  byClass: Map<string, number>;
  failures: Disagreement[];
  skipped: string[];
  /** What tcpdump kept, by `${expr}|${linkType}|${how}` (record numbers within the group, from 1). */
  selections: Map<string, Set<number>>;
}

function deviationClass(expr: string, rec: OracleRecord): string {
  if (rec.v6ext) return 'IPv6 extension headers walked';
  if (rec.v4ah) return 'IPv4 AH walked';
  if (rec.ipv6 && /\b(tcp|udp|sctp|icmp)\[/.test(expr)) return 'tcp[]/udp[] on IPv6';
  if (rec.wds) return '802.11 four-address frame';
  return '';
}

/**
 * `exprs` run on every group of 100 records or more; `few` (a subset) on the small groups, the
 * link types of a handful of crafted records each, as every tcpdump run costs 20-30 ms.
 */
export async function runOracle(exprs: string[], few: string[], groups: { plain: Group[]; inner: Group }): Promise<OracleResult> {
  const res: OracleResult = { compared: 0, agreed: 0, byClass: new Map(), failures: [], skipped: [], selections: new Map() };
  const jobs: { expr: string; g: Group; how: 'plain' | 'inner' }[] = [];
  for (const expr of exprs) {
    for (const g of groups.plain) if (g.members.length >= 100 || few.includes(expr)) jobs.push({ expr, g, how: 'plain' });
    if (!linkLevel(expr)) jobs.push({ expr, g: groups.inner, how: 'inner' });
  }
  // Two tcpdump processes at a time (the machines have 2 cores).
  const kept: (Set<number> | string)[] = new Array(jobs.length);
  let next = 0;
  const worker = async (slot: number): Promise<void> => {
    for (let j = next++; j < jobs.length; j = next++) kept[j] = await tcpdumpSelect(jobs[j].g.path, jobs[j].expr, join(scratchDir(), `out-${slot}.pcap`));
  };
  await Promise.all([worker(0), worker(1)]);
  const filters = new Map(exprs.map((e) => [e, compileFilter(e)]));
  jobs.forEach(({ expr, g, how }, j) => {
    let sel = kept[j];
    // libpcap's optimizer refuses a program that can match nothing on this link type (`ip` on
    // raw IPv6): that is tcpdump deciding "no packet".
    if (sel === 'tcpdump: expression rejects all packets') sel = new Set<number>();
    if (typeof sel === 'string') {
      res.skipped.push(`${expr} on link type ${g.linkType}: ${sel}`);
      return;
    }
    res.selections.set(`${expr}|${g.linkType}|${how}`, sel);
    const f = filters.get(expr)!;
    g.members.forEach((m, i) => {
      if (how === 'plain' && !m.rec.plain) return;
      const r = m.rec;
      const ours = f.matchesFrame(r.data, 0, r.data.length, r.origLen, r.linkType);
      const theirs = (sel as Set<number>).has(i + 1);
      res.compared++;
      if (ours === theirs) {
        res.agreed++;
        return;
      }
      const cls = deviationClass(expr, r);
      if (cls) res.byClass.set(cls, (res.byClass.get(cls) ?? 0) + 1);
      else res.failures.push({ expr, rec: r, ours, tcpdump: theirs, how, cls });
    });
  });
  return res;
}
