/**
 * The verdict of one attempt: the first rule of verdict/rules.ts whose guard holds. A pure function
 * of the attempt's facts and the context (Zeek decides conn_state the same way), so every rule is
 * tested without packets (test/classify-grid.test.ts).
 */
import type { Flag, Verdict } from '../model/verdict.js';
import type { ClassifyContext } from './context.js';
import type { AttemptFacts } from './facts.js';
import { decisionFlags, evidenceFrames } from './flags.js';
import { NO, RULES, WAIT, type Evidence, type RuleId } from './rules.js';

export interface Decision {
  verdict: Verdict;
  flags: Flag[];
  /** The deciding rule: its id (the report's reasonCode) and its number in RULES (1-based, what attempts store). */
  rule: RuleId;
  why: number;
  /** The numbers its sentence quotes (verdict/reasons.ts), fixed at the decision. */
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  frames: number[];
}

/** Returns null when the verdict cannot be known yet (more capture time may decide it). */
export function classify(f: AttemptFacts, c: ClassifyContext): Decision | null {
  for (let i = 0; i < RULES.length; i++) {
    const rule = RULES[i];
    const m = rule.when(f, c);
    if (m === NO) continue;
    if (m === WAIT) return null;
    const e: Evidence = rule.evidence(f, c);
    const n = e.n;
    return {
      verdict: rule.verdict, flags: decisionFlags(f, e.flags), rule: rule.id, why: i + 1,
      w0: n?.[0] ?? 0, w1: n?.[1] ?? 0, w2: n?.[2] ?? 0, w3: n?.[3] ?? 0, frames: evidenceFrames(e.frames),
    };
  }
  // (Unreachable: the last rules cover every attempt without an answer. Nothing is decided.)
  return null;
}
