/**
 * The verdicts and flags of ../shared/CONTRACT.md. The strings are a contract with users' scripts
 * and tests: never rename one.
 */

/**
 * What happened to one connection attempt (one client SYN sequence).
 *
 * - `established`: SYN, SYN-ACK, then the client's ACK. Working.
 * - `refused`: the server host itself answered the SYN with RST: nothing listens there.
 * - `forged-reset`: a RST in the server's name that the server host did not send (TTL or hop
 *   count unlike the host's own packets, a RST racing a real SYN-ACK, ...): a firewall or
 *   middlebox rejecting with tcp-reset.
 * - `rejected`: an ICMP/ICMPv6 destination unreachable with an administrative or port-unreachable
 *   code: a REJECT rule at the ICMP sender.
 * - `unreachable`: ICMP/ICMPv6 host, net or address unreachable (or TTL exceeded): routing, or the
 *   host is down.
 * - `filtered`: no reply at all for at least the handshake timeout while the server endpoint
 *   completed no other handshake: silent DROP, or a dead host.
 * - `backlog-drop`: a live listener dropped the attempt (SYN or accept queue overflow).
 * - `aborted`: the client reset or abandoned the attempt after the SYN-ACK (or reset its own SYN).
 * - `incomplete`: the capture ended before the outcome could be known.
 */
export type Verdict =
  | 'established' | 'refused' | 'forged-reset' | 'rejected' | 'unreachable'
  | 'filtered' | 'backlog-drop' | 'aborted' | 'incomplete';

export const VERDICTS: readonly Verdict[] = [
  'established', 'refused', 'forged-reset', 'rejected', 'unreachable', 'filtered', 'backlog-drop', 'aborted', 'incomplete',
];

/** Position of `v` in VERDICTS (a switch on constant strings: faster than a search or a keyed lookup on the hot path). */
export function verdictIndex(v: Verdict): number {
  switch (v) {
    case 'established': return 0;
    case 'refused': return 1;
    case 'forged-reset': return 2;
    case 'rejected': return 3;
    case 'unreachable': return 4;
    case 'filtered': return 5;
    case 'backlog-drop': return 6;
    case 'aborted': return 7;
    default: return 8;
  }
}

export function isVerdict(s: string): s is Verdict {
  return (VERDICTS as readonly string[]).includes(s);
}

/**
 * Flags qualify a verdict. The first six are the contract's; the rest are synscope extensions.
 *
 * - `syn-retransmit`: the client sent its SYN more than once.
 * - `synack-retransmit`: the server sent its SYN-ACK more than once.
 * - `backlog-drop`: a backlog overflow dropped or delayed this attempt (also on `established`).
 * - `ttl-mismatch`: the answer's TTL / hop limit differs from the server host's own packets.
 * - `port-reuse`: an earlier attempt used the same 4-tuple with another initial sequence number.
 * - `truncated`: the snap length cut headers of this attempt's packets.
 * - `invalid-rst`: a RST the client's stack must ignore (wrong or missing ACK number).
 * - `late-answer`: an answer arrived after the handshake timeout had already decided the verdict.
 * - `duplicate-frames`: the same packet was captured more than once (several interfaces).
 * - `data-unacked`: the client's data was never acknowledged by the server.
 * - `syn-cookie`: the SYN-ACK looks like a SYN cookie (MSS as its only option).
 * - `one-sided`: the server's direction is missing from the capture for this attempt (asymmetric
 *   routing, a one-way tap, `tcpdump -Q out`): a handshake proven by the client's ACK of the
 *   server's sequence number, or a verdict read from what the client did next.
 * - `partial-quote`: the ICMP error's quote was cut (snap length) before the sequence number; it
 *   was matched to the attempt by its addresses, protocol and client port.
 * - `icmp-rate-limited`: no ICMP error quoted this attempt, but the same endpoint's other attempts
 *   were rejected meanwhile: the same REJECT rule, its ICMP errors rate-limited.
 */
export type Flag =
  | 'syn-retransmit' | 'synack-retransmit' | 'backlog-drop' | 'ttl-mismatch' | 'port-reuse' | 'truncated'
  | 'invalid-rst' | 'late-answer' | 'duplicate-frames' | 'data-unacked' | 'syn-cookie'
  | 'one-sided' | 'partial-quote' | 'icmp-rate-limited';

export const FLAGS: readonly Flag[] = [
  'syn-retransmit', 'synack-retransmit', 'backlog-drop', 'ttl-mismatch', 'port-reuse', 'truncated',
  'invalid-rst', 'late-answer', 'duplicate-frames', 'data-unacked', 'syn-cookie',
  'one-sided', 'partial-quote', 'icmp-rate-limited',
];
