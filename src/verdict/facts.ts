/**
 * What the verdict rules read of an attempt: its recorded evidence, read-only. The engine's
 * Attempt implements it; tests build plain objects. Times are relative seconds (-1: never seen),
 * frames 1-based (0: none).
 */
export interface AttemptFacts {
  readonly version: number;
  /** The SYNs: how many, their frames, the first one's time, and how many came before the first SYN-ACK. */
  readonly synCount: number;
  readonly synFrames: readonly number[];
  readonly t0: number;
  readonly synsAtAnswer: number;
  /** SYNs sent while the endpoint's queues held other attempts (see EndpointEntry.queued). */
  readonly busySyns: number;
  readonly portReuse: boolean;
  readonly truncated: boolean;
  readonly dupFrames: number;
  /** The server's SYN-ACK (synAckFrame 0 with oneSided: proven by the client's ACK, not captured). */
  readonly synAckT: number;
  readonly synAckFrame: number;
  readonly synAckCount: number;
  readonly synAckTtl: number;
  readonly synAckOptMask: number;
  readonly synBeforeAckT: number;
  readonly synAckAfterAckFrame: number;
  readonly oneSided: boolean;
  /** The client's handshake ACK, and how many other connections waited to be accepted then. */
  readonly ackT: number;
  readonly ackFrame: number;
  readonly busyAtAck: number;
  /** The client's first data (or FIN when it sent none), repeats before the server took anything. */
  readonly cliDataFrame: number;
  readonly cliDataT: number;
  readonly cliDataRetx: number;
  readonly cliFinFrame: number;
  readonly cliFinT: number;
  readonly cliFinRetx: number;
  readonly cliRstT: number;
  readonly cliRstFrame: number;
  /** The server took the connection up: acknowledged the client's data, or sent its own; its FIN. */
  readonly srvAckedDataFrame: number;
  readonly srvAckedDataT: number;
  readonly srvDataFrame: number;
  readonly srvFinFrame: number;
  readonly srvDupAckFrame: number;
  readonly srvAfterRstFrame: number;
  /** The RST in the server's name. */
  readonly rstT: number;
  readonly rstFrame: number;
  readonly rstTtl: number;
  readonly rstFlowLabel: number;
  readonly rstAfterAck: boolean;
  readonly rstHasAck: boolean;
  readonly invalidRstFrame: number;
  /** The ICMP error quoting the SYN. */
  readonly icmpT: number;
  readonly icmpFrame: number;
  readonly icmpFamily: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly icmpPartial: boolean;
  /** Last packet of the attempt. */
  readonly lastT: number;
}
