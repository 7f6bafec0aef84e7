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

export class Attempt extends FlowKey {
  /** Order of creation (first SYN). */
  seq = 0;
  /** Index of the input file of the first SYN. */
  file = 0;
  isn = 0;
  startSec = 0;
  startNsec = 0;
  tsDigits = 6;
  /** Capture-interface key of the first SYN (pcapng interface and cooked-header ifindex). */
  ifKey = 0;
  t0 = 0;
  lastSynT = 0;
  /** The SYN before the last one (the last back-off is lastSynT - prevSynT). */
  prevSynT = 0;
  synCount = 1;
  synFrames: number[] = [];
  portReuse = false;
  /** Payload carried by the SYN itself (TCP Fast Open). */
  synDataLen = 0;

  synAckT = -1;
  synAckFrame = 0;
  synAckCount = 0;
  serverIsn = 0;
  /** The sequence number the client expects next from the server (for RST validity). */
  srvNextSeq = 0;
  synAckTtl = -1;
  /** Capture interface of the first SYN-ACK: copies on other interfaces are not retransmissions. */
  synAckIfKey = 0;
  synAckOptMask = 0;
  /** Time of the last SYN sent before the first SYN-ACK (for the RTT, as Karn's rule wants). */
  synBeforeAckT = 0;
  synAckRetxFrame = 0;
  synAckAfterAckFrame = 0;

  ackT = -1;
  ackFrame = 0;

  cliDataFrame = 0;
  cliDataT = -1;
  cliDataSeq = 0;
  cliDataRetx = 0;
  srvAckedDataFrame = 0;
  srvDataFrame = 0;
  /** A server packet (not RST) after a RST in its name: the RST was not the server's. */
  srvAfterRstFrame = 0;

  rstT = -1;
  rstFrame = 0;
  rstTtl = -1;
  /** Capture interface the RST was seen on (its TTL is compared with that interface's baseline). */
  rstIfKey = 0;
  rstFlowLabel = 0;
  /** The RST came after the handshake completed on the wire. */
  rstAfterAck = false;
  /** The RST carried the ACK flag (a socket's own reset) rather than being a bare reply to a segment. */
  rstHasAck = false;
  invalidRstFrame = 0;

  cliRstT = -1;
  cliRstFrame = 0;
  cliFinFrame = 0;
  srvFinFrame = 0;

  icmpT = -1;
  icmpFrame = 0;
  icmpFamily = 0;
  icmpType = 0;
  icmpCode = 0;
  icmpTtl = 0;
  /** Address words of the ICMP error's sender. */
  icmpSender: number[] | null = null;

  truncated = false;
  dupFrames = 0;
  /** Zeek-style history letters (see HistoryLetter). */
  history = '';
  /** Last packet of the attempt (relative seconds). */
  lastT = 0;

  decided = false;
  /** The consumer has made its final report (then it may be settled: see HandshakeEngine.reported). */
  reported = false;
  verdict: Verdict = 'incomplete';
  flags: Flag[] = [];
  reason = '';
  frames: number[] = [];
  /** The verdict changed after it was first reported (an answer came late). */
  revised = false;
  /** New evidence arrived after the decision: classify again at the next wake-up. */
  needsReview = false;

  /** The server host's TTL baseline on this interface, and the endpoint's liveness record. */
  host: HostEntry | null = null;
  endpoint: EndpointEntry | null = null;

  /** Next time the engine should look at this attempt. */
  wakeAt = Infinity;
  /** Its entry in the engine's wake-up queue (cut loose when the attempt is dropped). */
  ticket: WakeTicket = { a: this, at: Infinity };

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

/** A queued wake-up: `at` is the earliest time queued for the attempt, `a` null once it is gone. */
export interface WakeTicket {
  a: Attempt | null;
  at: number;
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
  private static readonly blank = new Attempt();

  constructor(private readonly max = 8192) {}

  take(): Attempt {
    const a = this.free.pop();
    if (!a) return new Attempt();
    Object.assign(a, AttemptPool.blank);
    a.synFrames = [];
    a.flags = [];
    a.frames = [];
    a.ticket = { a, at: Infinity };
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
