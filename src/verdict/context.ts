/**
 * What a verdict rule may know besides the attempt's own evidence: the clock, the server host's
 * baseline and what its endpoint was doing meanwhile. The engine fills one of these (read-only for
 * the rules) before each classification, without side effects.
 */
export interface ClassifyContext {
  /** Current capture time (relative seconds). */
  now: number;
  /** The capture has ended: no more evidence will come. */
  final: boolean;
  /** Seconds without any answer after which an attempt counts as filtered. */
  timeout: number;
  /** Most common TTL / hop limit of the server host's own packets on this interface (-1: none seen). */
  serverTtl: number;
  serverTtlPackets: number;
  /** The RST's TTL is one the server host's own packets were also seen with (then it is no mismatch). */
  rstTtlSeen: boolean;
  /** IPv6 flow labels of the server host's own packets: how many were zero and non-zero. */
  serverLabelZero: number;
  serverLabelNonZero: number;
  /** SYN-ACKs the same server endpoint sent to other attempts while this one waited (until its own answer). */
  aliveCount: number;
  aliveFrame: number;
  /** Other attempts sat in the endpoint's queues (SYN-ACKed, or completed and not yet served) at some time since this one's first SYN. */
  busy: boolean;
  /** Other attempts in the endpoint's queues now. */
  queuedOthers: number;
  /** Packet loss was seen on the server host's connections from shortly before this attempt on (see HostEntry.noteLoss). */
  loss: boolean;
  lossFrame: number;
  /** The server's direction is missing from the capture for this host (see Attempt.oneSided). */
  oneSided: boolean;
  /** ICMP rejections of the endpoint's other attempts around this one's wait (0: none), and the last one's frame. */
  rejects: number;
  rejectFrame: number;
  /** Frame of an ICMP error to this attempt's client, soon after its first SYN, whose quote the snap length cut before the ports (0: none). */
  unreadableIcmp: number;
  /**
   * The capture was taken on the server (its own packets carry an initial TTL): a SYN, ACK or data
   * segment seen there and not answered reached the server, so no path loss explains it.
   */
  atServer: boolean;
}
