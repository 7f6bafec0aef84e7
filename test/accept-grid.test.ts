/**
 * Which segments count as evidence (src/handshake/accept.ts), as a grid of attempt states and
 * segments in the style of smoltcp's socket tests: one row per rule and per boundary, the name
 * made from the row. ISNs near 2^32 check that every comparison wraps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ackCompletes, ackProvesSynAck, acksSyn, icmpQuotesSyn, isCopy, isRstCopy, rstAnswersSyn, rstAnswersSynAck, rstInWindow,
  SYN_COPY_WINDOW, SYNACK_COPY_WINDOW,
} from '../src/handshake/accept.js';
import { TcpFlag } from '../src/decode/constants.js';

const ACK = TcpFlag.ACK;
const RST = TcpFlag.RST;
const ISN = 1000;
const WRAP = 0xffffffff; // ISN + 1 wraps to 0

interface Row { name: string; got: boolean; want: boolean }
const rows: Row[] = [
  // acksSyn: ISN + 1, or past the SYN's data with TCP Fast Open
  { name: 'synack x ack=isn+1 -> acks the SYN', got: acksSyn(ISN + 1, ISN, 0), want: true },
  { name: 'synack x ack=isn -> does not', got: acksSyn(ISN, ISN, 0), want: false },
  { name: 'synack x ack=isn+2 -> does not', got: acksSyn(ISN + 2, ISN, 0), want: false },
  { name: 'tfo syn(10 B) x ack=isn+11 -> acks the SYN and its data', got: acksSyn(ISN + 11, ISN, 10), want: true },
  { name: 'tfo syn(10 B) x ack=isn+1 -> acks the SYN only (data not taken)', got: acksSyn(ISN + 1, ISN, 10), want: true },
  { name: 'isn 2^32-1 x ack=0 -> acks the SYN (wraps)', got: acksSyn(0, WRAP, 0), want: true },

  // rstAnswersSyn: RFC 9293 3.10.7.3, SYN-SENT
  { name: 'syn-sent x rst|ack ack=isn+1 -> answers the SYN', got: rstAnswersSyn(RST | ACK, ISN + 1, ISN, 0, false), want: true },
  { name: 'syn-sent x rst (no ACK flag) ack=isn+1 -> ignored', got: rstAnswersSyn(RST, ISN + 1, ISN, 0, false), want: false },
  { name: 'syn-sent x rst|ack ack=isn -> ignored', got: rstAnswersSyn(RST | ACK, ISN, ISN, 0, false), want: false },
  { name: 'syn-sent x rst|ack ack=isn+2 -> ignored', got: rstAnswersSyn(RST | ACK, ISN + 2, ISN, 0, false), want: false },
  { name: 'syn-sent x rst|ack ack=0 with isn 2^32-1 -> answers (wraps)', got: rstAnswersSyn(RST | ACK, 0, WRAP, 0, false), want: true },
  { name: 'syn-ack seen x rst|ack ack=isn+1 -> not an answer to the SYN', got: rstAnswersSyn(RST | ACK, ISN + 1, ISN, 0, true), want: false },

  // rstAnswersSynAck: after the SYN-ACK, before the handshake completed
  { name: 'syn-received x rst seq=srvIsn+1 -> answers the SYN-ACK', got: rstAnswersSynAck(5001, 5000, true), want: true },
  { name: 'syn-received x rst seq=srvIsn -> ignored', got: rstAnswersSynAck(5000, 5000, true), want: false },
  { name: 'syn-received x rst seq=srvIsn+2 -> ignored', got: rstAnswersSynAck(5002, 5000, true), want: false },
  { name: 'syn-sent x rst seq=srvIsn+1 -> no SYN-ACK to answer', got: rstAnswersSynAck(5001, 5000, false), want: false },

  // rstInWindow: RFC 5961 3.2, established
  { name: 'established x rst seq=srvIsn+1 -> in window', got: rstInWindow(5001, 5000, 5001), want: true },
  { name: 'established x rst seq=srvNext -> in window', got: rstInWindow(5101, 5000, 5101), want: true },
  { name: 'established x rst seq=srvNext+1 -> blind, ignored', got: rstInWindow(5102, 5000, 5101), want: false },
  { name: 'established x rst seq=srvIsn -> before the window, ignored', got: rstInWindow(5000, 5000, 5101), want: false },
  { name: 'established x rst seq=0 with srvIsn 2^32-1 -> in window (wraps)', got: rstInWindow(0, WRAP, 10), want: true },

  // ackCompletes: the handshake ACK (or data acknowledging the SYN-ACK)
  { name: 'syn-received x ack=srvIsn+1 -> completes', got: ackCompletes(ACK, 5001, 5000), want: true },
  { name: 'syn-received x data ack=srvIsn+1+100 -> completes', got: ackCompletes(ACK, 5101, 5000), want: true },
  { name: 'syn-received x ack=srvIsn -> does not', got: ackCompletes(ACK, 5000, 5000), want: false },
  { name: 'syn-received x segment without ACK flag -> does not', got: ackCompletes(0, 5001, 5000), want: false },
  { name: 'syn-received x ack=srvIsn+2^28-1 -> completes (last in reach)', got: ackCompletes(ACK, 5000 + 0x10000000 - 1, 5000), want: true },
  { name: 'syn-received x ack=srvIsn+2^28 -> another connection\'s numbers', got: ackCompletes(ACK, 5000 + 0x10000000, 5000), want: false },
  { name: 'syn-received x ack=0 with srvIsn 2^32-1 -> completes (wraps)', got: ackCompletes(ACK, 0, WRAP), want: true },

  // ackProvesSynAck: a one-direction capture
  { name: 'syn-sent x ack seq=isn+1 -> proves a SYN-ACK', got: ackProvesSynAck(ACK, ISN + 1, ISN, 0), want: true },
  { name: 'syn-sent x ack seq=isn -> does not', got: ackProvesSynAck(ACK, ISN, ISN, 0), want: false },
  { name: 'syn-sent x segment without ACK seq=isn+1 -> does not', got: ackProvesSynAck(0, ISN + 1, ISN, 0), want: false },
  { name: 'tfo syn(10 B) x ack seq=isn+11 -> proves a SYN-ACK', got: ackProvesSynAck(ACK, ISN + 11, ISN, 10), want: true },
  { name: 'syn-sent x ack seq=0 with isn 2^32-1 -> proves (wraps)', got: ackProvesSynAck(ACK, 0, WRAP, 0), want: true },

  // icmpQuotesSyn
  { name: 'syn-sent x icmp quoting isn -> about the SYN', got: icmpQuotesSyn(ISN, ISN), want: true },
  { name: 'syn-sent x icmp quoting isn+99 -> about a later segment', got: icmpQuotesSyn(ISN + 99, ISN), want: false },

  // isCopy: the same packet captured twice
  { name: 'syn x same SYN, other interface -> copy', got: isCopy(2, 1, 5, false, SYN_COPY_WINDOW), want: true },
  { name: 'syn x same SYN, same interface, 5 ms later -> copy', got: isCopy(1, 1, 0.005, false, SYN_COPY_WINDOW), want: true },
  { name: 'syn x same SYN, same interface, 10 ms later -> retransmission', got: isCopy(1, 1, SYN_COPY_WINDOW, false, SYN_COPY_WINDOW), want: false },
  { name: 'syn x same SYN, same interface, stamped before the clock -> retransmission', got: isCopy(1, 1, 0, true, SYN_COPY_WINDOW), want: false },
  { name: 'synack x same SYN-ACK, 5 us later -> copy', got: isCopy(1, 1, 0.000005, false, SYNACK_COPY_WINDOW), want: true },
  { name: 'synack x same SYN-ACK, 74 us later -> the server sent it again', got: isCopy(1, 1, 0.000074, false, SYNACK_COPY_WINDOW), want: false },

  // isRstCopy
  { name: 'refused x same RST, other interface -> copy', got: isRstCopy(2, 1, 1.0, 1.1, 3), want: true },
  { name: 'refused x RST again, no SYN since -> copy', got: isRstCopy(1, 1, 1.0, 1.1, 3), want: true },
  { name: 'refused x RST 5 ms after the last -> copy', got: isRstCopy(1, 1, 1.104, 1.1, 1.105), want: true },
  { name: 'refused x RST answering a SYN sent after the last RST -> its own answer', got: isRstCopy(1, 1, 2.0, 1.1, 2.001), want: false },
];

for (const r of rows) {
  test(r.name, () => assert.equal(r.got, r.want));
}

test('the grid has a row for every predicate, accepting and refusing', () => {
  for (const prefix of ['synack x', 'syn-sent x rst', 'syn-received x rst', 'established x rst', 'syn-received x', 'syn-sent x ack', 'syn-sent x icmp', 'syn x', 'refused x']) {
    const mine = rows.filter((r) => r.name.startsWith(prefix));
    assert.ok(mine.some((r) => r.want) && mine.some((r) => !r.want), prefix);
  }
});
