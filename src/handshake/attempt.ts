/**
 * The state of one connection attempt: one client SYN sequence (4-tuple + initial sequence
 * number). Only numbers are stored, copied out of the decoder, never views of packet buffers.
 * Times are seconds relative to the first packet of the analysis (`t` fields) so that doubles
 * keep sub-microsecond precision; the absolute start keeps the capture's full precision.
 */
import { Fifo } from '../flow/fifo.js';
import { FlowKey } from '../flow/table.js';
import { endpointToString, ipv4ToString, ipv6ToString } from '../util/ip.js';
import type { Flag, Verdict } from '../model/verdict.js';
import type { EndpointEntry, HostEntry } from './evidence.js';
import { reasonOf } from '../verdict/reasons.js';

/** Frames kept per kind of evidence; later ones are counted, not listed. */
export const MAX_FRAMES = 6;
const HISTORY_MAX = 24;
/** Zeek's history has no limit; a RST storm with changing sequence numbers must not grow it without bound. */
export const ZEEK_HISTORY_MAX = 64;

/**
 * History letters, after Zeek's conn.log `history` (upper case: client, lower case: server):
 * S SYN, h SYN-ACK, A the client's handshake ACK, D data, a server ACK of client data,
 * F/f FIN, R/r RST, T/t retransmitted SYN / SYN-ACK, i an ICMP error about the attempt,
 * x a RST the client must ignore (wrong ACK number). A letter repeats only when another
 * letter came in between.
 */
export type HistoryLetter = 'S' | 'h' | 'A' | 'D' | 'd' | 'a' | 'F' | 'f' | 'R' | 'r' | 'T' | 't' | 'i' | 'x';

/**
 * `history + letter`, shared: a capture has few distinct histories (hundreds), and a new string
 * per letter per attempt would be garbage that lives as long as the attempt (old-generation
 * garbage, which only a full collection frees).
 */
const historyNext = new Map<string, Array<string | undefined>>();
const HISTORY_SHAPES_MAX = 4096;

function nextHistory(h: string, c: number): string {
  let next = historyNext.get(h);
  if (next === undefined) {
    if (historyNext.size >= HISTORY_SHAPES_MAX) return h + String.fromCharCode(c);
    historyNext.set(h, (next = new Array<string | undefined>(128).fill(undefined)));
  }
  return next[c & 127] ??= h + String.fromCharCode(c);
}

let nextUid = 0;
/** Until the first decision (which brings arrays of its own): shared, and frozen so nothing adds to them. */
const NO_FLAGS: Flag[] = Object.freeze([]) as unknown as Flag[];
const NO_FRAMES: number[] = Object.freeze([]) as unknown as number[];

/**
 * Field initializers are the one list of starting values. They compile to assignments in the
 * constructor, which is what V8 counts to lay the fields out inside the object; fields first
 * assigned in a method called from it go to a separate property array instead (one more load on
 * every access: the hot path reads these fields all the time). `reset()` for pooled objects is
 * made from the same initializers (compileReset).
 */
export class Attempt extends FlowKey {
  /** Order of creation (first SYN). */
  seq: number = 0;
  /** Index of the input file of the first SYN. */
  file: number = 0;
  isn: number = 0;
  startSec: number = 0;
  startNsec: number = 0;
  tsDigits: number = 6;
  /** Capture-interface key of the first SYN (pcapng interface and cooked-header ifindex). */
  ifKey: number = 0;
  t0: number = 0;
  lastSynT: number = 0;
  /** The SYN before the last one (the last back-off is lastSynT - prevSynT). */
  prevSynT: number = 0;
  synCount: number = 1;
  /** Replaced by the first SYN's own one-element array (most attempts have one SYN). */
  synFrames: number[] = [];
  portReuse: boolean = false;
  /** Payload carried by the SYN itself (TCP Fast Open). */
  synDataLen: number = 0;

  synAckT: number = -1;
  synAckFrame: number = 0;
  synAckCount: number = 0;
  serverIsn: number = 0;
  /** The sequence number the client expects next from the server (for RST validity). */
  srvNextSeq: number = 0;
  synAckTtl: number = -1;
  /** Capture interface of the first SYN-ACK: copies on other interfaces are not retransmissions. */
  synAckIfKey: number = 0;
  synAckOptMask: number = 0;
  /** Time of the last SYN sent before the first SYN-ACK (for the RTT, as Karn's rule wants). */
  synBeforeAckT: number = 0;
  synAckRetxFrame: number = 0;
  synAckAfterAckFrame: number = 0;

  ackT: number = -1;
  ackFrame: number = 0;

  cliDataFrame: number = 0;
  cliDataT: number = -1;
  cliDataSeq: number = 0;
  cliDataRetx: number = 0;
  srvAckedDataFrame: number = 0;
  srvDataFrame: number = 0;
  /** A server packet (not RST) after a RST in its name: the RST was not the server's. */
  srvAfterRstFrame: number = 0;

  rstT: number = -1;
  rstFrame: number = 0;
  rstTtl: number = -1;
  /** Capture interface the RST was seen on (its TTL is compared with that interface's baseline). */
  rstIfKey: number = 0;
  rstFlowLabel: number = 0;
  /** The RST came after the handshake completed on the wire. */
  rstAfterAck: boolean = false;
  /** The RST carried the ACK flag (a socket's own reset) rather than being a bare reply to a segment. */
  rstHasAck: boolean = false;
  invalidRstFrame: number = 0;

  cliRstT: number = -1;
  cliRstFrame: number = 0;
  cliFinFrame: number = 0;
  /** When the client's FIN came, and how often it was sent again before the server acknowledged anything. */
  cliFinT: number = -1;
  cliFinRetx: number = 0;
  srvFinFrame: number = 0;

  icmpT: number = -1;
  icmpFrame: number = 0;
  icmpFamily: number = 0;
  icmpType: number = 0;
  icmpCode: number = 0;
  icmpTtl: number = 0;
  /** Address words of the ICMP error's sender. */
  icmpSender: number[] | null = null;

  /** The ICMP error's quote was cut (snap length) before the sequence number: matched by addresses and client port. */
  icmpPartial: boolean = false;
  /** RSTs that answered later SYN retransmissions (each SYN its own RST: not duplicate frames), and the last one's time. */
  rstAnswers: number = 0;
  lastRstT: number = -1;
  /** SYNs sent before the first SYN-ACK (0: none yet). */
  synsAtAnswer: number = 0;
  /** When the server first acknowledged the client's data (-1: never). */
  srvAckedDataT: number = -1;
  /**
   * A server ACK after the handshake that acknowledged none of the client's data (a duplicate ACK:
   * a segment was missing): the server had the connection, so no full queue dropped the final ACK.
   */
  srvDupAckFrame: number = 0;

  /**
   * The endpoint's SYN-ACK count (EndpointEntry.synAcks) at the first SYN, and just before this
   * attempt's own SYN-ACK (-1: none yet): the difference is what it answered others meanwhile.
   */
  aliveAtT0: number = 0;
  aliveAtAnswer: number = -1;
  /** The endpoint's last SYN-ACK before this attempt's own (evidence of a live listener). */
  aliveFrame: number = 0;
  /** SYNs of this attempt sent while the endpoint's queues held other attempts (see EndpointEntry.queued). */
  busySyns: number = 0;
  /** Other connections completed and not yet served by the application when this one's handshake ACK came (-1: no ACK yet). */
  busyAtAck: number = -1;
  /** Where this attempt stands in its endpoint's queues (a Queued value). */
  queued: number = 0;
  /** The handshake was completed without a captured SYN-ACK: the client's ACK of the server's ISN proves it. */
  oneSided: boolean = false;
  /** The sequence number after the client's highest data (0 until data is seen). */
  cliNextSeq: number = 0;

  truncated: boolean = false;
  dupFrames: number = 0;
  /** Zeek-style history letters (see HistoryLetter). */
  history: string = '';
  /** Last packet of the attempt (relative seconds). */
  lastT: number = 0;

  /**
   * What Zeek's conn.log counts (see conn-track.ts): packets and IP bytes (the IP header's total
   * length) each side sent, copies of a packet included; the capture time of the attempt's last
   * packet, TCP or ICMP (its own timestamp, kept as the latest seen).
   */
  origPkts: number = 0;
  origIpBytes: number = 0;
  respPkts: number = 0;
  respIpBytes: number = 0;
  endSec: number = 0;
  endNsec: number = 0;
  /**
   * Zeek's model of each TCP endpoint, originator (`zo*`) and responder (`zr*`): state bits
   * (conn-track.ts ZBits), first, last and acknowledged sequence numbers, the relative sequence
   * numbers of its last SYN, FIN and RST (history letters repeat only when they differ), and its
   * retransmission and zero-window counts (letters at 1, 10, 100, ...).
   */
  zoBits: number = 0;
  zoStart: number = 0;
  zoLast: number = 0;
  zoAck: number = 0;
  zoSyn: number = 0;
  zoFin: number = 0;
  zoRst: number = 0;
  zoRxmt: number = 0;
  zoWin0: number = 0;
  zrBits: number = 0;
  zrStart: number = 0;
  zrLast: number = 0;
  zrAck: number = 0;
  zrSyn: number = 0;
  zrFin: number = 0;
  zrRst: number = 0;
  zrRxmt: number = 0;
  zrWin0: number = 0;
  /** Zeek's `history` (its letters, not synscope's: see conn-track.ts). */
  zHistory: string = '';
  /** Zeek's last-activity time: the last TCP packet before both sides had closed (its `duration` ends there). */
  zLastSec: number = 0;
  zLastNsec: number = 0;

  decided: boolean = false;
  /** The consumer has made its final report (then it may be settled: see HandshakeEngine.reported). */
  reported: boolean = false;
  verdict: Verdict = 'incomplete';
  flags: Flag[] = NO_FLAGS;
  /** The deciding rule's number (verdict/rules.ts RULE_NUMBER) and the numbers its sentence quotes (verdict/reasons.ts). */
  why: number = 0;
  why0: number = 0;
  why1: number = 0;
  why2: number = 0;
  why3: number = 0;
  frames: number[] = NO_FRAMES;
  /** The verdict changed after it was first reported (an answer came late). */
  revised: boolean = false;
  /** New evidence arrived after the decision: classify again at the next wake-up. */
  needsReview: boolean = false;

  /** The server host's TTL baseline on this interface, and the endpoint's liveness record. */
  host: HostEntry | null = null;
  endpoint: EndpointEntry | null = null;

  /** Next time the engine should look at this attempt. */
  wakeAt: number = Infinity;
  /** A number of this object's own, for the engine's wake-up queue (kept when the object is reused). */
  readonly uid = nextUid++;
  /** The engine has let it go (see HandshakeEngine.release). */
  released: boolean = false;



  /**
   * Every field back to its starting value (the initializers above) when a pooled object is
   * taken again; arrays are new, as reports may share the old ones.
   */
  reset(): void {
    (resetFields ??= compileReset())(this);
  }

  /** The decision's sentence, written when asked for (reports only): see reasonOf. */
  get reason(): string {
    return reasonOf(this);
  }

  /** The server's address as text, made once per endpoint (for reasons). */
  serverIpText(): string {
    const ep = this.endpoint;
    return ep ? (ep.ipText ??= this.serverIp()) : this.serverIp();
  }

  /** `ip:port` of the server, made once per endpoint. */
  serverText(): string {
    const ep = this.endpoint;
    if (ep) return ep.text ??= endpointToString(this.serverIpText(), this.sport);
    return endpointToString(this.serverIp(), this.sport);
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

  /** Appends one of Zeek's history letters (char code), up to ZEEK_HISTORY_MAX. */
  addZeekHistory(c: number): void {
    const h = this.zHistory;
    if (h.length < ZEEK_HISTORY_MAX) this.zHistory = nextHistory(h, c);
  }

  addHistory(letter: HistoryLetter): void {
    const h = this.history;
    const c = letter.charCodeAt(0);
    if (h.length >= HISTORY_MAX || (h.length > 0 && h.charCodeAt(h.length - 1) === c)) return;
    this.history = nextHistory(h, c);
  }
}

let resetFields: ((a: Attempt) => void) | undefined;

/**
 * A function that sets every field of Attempt's own to its value in a fresh object (fields of
 * FlowKey and `uid` are kept). It is generated so that the initializers stay the one list, and
 * so that each store is a plain property store, as fast as a hand-written reset.
 */
function compileReset(): (a: Attempt) => void {
  const fresh = new Attempt() as unknown as Record<string, unknown>;
  const keyFields = new Set(Object.keys(new FlowKey()));
  const shared: unknown[] = [];
  const lines: string[] = [];
  for (const [k, v] of Object.entries(fresh)) {
    if (keyFields.has(k) || k === 'uid') continue;
    let expr: string;
    if (Array.isArray(v)) {
      // A frozen array is a shared empty one (kept); any other starts empty and new.
      if (Object.isFrozen(v)) { shared.push(v); expr = `shared[${shared.length - 1}]`; } else expr = '[]';
    } else if (typeof v === 'number') expr = Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : '-Infinity';
    else if (v === null || typeof v === 'boolean' || typeof v === 'string') expr = JSON.stringify(v);
    else throw new Error(`Attempt.${k}: no generated reset for a starting value of type ${typeof v}`);
    lines.push(`a.${k} = ${expr};`);
  }
  return new Function('shared', `return function resetAttempt(a) {\n${lines.join('\n')}\n};`)(shared) as (a: Attempt) => void;
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
  private readonly items = new Fifo<Attempt>();
  private readonly seqs = new Fifo<number>();

  push(a: Attempt, seq: number): void {
    this.items.push(a);
    this.seqs.push(seq);
  }

  /** The oldest entry that is still the attempt it was queued as (it stays queued). */
  peek(): Attempt | undefined {
    for (let a = this.items.peek(); a !== undefined; a = this.items.peek()) {
      if (a.seq === this.seqs.peek()) return a;
      this.pop();
    }
    return undefined;
  }

  /** Removes the entry peek() returned. */
  pop(): void {
    this.items.shift();
    this.seqs.shift();
  }
}

export function pushFrame(list: number[], frame: number): void {
  if (list.length < MAX_FRAMES) list.push(frame);
}
