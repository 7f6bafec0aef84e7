/**
 * The state of one connection attempt: one client SYN sequence (4-tuple + initial sequence
 * number). Only numbers are stored, copied out of the decoder, never views of packet buffers.
 * Times are seconds relative to the first packet of the analysis (`t` fields) so that doubles
 * keep sub-microsecond precision; the absolute start keeps the capture's full precision.
 */
import { FlowKey } from '../flow/table.js';
import { ipv4ToString, ipv6ToString } from '../util/ip.js';
import type { Flag, Verdict } from '../model/verdict.js';
import type { EndpointEntry, HostEntry } from './evidence.js';

/** Frames kept per kind of evidence; later ones are counted, not listed. */
export const MAX_FRAMES = 6;
const HISTORY_MAX = 24;

/**
 * History letters, after Zeek's conn.log `history` (upper case: client, lower case: server):
 * S SYN, h SYN-ACK, A the client's handshake ACK, D data, a server ACK of client data,
 * F/f FIN, R/r RST, T/t retransmitted SYN / SYN-ACK, i an ICMP error about the attempt,
 * x a RST the client must ignore (wrong ACK number). A letter repeats only when another
 * letter came in between.
 */
export type HistoryLetter = 'S' | 'h' | 'A' | 'D' | 'd' | 'a' | 'F' | 'f' | 'R' | 'r' | 'T' | 't' | 'i' | 'x';

let nextUid = 0;
/** Until the first decision (which brings arrays of its own): shared, and frozen so nothing adds to them. */
const NO_FLAGS: Flag[] = Object.freeze([]) as unknown as Flag[];
const NO_FRAMES: number[] = Object.freeze([]) as unknown as number[];

export class Attempt extends FlowKey {
  /** Order of creation (first SYN). */
  seq!: number;
  /** Index of the input file of the first SYN. */
  file!: number;
  isn!: number;
  startSec!: number;
  startNsec!: number;
  tsDigits!: number;
  /** Capture-interface key of the first SYN (pcapng interface and cooked-header ifindex). */
  ifKey!: number;
  t0!: number;
  lastSynT!: number;
  /** The SYN before the last one (the last back-off is lastSynT - prevSynT). */
  prevSynT!: number;
  synCount!: number;
  synFrames!: number[];
  portReuse!: boolean;
  /** Payload carried by the SYN itself (TCP Fast Open). */
  synDataLen!: number;

  synAckT!: number;
  synAckFrame!: number;
  synAckCount!: number;
  serverIsn!: number;
  /** The sequence number the client expects next from the server (for RST validity). */
  srvNextSeq!: number;
  synAckTtl!: number;
  /** Capture interface of the first SYN-ACK: copies on other interfaces are not retransmissions. */
  synAckIfKey!: number;
  synAckOptMask!: number;
  /** Time of the last SYN sent before the first SYN-ACK (for the RTT, as Karn's rule wants). */
  synBeforeAckT!: number;
  synAckRetxFrame!: number;
  synAckAfterAckFrame!: number;

  ackT!: number;
  ackFrame!: number;

  cliDataFrame!: number;
  cliDataT!: number;
  cliDataSeq!: number;
  cliDataRetx!: number;
  srvAckedDataFrame!: number;
  srvDataFrame!: number;
  /** A server packet (not RST) after a RST in its name: the RST was not the server's. */
  srvAfterRstFrame!: number;

  rstT!: number;
  rstFrame!: number;
  rstTtl!: number;
  /** Capture interface the RST was seen on (its TTL is compared with that interface's baseline). */
  rstIfKey!: number;
  rstFlowLabel!: number;
  /** The RST came after the handshake completed on the wire. */
  rstAfterAck!: boolean;
  /** The RST carried the ACK flag (a socket's own reset) rather than being a bare reply to a segment. */
  rstHasAck!: boolean;
  invalidRstFrame!: number;

  cliRstT!: number;
  cliRstFrame!: number;
  cliFinFrame!: number;
  srvFinFrame!: number;

  icmpT!: number;
  icmpFrame!: number;
  icmpFamily!: number;
  icmpType!: number;
  icmpCode!: number;
  icmpTtl!: number;
  /** Address words of the ICMP error's sender. */
  icmpSender!: number[] | null;

  truncated!: boolean;
  dupFrames!: number;
  /** Zeek-style history letters (see HistoryLetter). */
  history!: string;
  /** Last packet of the attempt (relative seconds). */
  lastT!: number;

  decided!: boolean;
  /** The consumer has made its final report (then it may be settled: see HandshakeEngine.reported). */
  reported!: boolean;
  verdict!: Verdict;
  flags!: Flag[];
  reason!: string;
  frames!: number[];
  /** The verdict changed after it was first reported (an answer came late). */
  revised!: boolean;
  /** New evidence arrived after the decision: classify again at the next wake-up. */
  needsReview!: boolean;

  /** The server host's TTL baseline on this interface, and the endpoint's liveness record. */
  host!: HostEntry | null;
  endpoint!: EndpointEntry | null;

  /** Next time the engine should look at this attempt. */
  wakeAt!: number;
  /** A number of this object's own, for the engine's wake-up queue (kept when the object is reused). */
  readonly uid = nextUid++;
  /** The engine has let it go (see HandshakeEngine.release). */
  released!: boolean;

  constructor() {
    super();
    this.reset();
  }

  /**
   * Every field to its starting value: the one list of them, used by the constructor and when a
   * pooled object is taken again (arrays are new: reports may share the old ones).
   */
  reset(): void {
    this.seq = 0;
    this.file = 0;
    this.isn = 0;
    this.startSec = 0;
    this.startNsec = 0;
    this.tsDigits = 6;
    this.ifKey = 0;
    this.t0 = 0;
    this.lastSynT = 0;
    this.prevSynT = 0;
    this.synCount = 1;
    this.synFrames = [];
    this.portReuse = false;
    this.synDataLen = 0;
    this.synAckT = -1;
    this.synAckFrame = 0;
    this.synAckCount = 0;
    this.serverIsn = 0;
    this.srvNextSeq = 0;
    this.synAckTtl = -1;
    this.synAckIfKey = 0;
    this.synAckOptMask = 0;
    this.synBeforeAckT = 0;
    this.synAckRetxFrame = 0;
    this.synAckAfterAckFrame = 0;
    this.ackT = -1;
    this.ackFrame = 0;
    this.cliDataFrame = 0;
    this.cliDataT = -1;
    this.cliDataSeq = 0;
    this.cliDataRetx = 0;
    this.srvAckedDataFrame = 0;
    this.srvDataFrame = 0;
    this.srvAfterRstFrame = 0;
    this.rstT = -1;
    this.rstFrame = 0;
    this.rstTtl = -1;
    this.rstIfKey = 0;
    this.rstFlowLabel = 0;
    this.rstAfterAck = false;
    this.rstHasAck = false;
    this.invalidRstFrame = 0;
    this.cliRstT = -1;
    this.cliRstFrame = 0;
    this.cliFinFrame = 0;
    this.srvFinFrame = 0;
    this.icmpT = -1;
    this.icmpFrame = 0;
    this.icmpFamily = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
    this.icmpTtl = 0;
    this.icmpSender = null;
    this.truncated = false;
    this.dupFrames = 0;
    this.history = '';
    this.lastT = 0;
    this.decided = false;
    this.reported = false;
    this.verdict = 'incomplete';
    this.flags = NO_FLAGS;
    this.reason = '';
    this.frames = NO_FRAMES;
    this.revised = false;
    this.needsReview = false;
    this.host = null;
    this.endpoint = null;
    this.wakeAt = Infinity;
    this.released = false;
  }

  /** Text forms of the addresses (built on demand: reports and reasons only). */
  serverIp(): string {
    return this.version === 4 ? ipv4ToString(this.s0) : ipv6ToString(this.s0, this.s1, this.s2, this.s3);
  }

  clientIp(): string {
    return this.version === 4 ? ipv4ToString(this.c0) : ipv6ToString(this.c0, this.c1, this.c2, this.c3);
  }

  icmpSenderIp(): string {
    const w = this.icmpSender;
    if (!w) return '';
    return this.icmpFamily === 4 ? ipv4ToString(w[0]) : ipv6ToString(w[0], w[1], w[2], w[3]);
  }

  addHistory(letter: HistoryLetter): void {
    const h = this.history;
    if (h.length >= HISTORY_MAX || (h.length > 0 && h.charCodeAt(h.length - 1) === letter.charCodeAt(0))) return;
    this.history = h + letter;
  }
}

/**
 * Attempt objects for reuse. An attempt lives for seconds of capture time, long enough to be
 * promoted to V8's old generation; a busy capture makes hundreds of thousands of them, and
 * collecting them dominated the run time and made the heap grow far past the live set. An
 * attempt comes back here only when nothing refers to it any more: dropped by the engine and its
 * final report made (the report's arrays are the attempt's own, so they are replaced, not cleared).
 */
export class AttemptPool {
  private readonly free: Attempt[] = [];

  constructor(private readonly max = 8192) {}

  take(): Attempt {
    const a = this.free.pop();
    if (!a) return new Attempt();
    a.reset();
    return a;
  }

  give(a: Attempt): void {
    if (this.free.length < this.max) this.free.push(a);
  }
}

/**
 * Attempts in creation order. Objects are reused (AttemptPool), so each entry remembers the
 * creation number it was queued with and is returned only if the object still holds it.
 */
export class AttemptQueue {
  private items: Attempt[] = [];
  private seqs: number[] = [];
  private head = 0;

  push(a: Attempt, seq: number): void {
    this.items.push(a);
    this.seqs.push(seq);
  }

  /** The oldest entry that is still the attempt it was queued as (it stays queued). */
  peek(): Attempt | undefined {
    if (this.head > 65536 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.seqs = this.seqs.slice(this.head);
      this.head = 0;
    }
    while (this.head < this.items.length) {
      const a = this.items[this.head];
      if (a.seq === this.seqs[this.head]) return a;
      this.head++;
    }
    return undefined;
  }

  /** Removes the entry peek() returned. */
  pop(): void {
    this.head++;
  }
}

export function pushFrame(list: number[], frame: number): void {
  if (list.length < MAX_FRAMES) list.push(frame);
}
