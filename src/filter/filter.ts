/**
 * Capture filters: pcap-filter(7) expressions (what `tcpdump -r FILE EXPR` takes), compiled once
 * and evaluated on every packet read from a file, in JavaScript, with no native code.
 *
 *     const f = compileFilter('tcp port 8081 or icmp or icmp6');   // throws SynscopeError ERR_USAGE
 *     const p = decoder.decode(rec.buf, rec.off, rec.caplen, rec.origLen, rec.linkType);
 *     if (!f.matches(rec, p)) return;                              // allocates nothing
 *
 * WHICH HEADERS. tcpdump (libpcap) applies a filter to the OUTERMOST headers at fixed offsets:
 * on a VLAN-tagged frame `tcp port 80` matches nothing unless written `vlan and tcp port 80`,
 * and in a VXLAN or GRE capture `host` sees only the tunnel endpoints. synscope analyses, and
 * reports, the INNERMOST IP packet its decoder reaches (through VLAN/QinQ tags, MPLS, PBB,
 * FabricPath, PPPoE, and IP-in-IP, GRE, VXLAN, GENEVE, GTP-U, Teredo, L2TP, AYIYA tunnels). A
 * filter here speaks about that same packet, so that `host` and `port` select the addresses and
 * ports the report shows. On a plain packet (no tags, no tunnel) both readings are the same, and
 * the oracle test checks that the decisions are tcpdump's, packet for packet. Differences, all
 * deliberate:
 *
 * - VLAN tags (and MPLS labels, PBB, FabricPath, PPPoE) are transparent: `tcp port 80` matches
 *   tagged frames too; `vlan` is true when the frame has any tag, `vlan N` when any of its first
 *   four tags has ID N (tcpdump: the first tag, and the next one after each further `vlan`).
 * - In a tunnel the inner packet is the one tested; the outer headers cannot be matched.
 * - IPv6 extension headers (and IPv4 AH) are walked, as the decoder walks them: `tcp`, `port`,
 *   `icmp6` match behind hop-by-hop, routing, destination options, AH and a first fragment
 *   header (libpcap looks at the first next-header field only). `proto N` for one of those
 *   headers (0, 43, 44, 51, 60, 135, 139, 140) compares the IP header's own field, as tcpdump.
 * - `tcp[...]`, `udp[...]`, `icmp6[...]` index the transport header of IPv4 and IPv6 alike
 *   (libpcap 1.10 accepts `tcp[...]` for IPv4 only: "expression rejects all packets" for IPv6).
 * - An expression that can match nothing (`tcp and udp`) is accepted; tcpdump refuses it.
 *
 * As in BPF, reading past the captured bytes rejects the packet wherever that happens in the
 * expression (`not port 80` rejects a frame cut inside its ports). ICMP errors are not matched
 * by the addresses or ports of the packet they quote (`host S` drops a router's unreachable
 * about a SYN to S, as in tcpdump): add `or icmp or icmp6` to keep them.
 *
 * COST. Compiling builds a tree of closures (once). Per packet, `matches` copies about 15
 * numbers from the decoder's result into a reused view, then runs the closures: each primitive
 * is a few comparisons and at most a few byte reads, with no allocation. Measured on 1 million
 * Ethernet packets (native-notes.md, "Capture filters"): 5 to 70 ns per packet for typical
 * expressions, against about 140 ns for the decoding synscope does anyway. When the decoder
 * stopped before an IP header (ARP, a cut frame), the view walks the link layer once more.
 */
import type { CaptureRecord } from '../capture/record.js';
import { Decoder, type DecodedPacket } from '../decode/decoder.js';
import { SynscopeError } from '../errors.js';
import { nodeText, type Node } from './ast.js';
import { TRUE, compileNode, type Test } from './compile.js';
import { FilterParseError, parseFilter } from './parser.js';
import { PacketView } from './view.js';

export class PacketFilter {
  /** The expression as given. */
  readonly expression: string;
  /**
   * The expression as parsed: fully parenthesised, with inherited qualifiers written out
   * (`port 80 or 443 and tcp` is `((port 80 or port 443) and tcp)`).
   */
  readonly canonical: string;
  /** True for an empty expression, which matches every packet (tcpdump's rule). */
  readonly matchesAll: boolean;

  private readonly test: Test;
  private readonly view = new PacketView();
  private decoder: Decoder | null = null;

  /** @internal use compileFilter(). */
  constructor(expression: string, tree: Node) {
    this.expression = expression;
    this.canonical = nodeText(tree);
    this.matchesAll = tree.kind === 'all';
    this.test = compileNode(tree);
  }

  /**
   * Whether the packet of `rec` passes, given `p`, the decoder's result for that same record
   * (`decoder.decode(rec.buf, rec.off, rec.caplen, rec.origLen, rec.linkType)`).
   */
  matches(rec: CaptureRecord, p: DecodedPacket): boolean {
    const v = this.view;
    v.load(rec.buf, rec.off, rec.caplen, rec.origLen, rec.linkType, p);
    return this.test(v) === TRUE;
  }

  /** As matches(), for a frame given by its bytes; `p` must be its decoding. */
  matchesDecoded(buf: Buffer, off: number, caplen: number, origLen: number, linkType: number, p: DecodedPacket): boolean {
    const v = this.view;
    v.load(buf, off, caplen, origLen, linkType, p);
    return this.test(v) === TRUE;
  }

  /** Decodes the frame `buf[off, off + caplen)` (with a Decoder of its own) and tests it. */
  matchesFrame(buf: Buffer, off: number, caplen: number, origLen: number, linkType: number): boolean {
    if (this.decoder === null) this.decoder = new Decoder();
    const p = this.decoder.decode(buf, off, caplen, origLen, linkType);
    return this.matchesDecoded(buf, off, caplen, origLen, linkType, p);
  }

  toString(): string {
    return this.canonical;
  }
}

/**
 * Compiles a pcap-filter expression. Throws a SynscopeError with code ERR_USAGE and a one-line
 * message naming the column and the token, e.g. "filter: unsupported keyword 'gateway' at
 * column 1; supported: host, net, ...". An empty (or all-blank) expression matches everything.
 */
export function compileFilter(expression: string): PacketFilter {
  try {
    return new PacketFilter(expression, parseFilter(expression));
  } catch (e) {
    if (e instanceof FilterParseError) throw new SynscopeError('ERR_USAGE', `filter: ${e.message}`, { cause: e });
    throw e;
  }
}
