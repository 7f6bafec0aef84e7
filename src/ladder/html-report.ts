/**
 * `--format html` as one library object: give `add` to the analysis as its `onFinal` callback,
 * then `render(report)` reads the packets of the chosen attempts a second time (packets.ts) and
 * returns the document (src/report/html/render.ts).
 */
import type { AttemptReport, Report } from '../report/model.js';
import { renderHtml, type HtmlOptions } from '../report/html/render.js';
import { LadderSelection, type SelectionLimits } from '../report/html/select.js';
import { readLadders, type LadderReadOptions } from './packets.js';

export class HtmlReport {
  readonly selection: LadderSelection;

  constructor(limits: SelectionLimits = {}, private readonly opts: HtmlOptions & LadderReadOptions = {}) {
    this.selection = new LadderSelection(limits);
  }

  /** Takes each final attempt report, in order (AnalyzeOptions.onFinal). */
  readonly add = (a: AttemptReport): void => this.selection.add(a);

  /** The HTML document for the report the analysis returned. */
  async render(report: Report): Promise<string> {
    const { ladders, unread } = await readLadders(report.summary.files, this.selection.chosen, this.opts);
    return renderHtml(report, this.selection, ladders, { ...this.opts, unread });
  }
}
