/**
 * The state of one connection attempt: one client SYN sequence (4-tuple + initial sequence
 * number). Only numbers are stored, copied out of the decoder, never views of packet buffers.
 * Times are seconds relative to the first packet of the analysis (`t` fields) so that doubles
 * keep sub-microsecond precision; the absolute start keeps the capture's full precision.
 */
import { Fifo } from '../flow/fifo.js';
import { setTuple, tupleMatches, type FlowEntry } from '../flow/table.js';
import { bool, installColumns, int, num, ref, uint, RowHandle, RowTable, type RowOf } from '../flow/row-table.js';
import { endpointToString, ipv4ToString, ipv6ToString } from '../util/ip.js';
import type { Flag, Verdict } from '../model/verdict.js';
import type { EndpointEntry, HostEntry } from './evidence.js';
import { reasonOf } from '../verdict/reasons.js';
import { NO_FLAGS } from '../verdict/flags.js';

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

/** Until the first decision (which brings arrays of its own): shared, and frozen so nothing adds to them. */
const NO_FRAMES: number[] = Object.freeze([]) as unknown as number[];
/** An answer column (see row-table.ts): stored only once the attempt has an answer of some kind. */
const ANSWER = true;

/**
 * The columns of an attempt, the one list of its fields and their starting values. The SYN part
 * (key, SYNs, client counts, decision, lifecycle) is stored for every attempt; the answer part
 * (SYN-ACK, RST, ICMP, data, the responder's counts) only from the first write to one of its fields.
 */
export const ATTEMPT_COLUMNS = {
  version: int(), c0: uint(), c1: uint(), c2: uint(), c3: uint(), s0: uint(), s1: uint(), s2: uint(), s3: uint(),
  cport: int(), sport: int(),
  /** VLAN context (NetStart.vlanKey): 0 untagged. */
  vlan: int(),
  hash: uint(),
  /** Index in the flow table's entry array, -1 when not in it. */
  index: int(-1),

  /** Order of creation (first SYN). */
  seq: int(),
  /** Index of the input file of the first SYN. */
  file: int(),
  isn: uint(),
  startSec: num(),
  startNsec: int(),
  tsDigits: int(6),
  /** Capture-interface key of the first SYN (pcapng interface and cooked-header ifindex). */
  ifKey: num(),
  t0: num(),
  lastSynT: num(),
  /** The SYN before the last one (the last back-off is lastSynT - prevSynT). */
  prevSynT: num(),
  synCount: int(1),
  /** Replaced by the first SYN's own one-element array (most attempts have one SYN). */
  synFrames: ref<number[]>(NO_FRAMES, false, () => []),
  portReuse: bool(),
  /** Payload carried by the SYN itself (TCP Fast Open). */
  synDataLen: int(),

  synAckT: num(-1, ANSWER),
  synAckFrame: uint(0, ANSWER),
  synAckCount: int(0, ANSWER),
  serverIsn: num(0, ANSWER),
  /** The sequence number the client expects next from the server (for RST validity). */
  srvNextSeq: num(0, ANSWER),
  synAckTtl: int(-1, ANSWER),
  /** Capture interface of the first SYN-ACK: copies on other interfaces are not retransmissions. */
  synAckIfKey: num(0, ANSWER),
  synAckOptMask: int(0, ANSWER),
  /** Time of the last SYN sent before the first SYN-ACK (for the RTT, as Karn's rule wants). */
  synBeforeAckT: num(),
  synAckRetxFrame: uint(0, ANSWER),
  synAckAfterAckFrame: uint(0, ANSWER),

  ackT: num(-1, ANSWER),
  ackFrame: uint(0, ANSWER),

  cliDataFrame: uint(0, ANSWER),
  cliDataT: num(-1, ANSWER),
  cliDataSeq: num(0, ANSWER),
  cliDataRetx: int(0, ANSWER),
  srvAckedDataFrame: uint(0, ANSWER),
  srvDataFrame: uint(0, ANSWER),
  /** A server packet (not RST) after a RST in its name: the RST was not the server's. */
  srvAfterRstFrame: uint(0, ANSWER),

  rstT: num(-1, ANSWER),
  rstFrame: uint(0, ANSWER),
  rstTtl: int(-1, ANSWER),
  /** Capture interface the RST was seen on (its TTL is compared with that interface's baseline). */
  rstIfKey: num(0, ANSWER),
  rstFlowLabel: int(0, ANSWER),
  /** The RST came after the handshake completed on the wire. */
  rstAfterAck: bool(false, ANSWER),
  /** The RST carried the ACK flag (a socket's own reset) rather than being a bare reply to a segment. */
  rstHasAck: bool(false, ANSWER),
  invalidRstFrame: uint(0, ANSWER),

  cliRstT: num(-1, ANSWER),
  cliRstFrame: uint(0, ANSWER),
  cliFinFrame: uint(0, ANSWER),
  /** When the client's FIN came, and how often it was sent again before the server acknowledged anything. */
  cliFinT: num(-1, ANSWER),
  cliFinRetx: int(0, ANSWER),
  srvFinFrame: uint(0, ANSWER),

  icmpT: num(-1, ANSWER),
  icmpFrame: uint(0, ANSWER),
  icmpFamily: int(0, ANSWER),
  icmpType: int(0, ANSWER),
  icmpCode: int(0, ANSWER),
  icmpTtl: int(0, ANSWER),
  /** Address words of the ICMP error's sender. */
  icmpSender: ref<number[] | null>(null, ANSWER),
  /** The ICMP error's quote was cut (snap length) before the sequence number: matched by addresses and client port. */
  icmpPartial: bool(false, ANSWER),
  /** RSTs that answered later SYN retransmissions (each SYN its own RST: not duplicate frames), and the last one's time. */
  rstAnswers: int(0, ANSWER),
  lastRstT: num(-1, ANSWER),
  /** SYNs sent before the first SYN-ACK (0: none yet). */
  synsAtAnswer: int(0, ANSWER),
  /** When the server first acknowledged the client's data (-1: never). */
  srvAckedDataT: num(-1, ANSWER),
  /**
   * A server ACK after the handshake that acknowledged none of the client's data (a duplicate ACK:
   * a segment was missing): the server had the connection, so no full queue dropped the final ACK.
   */
  srvDupAckFrame: uint(0, ANSWER),

  /**
   * The endpoint's SYN-ACK count (EndpointEntry.synAcks) at the first SYN, and just before this
   * attempt's own SYN-ACK (-1: none yet): the difference is what it answered others meanwhile.
   */
  aliveAtT0: num(),
  aliveAtAnswer: num(-1, ANSWER),
  /** The endpoint's last SYN-ACK before this attempt's own (evidence of a live listener). */
  aliveFrame: uint(0, ANSWER),
  /** SYNs of this attempt sent while the endpoint's queues held other attempts (see EndpointEntry.queued). */
  busySyns: int(),
  /** Other connections completed and not yet served by the application when this one's handshake ACK came (-1: no ACK yet). */
  busyAtAck: num(-1, ANSWER),
  /** Where this attempt stands in its endpoint's queues (a Queued value). */
  queued: int(),
  /** The handshake was completed without a captured SYN-ACK: the client's ACK of the server's ISN proves it. */
  oneSided: bool(false, ANSWER),
  /** The sequence number after the client's highest data (0 until data is seen). */
  cliNextSeq: num(0, ANSWER),

  truncated: bool(),
  dupFrames: int(),
  /** Zeek-style history letters (see HistoryLetter). */
  history: ref(''),
  /** Last packet of the attempt (relative seconds). */
  lastT: num(),

  /**
   * What Zeek's conn.log counts (see conn-track.ts): packets and IP bytes (the IP header's total
   * length) each side sent, copies of a packet included; the capture time of the attempt's last
   * packet, TCP or ICMP (its own timestamp, kept as the latest seen).
   */
  origPkts: int(),
  origIpBytes: num(),
  respPkts: int(0, ANSWER),
  respIpBytes: num(0, ANSWER),
  endSec: num(),
  endNsec: int(),
  /**
   * Zeek's model of each TCP endpoint, originator (`zo*`) and responder (`zr*`): state bits
   * (conn-track.ts ZBits), first, last and acknowledged sequence numbers, the relative sequence
   * numbers of its last SYN, FIN and RST (history letters repeat only when they differ), and its
   * retransmission and zero-window counts (letters at 1, 10, 100, ...).
   */
  zoBits: int(), zoStart: num(), zoLast: num(), zoAck: num(), zoSyn: num(), zoFin: num(), zoRst: num(), zoRxmt: num(), zoWin0: num(),
  zrBits: int(0, ANSWER), zrStart: num(0, ANSWER), zrLast: num(0, ANSWER), zrAck: num(0, ANSWER), zrSyn: num(0, ANSWER),
  zrFin: num(0, ANSWER), zrRst: num(0, ANSWER), zrRxmt: num(0, ANSWER), zrWin0: num(0, ANSWER),
  /** Zeek's `history` (its letters, not synscope's: see conn-track.ts). */
  zHistory: ref(''),
  /** Zeek's last-activity time: the last TCP packet before both sides had closed (its `duration` ends there). */
  zLastSec: num(),
  zLastNsec: int(),

  decided: bool(),
  /** The consumer has made its final report (then it may be settled: see HandshakeEngine.reported). */
  reported: bool(),
  verdict: ref<Verdict>('incomplete'),
  flags: ref<Flag[]>(NO_FLAGS),
  /** The deciding rule's number (verdict/rules.ts RULE_NUMBER) and the numbers its sentence quotes (verdict/reasons.ts). */
  why: int(), why0: num(), why1: num(), why2: num(), why3: num(),
  frames: ref<number[]>(NO_FRAMES),
  /** The verdict changed after it was first reported (an answer came late). */
  revised: bool(),
  /** New evidence arrived after the decision: classify again at the next wake-up. */
  needsReview: bool(),

  /** The server host's TTL baseline on this interface, and the endpoint's liveness record. */
  host: ref<HostEntry | null>(null),
  endpoint: ref<EndpointEntry | null>(null),

  /** Next time the engine should look at this attempt. */
  wakeAt: num(Infinity),
  /** The engine has let it go (see AttemptStore.release). */
  released: bool(),
  /** No report will be made of it (see AttemptStore.unreported). */
  unreported: bool(),
};

export interface Attempt extends RowOf<typeof ATTEMPT_COLUMNS> {}

/**
 * One attempt: a handle on its row of the attempt table (see row-table.ts). Its fields are the
 * columns above, read and written in place; a handle is reused with its slot once the engine
 * has let the attempt go and its final report is made.
 */
export class Attempt extends RowHandle implements FlowEntry {
  /** The wake-up heap's number for it (unique among live attempts: its slot). */
  get uid(): number {
    return this.slot;
  }

  setKey(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan = 0): void {
    setTuple(this, version, cli, cport, srv, sport, vlan);
  }

  matches(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan: number): boolean {
    return tupleMatches(this, version, cli, cport, srv, sport, vlan);
  }

  /** Address words, for reports (allocates). */
  get cli(): number[] {
    return [this.c0, this.c1, this.c2, this.c3];
  }

  get srv(): number[] {
    return [this.s0, this.s1, this.s2, this.s3];
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
installColumns(Attempt.prototype, ATTEMPT_COLUMNS);

/** The table of attempts: every attempt of an engine is a row of one of these. */
export class AttemptTable extends RowTable<Attempt> {
  constructor() {
    super(ATTEMPT_COLUMNS, (t, slot, s, i) => new Attempt(t, slot, s, i));
  }
}

let scratch: AttemptTable | undefined;
/** A blank attempt outside any engine (tests, tools): a row of a table of its own module. */
export function blankAttempt(): Attempt {
  return (scratch ??= new AttemptTable()).alloc();
}

/**
 * Attempts in creation order. Rows are reused, so each entry remembers the creation number it
 * was queued with and is returned only if the row still holds it.
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
