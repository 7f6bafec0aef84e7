/**
 * The summary's warnings made from what the analysis counted: one sentence per kind of evidence
 * that was left out, doubtful or cut short, saying what it means for the verdicts and what to do.
 * The one place these sentences live (the engine and the decoder only count).
 */
import type { HandshakeEngine } from '../handshake/engine.js';
import { linkTypeName } from '../model/linktypes.js';

/** What the warnings are made from. */
export interface WarningCounts {
  readonly stats: HandshakeEngine['stats'];
  /** Changes of verdict after the attempt's final report. */
  readonly afterFinal: number;
  /** No attempt at all: the capture holds only the servers' direction. */
  readonly serverOnly: boolean;
  /** Malformed packets by what was wrong; frames whose TCP could not be reached, by why; link types not decoded. */
  readonly malformed: ReadonlyMap<string, number>;
  readonly unreached: ReadonlyMap<string, number>;
  readonly undecodable: ReadonlySet<number>;
  /** The table's limits (for the eviction warning). */
  readonly maxAttempts: number;
  readonly maxParked: number;
}

/** The warning sentences, in the summary's order. */
export function countWarnings(c: WarningCounts): string[] {
  const warnings: string[] = [];
  if (c.afterFinal) warnings.push(`${c.afterFinal} attempt(s) saw an answer after their report was final (more than the hold time after their decision): each is reported with the verdict it had then`);
  if (c.stats.invalidRst) warnings.push(`${c.stats.invalidRst} RST(s) did not acknowledge the SYN they answered (wrong or missing ACK number): a client stack ignores them, so they are not counted as refusals`);
  if (c.stats.inferredSynAck) {
    const oneWay = c.stats.serverPackets === 0
      ? ': the capture looks one-directional (client to server only: asymmetric routing, a one-way tap or SPAN port, tcpdump -Q out); attempts without an answer are judged by what the client did next (flag one-sided): one SYN and silence is a refusal or a rejection (incomplete), retransmissions mean nothing reached the client'
      : ' (the capture missed those SYN-ACKs: flag one-sided)';
    warnings.push(`${c.stats.inferredSynAck} handshake(s) completed without a SYN-ACK in the capture, proven by the client's ACK of the server's sequence number${oneWay}`);
  }
  if (c.stats.orphanSynAck || c.stats.orphanRst) {
    warnings.push(c.serverOnly
      ? `the capture holds ${c.stats.orphanSynAck} SYN-ACK(s) and ${c.stats.orphanRst} RST(s) but no client SYN: it looks one-directional (server to client only: tcpdump -Q in, a one-way tap, one side of an asymmetric path); no attempt can be judged without the clients' SYNs, so none is reported`
      : `${c.stats.orphanSynAck} SYN-ACK(s) answered no SYN in the capture (the capture started late, or missed one direction): counted as midstream flows`);
  }
  if (c.stats.icmpPartial) warnings.push(`${c.stats.icmpPartial} ICMP error(s) had their quote cut by the snap length before the TCP sequence number: matched by the quoted addresses, protocol and client port (flag partial-quote); capture with -s 128 or more to keep whole quotes`);
  if (c.stats.icmpCut) warnings.push(`${c.stats.icmpCut} ICMP error(s) were cut by the snap length before the quoted ports: they could not be matched to any attempt, so those attempts may read as unanswered (capture with -s 128 or more)`);
  if (c.stats.icmpAmbiguous) warnings.push(`${c.stats.icmpAmbiguous} ICMP error(s) quoting only a client port matched more than one waiting attempt: not used`);
  if (c.stats.icmpUnmatched) warnings.push(`${c.stats.icmpUnmatched} ICMP error(s) quoted no connection attempt of the capture (an unknown flow, a later segment, or another ICMP error): not used for any verdict`);
  if (c.stats.duplicates) warnings.push(`${c.stats.duplicates} packet(s) were captured more than once (on several interfaces, or duplicated): each counted once`);
  for (const [what, n] of c.malformed) warnings.push(`${n} packet(s) malformed (${what}): analysed as far as they could be decoded`);
  for (const [why, n] of c.unreached) warnings.push(`${n} frame(s) whose TCP could not be reached: ${why}; not analysed`);
  for (const lt of c.undecodable) warnings.push(`link type ${linkTypeName(lt)} is not decoded: its packets were counted but not analysed`);
  if (c.stats.oddSyn) warnings.push(`${c.stats.oddSyn} SYN packet(s) also carried FIN or RST (scan probes or crafted packets, which Linux drops): not counted as connection attempts`);
  if (c.stats.truncatedTcp) warnings.push(`${c.stats.truncatedTcp} TCP packet(s) were cut by the snap length before their flags (IPv6 with -s 64 keeps only 10 bytes of TCP) and could not be classified: attempts among them are missing from this report (capture with -s 96 or more)`);
  if (c.stats.evicted) warnings.push(`the attempt table reached its limit of ${c.maxAttempts} attempts (and ${c.maxParked} unanswered ones in compact form); ${c.stats.evicted} attempt(s) were decided early (raise --max-attempts)`);
  if (c.stats.forgotten) warnings.push(`the attempt table was full: ${c.stats.forgotten} decided attempt(s) were forgotten before their quiet time ended, so a late packet of one of them counts as a midstream flow or a new attempt (raise --max-attempts)`);
  return warnings;
}
