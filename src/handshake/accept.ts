/**
 * Which packets count as evidence about an attempt: one pure predicate per rule of the TCP
 * specifications (and per kind of copy a capture can hold), over plain numbers so that each is
 * tested as a grid of states and segments (test/accept-grid.test.ts) and reads the same whether
 * the attempt lives in an object or in table columns. The engine asks these; it decides nothing of
 * this kind itself. Sequence numbers are compared modulo 2^32 (util/seq.ts).
 */
import { TcpFlag } from '../decode/constants.js';
import { seqAdd, seqGe, seqGt } from '../util/seq.js';

/**
 * The SYN-ACK (or RST) acknowledges the SYN: ACK = ISN + 1, or with TCP Fast Open (RFC 7413) the
 * SYN's data too (ISN + 1 + length), which a server that took the data acknowledges at once.
 */
export function acksSyn(ack: number, isn: number, synDataLen: number): boolean {
  const isn1 = seqAdd(isn, 1);
  return ack === isn1 || (synDataLen > 0 && ack === seqAdd(isn1, synDataLen));
}

/**
 * RFC 9293 3.10.7.3: in SYN-SENT a RST is acceptable only with the ACK flag and an ACK that
 * acknowledges the SYN; any other the client's stack drops, so it proves nothing about the port.
 * Only before a SYN-ACK was seen (after one, the RST answers the SYN-ACK: see rstAnswersSynAck).
 */
export function rstAnswersSyn(flags: number, ack: number, isn: number, synDataLen: number, synAckSeen: boolean): boolean {
  return !synAckSeen && (flags & TcpFlag.ACK) !== 0 && acksSyn(ack, isn, synDataLen);
}

/**
 * A RST after the SYN-ACK and before the handshake completed (SYN-RECEIVED on the server):
 * acceptable only at the sequence number after the server's SYN, the one the client expects.
 */
export function rstAnswersSynAck(seq: number, serverIsn: number, synAckSeen: boolean): boolean {
  return synAckSeen && seq === seqAdd(serverIsn, 1);
}

/**
 * After the handshake a RST counts only with a sequence number in the window the client expects
 * (RFC 5961 3.2, the exact-match rule narrowed to "between the server's first byte and the next
 * byte the client expects"); a blind reset with another one is ignored by the client's stack.
 */
export function rstInWindow(seq: number, serverIsn: number, srvNextSeq: number): boolean {
  return seqGe(seq, seqAdd(serverIsn, 1)) && seqGe(srvNextSeq, seq);
}

/**
 * How far past the server's ISN an acknowledgment may reach and still be taken as completing the
 * handshake: a quarter of the sequence space (2^28). Any ACK at or beyond ISN + 1 completes it (the
 * pure ACK may be missing from the capture while the client's data, acknowledging the SYN-ACK, is
 * there); one further away than any real transfer acknowledges another connection's numbers.
 */
const ACK_REACH = 0x10000000;

/** The client's ACK completes the handshake the SYN-ACK (ISN `serverIsn`) began. */
export function ackCompletes(flags: number, ack: number, serverIsn: number): boolean {
  return (flags & TcpFlag.ACK) !== 0 && seqGe(ack, seqAdd(serverIsn, 1)) && seqGt(seqAdd(serverIsn, ACK_REACH), ack);
}

/**
 * A client in SYN-SENT answers only a SYN-ACK with an ACK (RFC 9293 3.10.7.3): an ACK with the
 * sequence number after its SYN (and after the SYN's data with TCP Fast Open) proves a SYN-ACK
 * the capture does not hold: its server's direction is missing.
 */
export function ackProvesSynAck(flags: number, seq: number, isn: number, synDataLen: number): boolean {
  return (flags & TcpFlag.ACK) !== 0 && (seq === seqAdd(isn, 1) || (synDataLen > 0 && seq === seqAdd(isn, 1 + synDataLen)));
}

/**
 * An ICMP error is about the attempt's SYN only when the TCP header it quotes carries the SYN's
 * sequence number: one quoting a later segment is about the connection, not its opening.
 */
export function icmpQuotesSyn(quotedSeq: number, isn: number): boolean {
  return quotedSeq === isn;
}

/** A SYN seen again within this many seconds on the same capture interface is a copy, not the client's retransmission (Linux waits 1 s). */
export const SYN_COPY_WINDOW = 0.01;
/**
 * A SYN-ACK seen again within this many seconds on the same interface is a copy (a mirror port's
 * duplicate); a server answering a repeated SYN just as its own timer fires sends two well under a
 * millisecond apart (74 µs seen, each ACKed by the client), so the window is far shorter.
 */
export const SYNACK_COPY_WINDOW = 0.00001;

/**
 * The same packet captured twice, not sent twice: seen on another capture interface than the
 * first (the two sides of a router, a merged capture), or on the same one within `window`
 * seconds. A packet stamped before the clock (`backwards`) is compared by interface only: an
 * interface merged out of time order brings its copies late.
 */
export function isCopy(ifKey: number, firstIfKey: number, sinceFirst: number, backwards: boolean, window: number): boolean {
  return ifKey !== firstIfKey || (!backwards && sinceFirst < window);
}

/** The RST repeats one already taken: another interface, no SYN since that could have drawn a new one, or a copy within the SYN window. */
export function isRstCopy(ifKey: number, rstIfKey: number, lastSynT: number, lastRstT: number, t: number): boolean {
  return ifKey !== rstIfKey || lastSynT <= lastRstT || t - lastRstT < SYN_COPY_WINDOW;
}
