/**
 * How decoding of a packet ended, as values, never exceptions (the etherparse lesson): the hot
 * path reports a problem by setting these fields and returning a negative offset.
 */
import * as constants from './constants.js';
import type { LayerId } from './constants.js';

// Local bindings for reset(), which runs for every packet: see "Local bindings" in src/util/bytes.ts.
const { Layer } = constants;

export const Stop = {
  NONE: 0,
  /** The snap length (or a short quote) cut a header: decoded as far as the bytes go. */
  TRUNCATED: 1,
  /** Bytes are present but a field is impossible (IHL < 5, data offset < 5, ...). */
  MALFORMED: 2,
  /** A protocol or link type synscope does not look into. */
  UNSUPPORTED: 3,
} as const;
export type StopKind = (typeof Stop)[keyof typeof Stop];
/** Stop.NONE as a local binding (an exported one is read from memory at every use). */
const NONE = Stop.NONE;

/** Negative return values of the layer functions. */
export const CUT = -1;
export const BAD = -2;
export const SKIP = -3;

export class DecodeStatus {
  kind: StopKind = NONE;
  layer: LayerId = Layer.NONE;
  /** Offset from the start of the frame where the problem is. */
  offset = 0;
  /** A static description (no string is built per packet). */
  what = '';
  /**
   * Why the frame's TCP could not be reached, where it plausibly carried TCP (see unreached.ts);
   * '' when it did not, or when decoding reached TCP or ICMP.
   */
  unreached = '';

  reset(): void {
    this.kind = NONE;
    this.layer = Layer.NONE;
    this.offset = 0;
    this.what = '';
    this.unreached = '';
  }

  set(kind: StopKind, layer: LayerId, offset: number, what: string): number {
    // The first problem is the one that explains the rest.
    if (this.kind === NONE) {
      this.kind = kind;
      this.layer = layer;
      this.offset = offset;
      this.what = what;
    }
    return kind === Stop.TRUNCATED ? CUT : kind === Stop.MALFORMED ? BAD : SKIP;
  }
}
