/**
 * What Zeek's conn.log would say about an attempt: packet and byte counts, duration, `history`
 * and `conn_state`, kept packet by packet in the attempt's own number fields (no allocation).
 *
 * The rules are Zeek's, as its documentation of conn.log (base/protocols/conn/main.zeek:
 * `conn_state`, `history`, `orig_bytes`, `duration`) and its TCP analyzer define them: each side
 * of the connection is an endpoint in one of seven states (inactive, SYN sent, SYN-ACK sent,
 * partial, established, closed, reset); the responder's SYN-ACK makes both sides established
 * (before the originator's ACK); a FIN closes a side, a RST resets it; `conn_state` is read from
 * the two final states, `orig_bytes` from the sequence numbers (highest sent or acknowledged,
 * less the SYN and FIN), and `duration` ends at the last packet before both sides had closed.
 * History letters (upper case the originator, lower case the responder): S SYN, H SYN-ACK,
 * A pure ACK, D data, F FIN, R RST, T retransmitted data, W zero window, I FIN+RST, Q SYN+FIN or
 * SYN+RST; A, D, I and Q at most once per side, S, H, F and R again only at another sequence
 * number, T and W at the 1st, 10th, 100th ... time.
 *
 * Not modelled: C (bad checksums: synscope does not verify them, as `zeek -C`), G (content gaps:
 * no reassembly, so `missed_bytes` is 0), `^` (Zeek's role flip: an attempt's originator is the
 * client that sent the first SYN), and Zeek's timers (an attempt is one row however long its
 * SYNs go on; Zeek starts a new connection after 5 s without an answer).
 */
import { TcpFlag } from '../decode/constants.js';
import type { DecodedPacket } from '../decode/decoder.js';
import type { ConnState } from '../model/conn-state.js';
import { seqDiff } from '../util/seq.js';
import type { Attempt } from './attempt.js';

/** Zeek's TCP endpoint states. */
const INACTIVE = 0;
const SYN_SENT = 1;
const SYN_ACK_SENT = 2;
const PARTIAL = 3;
const ESTABLISHED = 4;
const CLOSED = 5;
const RESET = 6;

/**
 * Bits of `zoBits` / `zrBits`: the state (3 bits), the state before it (3 bits), a FIN sent, the
 * side has closed (FIN or RST), and which history events have been recorded (Zeek's "seen" mask).
 */
const PREV_SHIFT = 3;
const FIN_SENT = 1 << 6;
const DID_CLOSE = 1 << 7;
const SEEN_SYN = 1 << 8;
const SEEN_FIN = 1 << 9;
const SEEN_RST = 1 << 10;
const SEEN_DATA = 1 << 11;
const SEEN_ACK = 1 << 12;
const SEEN_FIN_RST = 1 << 13;
const SEEN_MULTI = 1 << 14;

/** A RST or SYN whose sequence number jumps this far is not trusted to move the endpoint's last one. */
const TOO_LARGE_SEQ_DELTA = 1048576;

/** One endpoint, loaded from an attempt's `zo*` or `zr*` fields for one packet (two reused objects). */
class Endpoint {
  bits = 0;
  start = 0;
  last = 0;
  ack = 0;
  syn = 0;
  fin = 0;
  rst = 0;
  rxmt = 0;
  win0 = 0;
  /** 0 for the originator, 32 for the responder: added to an upper-case letter's code. */
  lower = 0;

  get state(): number {
    return this.bits & 7;
  }

  setState(s: number): void {
    const cur = this.bits & 7;
    if (s === cur) return;
    this.bits = (this.bits & ~0x3f) | (cur << PREV_SHIFT) | s;
  }

  get prev(): number {
    return (this.bits >> PREV_SHIFT) & 7;
  }

  restart(seq: number, last: number): void {
    this.start = this.ack = seq;
    this.last = last;
  }
}

const orig = new Endpoint();
const resp = new Endpoint();
resp.lower = 32;

function load(a: Attempt): void {
  orig.bits = a.zoBits; orig.start = a.zoStart; orig.last = a.zoLast; orig.ack = a.zoAck;
  orig.syn = a.zoSyn; orig.fin = a.zoFin; orig.rst = a.zoRst; orig.rxmt = a.zoRxmt; orig.win0 = a.zoWin0;
  resp.bits = a.zrBits; resp.start = a.zrStart; resp.last = a.zrLast; resp.ack = a.zrAck;
  resp.syn = a.zrSyn; resp.fin = a.zrFin; resp.rst = a.zrRst; resp.rxmt = a.zrRxmt; resp.win0 = a.zrWin0;
}

function store(a: Attempt): void {
  a.zoBits = orig.bits; a.zoStart = orig.start; a.zoLast = orig.last; a.zoAck = orig.ack;
  a.zoSyn = orig.syn; a.zoFin = orig.fin; a.zoRst = orig.rst; a.zoRxmt = orig.rxmt; a.zoWin0 = orig.win0;
  a.zrBits = resp.bits; a.zrStart = resp.start; a.zrLast = resp.last; a.zrAck = resp.ack;
  a.zrSyn = resp.syn; a.zrFin = resp.fin; a.zrRst = resp.rst; a.zrRxmt = resp.rxmt; a.zrWin0 = resp.win0;
}

const L_S = 0x53, L_H = 0x48, L_A = 0x41, L_D = 0x44, L_F = 0x46, L_R = 0x52, L_T = 0x54, L_W = 0x57, L_I = 0x49, L_Q = 0x51;

/** Records an event the first time it is seen on this side; true when it had been seen before. */
function seenBefore(a: Attempt, e: Endpoint, bit: number, letter: number): boolean {
  if (e.bits & bit) return true;
  e.bits |= bit;
  a.addZeekHistory(letter + e.lower);
  return false;
}

/** T and W: a letter at the 1st, 10th, 100th, ... event. */
function scaled(a: Attempt, e: Endpoint, count: number, letter: number): void {
  for (let t = 1; t <= count; t *= 10) {
    if (t === count) { a.addZeekHistory(letter + e.lower); return; }
  }
}

/** The time of the packet, if it is the latest of the attempt's (a stamp that goes backwards moves nothing). */
function later(sec: number, nsec: number, thanSec: number, thanNsec: number): boolean {
  return sec > thanSec || (sec === thanSec && nsec > thanNsec);
}

/** Any packet of the attempt, TCP or ICMP: the attempt's `end`. */
export function noteEnd(a: Attempt, tsSec: number, tsNsec: number): void {
  if (later(tsSec, tsNsec, a.endSec, a.endNsec)) { a.endSec = tsSec; a.endNsec = tsNsec; }
}

/**
 * One TCP packet of the attempt, from its originator (the client) or its responder: counted, and
 * run through Zeek's endpoint model. Every TCP packet of the attempt's 4-tuple comes here, copies
 * and packets synscope's own rules ignore (a RST with the wrong ACK number) included, as Zeek
 * sees them all.
 */
export function trackTcp(a: Attempt, fromOrig: boolean, p: DecodedPacket, tsSec: number, tsNsec: number): void {
  const ip = p.ip;
  const tcp = p.tcp;
  const ipBytes = ip.payloadOff - ip.off + ip.payloadLen;
  if (fromOrig) { a.origPkts++; a.origIpBytes += ipBytes; } else { a.respPkts++; a.respIpBytes += ipBytes; }
  noteEnd(a, tsSec, tsNsec);
  load(a);
  const e = fromOrig ? orig : resp;
  const peer = fromOrig ? resp : orig;
  const f = tcp.flags;
  const syn = (f & TcpFlag.SYN) !== 0;
  const fin = (f & TcpFlag.FIN) !== 0;
  const rst = (f & TcpFlag.RST) !== 0;
  const ack = (f & TcpFlag.ACK) !== 0;
  const len = tcp.have >= 20 ? tcp.payloadLen : 0;
  const seq = tcp.seq;
  // Sequence space the segment takes: SYN and FIN one each; a RST's data is not part of the stream.
  const segLen = rst ? (syn ? 1 : 0) + (fin ? 1 : 0) : len + (syn ? 1 : 0) + (fin ? 1 : 0);
  const onePast = (seq + segLen) >>> 0;

  // The endpoint's sequence numbering starts at its SYN, or (a side seen first without one) as if
  // there had been a SYN just before; a SYN at another number starts it again.
  const st = e.state;
  if (st === INACTIVE) {
    if (syn) e.restart(seq, onePast);
    else e.restart((seq - 1) >>> 0, seq);
  } else if (syn && (((st === SYN_SENT || st === SYN_ACK_SENT) && seq !== e.start) || st === ESTABLISHED || st === PARTIAL || (st === RESET && e.prev === INACTIVE))) {
    e.restart(seq, onePast);
  }
  const relSeq = seqDiff(seq, e.start);

  history(a, e, syn, fin, rst, ack, relSeq, len);
  if (tcp.window === 0 && !rst && peer.state !== CLOSED && e.state !== RESET) scaled(a, e, ++e.win0, L_W);
  // Zeek's connection time stops once both sides have closed (the last ACK of a FIN exchange is not in `duration`).
  if (!((orig.bits & DID_CLOSE) && (resp.bits & DID_CLOSE)) && later(tsSec, tsNsec, a.zLastSec, a.zLastNsec)) { a.zLastSec = tsSec; a.zLastNsec = tsNsec; }
  if (ack) {
    // An ACK to a side not seen yet starts that side's numbering; a RST's ACK is not trusted.
    if (peer.state === INACTIVE) peer.start = peer.ack = peer.last = (tcp.ack - 1) >>> 0;
    else if (!rst && seqDiff(tcp.ack, peer.start) >= 0) {
      const delta = seqDiff(tcp.ack, peer.ack);
      if (delta > 0 && !(tcp.ack === 0 && delta > TOO_LARGE_SEQ_DELTA)) peer.ack = tcp.ack;
    }
  }
  const deltaLast = seqDiff(onePast, e.last);
  if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
    // a wild RST or SYN number moves nothing
  } else if (fin && e.last === ((e.start + 1) >>> 0)) e.last = onePast;
  else if (e.state === RESET) {
    // after a RST, no sequence number is trusted
  } else if (deltaLast > 0) e.last = onePast;
  else if (len > 0) scaled(a, e, ++e.rxmt, L_T);
  if (fin) e.bits |= FIN_SENT;
  transition(e, peer, fromOrig, syn, fin, rst, ack, len, st);
  store(a);
}

function history(a: Attempt, e: Endpoint, syn: boolean, fin: boolean, rst: boolean, ack: boolean, relSeq: number, len: number): void {
  const control = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (control > 1) {
    if (fin && rst) seenBefore(a, e, SEEN_FIN_RST, L_I);
    else seenBefore(a, e, SEEN_MULTI, L_Q);
  } else if (control === 1) {
    if (syn) {
      const letter = ack ? L_H : L_S;
      if (seenBefore(a, e, SEEN_SYN, letter) && relSeq !== e.syn) a.addZeekHistory(letter + e.lower);
      e.syn = relSeq;
    }
    if (fin) {
      // A FIN's number is the one after its data.
      if (seenBefore(a, e, SEEN_FIN, L_F) && relSeq + len !== e.fin) a.addZeekHistory(L_F + e.lower);
      e.fin = relSeq + len;
    }
    if (rst) {
      if (seenBefore(a, e, SEEN_RST, L_R) && relSeq !== e.rst) a.addZeekHistory(L_R + e.lower);
      e.rst = relSeq;
    }
  } else if (len > 0) seenBefore(a, e, SEEN_DATA, L_D);
  else if (ack) seenBefore(a, e, SEEN_ACK, L_A);
}

/** The endpoint's state after the packet (`st`: its state before it). */
function transition(e: Endpoint, peer: Endpoint, fromOrig: boolean, syn: boolean, fin: boolean, rst: boolean, ack: boolean, len: number, st: number): void {
  switch (st) {
    case INACTIVE:
      if (syn) {
        if (fromOrig) e.setState(ack ? SYN_ACK_SENT : SYN_SENT);
        else {
          // The responder's SYN-ACK: both sides count as established from here, before the ACK.
          if (peer.state === SYN_SENT) peer.setState(ESTABLISHED);
          e.setState(ESTABLISHED);
        }
      }
      if (fin) close(e, CLOSED);
      if (rst) close(e, RESET);
      if (e.state === INACTIVE) {
        // A responder that ACKs the SYN before its SYN-ACK stays inactive; an ACK after the
        // other side's SYN-ACK establishes; anything else is a partial connection.
        if (!fromOrig && len === 0 && peer.state === SYN_SENT) break;
        e.setState(ack && peer.state === ESTABLISHED ? ESTABLISHED : PARTIAL);
      }
      break;
    case SYN_SENT:
    case SYN_ACK_SENT:
      if (fin) close(e, CLOSED);
      if (rst) close(e, RESET);
      break;
    case ESTABLISHED:
    case PARTIAL:
      if (syn && st === PARTIAL && peer.state === INACTIVE && !ack) e.setState(SYN_SENT);
      if (fin && !rst) {
        close(e, CLOSED);
        // The peer's FIN then RST was a normal close after all.
        if (peer.state === RESET && peer.prev === CLOSED) peer.setState(CLOSED);
      }
      if (rst) close(e, RESET);
      break;
    case CLOSED:
      // A RST after both FINs leaves the connection closed.
      if (rst && peer.state !== CLOSED) close(e, RESET);
      break;
    default:
      break;
  }
}

function close(e: Endpoint, s: number): void {
  e.setState(s);
  e.bits |= DID_CLOSE;
}

/**
 * Zeek's payload bytes of one side, from sequence numbers: the highest sent or acknowledged,
 * less the start, the SYN and the FIN (0 for a half-open attempt aborted by the originator).
 */
function size(e: Endpoint, peer: Endpoint): number {
  const ackedData = seqDiff(e.ack, e.start) !== 0 && seqDiff(e.ack, e.start) !== 1;
  if (e.prev === SYN_SENT && e.state === RESET && peer.state === INACTIVE && ackedData) return 0;
  const last = seqDiff(e.last, e.start);
  const acked = seqDiff(e.ack, e.start);
  let n = Math.max(last, acked, 0);
  if (n !== 0) n--;
  if ((e.bits & FIN_SENT) && n !== 0) n--;
  return n;
}

/** Zeek's `orig_bytes` of the attempt. */
export function zeekOrigBytes(a: Attempt): number {
  load(a);
  return size(orig, resp);
}

/** Zeek's `resp_bytes` of the attempt. */
export function zeekRespBytes(a: Attempt): number {
  load(a);
  return size(resp, orig);
}

/** Zeek's `conn_state`, read from the two endpoints' final states as its conn.log documentation lists them. */
export function zeekConnState(a: Attempt): ConnState {
  load(a);
  const os = orig.state;
  const rs = resp.state;
  const oInactive = os === INACTIVE || os === PARTIAL;
  const rInactive = rs === INACTIVE || rs === PARTIAL;
  if (rs === RESET) {
    if (os === SYN_SENT || os === SYN_ACK_SENT || (os === RESET && size(orig, resp) === 0 && size(resp, orig) === 0)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === RESET) {
    if (rInactive) return /^\^?S[^HAFGIQ]*R/.test(a.zHistory) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === CLOSED && os === CLOSED) return 'SF';
  if (os === CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === SYN_SENT && rs === INACTIVE) return 'S0';
  if (os === ESTABLISHED && rs === ESTABLISHED) return 'S1';
  return 'OTH';
}

/**
 * Zeek's `duration` in microseconds (its packet clock: libpcap hands it microseconds), from the
 * first SYN to its last-activity time; null when that is 0 (Zeek then leaves `duration`,
 * `orig_bytes` and `resp_bytes` unset).
 */
export function zeekDurationUs(a: Attempt): number | null {
  const us = (a.zLastSec - a.startSec) * 1e6 + Math.floor(a.zLastNsec / 1000) - Math.floor(a.startNsec / 1000);
  return us > 0 ? us : null;
}

/**
 * The Zeek state of an attempt that saw nothing but its own SYNs (one SYN, or retransmissions of
 * it), rebuilt from the compact form it was parked in (see compact.ts, which keeps only those).
 */
export function synOnlyConn(a: Attempt): void {
  a.zoBits = SYN_SENT | SEEN_SYN;
  a.zoStart = a.zoAck = a.isn;
  a.zoLast = (a.isn + 1 + a.synDataLen) >>> 0;
  a.zHistory = '';
  a.addZeekHistory(L_S);
  a.zLastSec = a.endSec;
  a.zLastNsec = a.endNsec;
}
