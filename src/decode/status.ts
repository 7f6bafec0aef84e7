/**
 * How decoding of a packet ended, as values, never exceptions (the etherparse lesson): the hot
 * path reports a problem by setting these fields and returning a negative offset.
 */
import { Layer, type LayerId } from './constants.js';

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

/** Negative return values of the layer functions. */
export const CUT = -1;
export const BAD = -2;
export const SKIP = -3;

export class DecodeStatus {
  kind: StopKind = Stop.NONE;
  layer: LayerId = Layer.NONE;
  /** Offset from the start of the frame where the problem is. */
  offset = 0;
  /** A static description (no string is built per packet). */
  what = '';

  reset(): void {
    this.kind = Stop.NONE;
    this.layer = Layer.NONE;
    this.offset = 0;
    this.what = '';
  }

  set(kind: StopKind, layer: LayerId, offset: number, what: string): number {
    // The first problem is the one that explains the rest.
    if (this.kind === Stop.NONE) {
      this.kind = kind;
      this.layer = layer;
      this.offset = offset;
      this.what = what;
    }
    return kind === Stop.TRUNCATED ? CUT : kind === Stop.MALFORMED ? BAD : SKIP;
  }
}
