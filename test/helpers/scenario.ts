/**
 * Feeds hand-built raw-IP packets, with their capture times, through the same Analysis object the
 * CLI uses: one frame per step, numbered from 1, in the order given.
 */
import { Analysis, type AnalyzeOptions } from '../../src/analyze.js';
import { CaptureRecord } from '../../src/capture/record.js';
import type { Report } from '../../src/report/model.js';

export const T0 = 1_790_000_000;

/** A packet and its capture time; raw IP unless `linkType` says otherwise (1: Ethernet). */
export interface Step { t: number; pkt: Buffer; linkType?: number }

/** `probe` sees the analysis after the last packet, before it finishes. */
export function runScenario(steps: Step[], opts: AnalyzeOptions = {}, probe?: (an: Analysis) => void): { report: Report; an: Analysis } {
  const an = new Analysis(opts);
  an.beginFile('scenario');
  const rec = new CaptureRecord();
  steps.forEach((s, i) => {
    rec.buf = s.pkt;
    rec.off = 0;
    rec.caplen = rec.origLen = s.pkt.length;
    rec.linkType = s.linkType ?? 101;
    rec.tsSec = T0 + Math.floor(s.t);
    rec.tsNsec = Math.round((s.t - Math.floor(s.t)) * 1e9);
    rec.tsDigits = 9;
    rec.frame = i + 1;
    an.packet(rec);
  });
  probe?.(an);
  return { report: an.finish(), an };
}
