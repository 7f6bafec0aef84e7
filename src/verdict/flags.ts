/**
 * The flags every decision carries, whatever rule made it, and the evidence frame list: one place
 * for both, so a rule names only the flags of its own finding (verdict/rules.ts).
 */
import type { Flag } from '../model/verdict.js';
import type { AttemptFacts } from './facts.js';

/**
 * Most decisions carry no flag: one shared, frozen empty list rather than an array per attempt
 * (under a flood each would live until its row goes, and be collected from the old generation).
 */
export const NO_FLAGS: Flag[] = Object.freeze([]) as unknown as Flag[];

/** Room to build a flag or frame list before copying it at its exact size (the copy is what an attempt keeps). */
const scratchFlags: Flag[] = [];
const scratchFrames: number[] = [];

/** Flags every decision of the attempt carries, in their fixed order, then `extra` ones not already there. */
export function decisionFlags(f: AttemptFacts, extra?: readonly Flag[]): Flag[] {
  const flags = scratchFlags;
  flags.length = 0;
  if (f.synCount > 1) flags.push('syn-retransmit');
  if (f.synAckCount > 1) flags.push('synack-retransmit');
  if (f.portReuse) flags.push('port-reuse');
  if (f.truncated) flags.push('truncated');
  if (f.invalidRstFrame) flags.push('invalid-rst');
  if (f.dupFrames) flags.push('duplicate-frames');
  if (f.oneSided) flags.push('one-sided');
  if (extra) for (const x of extra) if (!flags.includes(x)) flags.push(x);
  return flags.length === 0 ? NO_FLAGS : flags.slice();
}

/** The frames given, without zeros and repeats, in ascending order (a new array: `frames` may be the attempt's own). */
export function evidenceFrames(frames: readonly number[]): number[] {
  const out = scratchFrames;
  out.length = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    if (!(f > 0)) continue;
    let j = out.length;
    while (j > 0 && out[j - 1] > f) j--;
    if (j > 0 && out[j - 1] === f) continue;
    out.push(f);
    for (let k = out.length - 1; k > j; k--) out[k] = out[k - 1];
    out[j] = f;
  }
  return out.slice();
}
