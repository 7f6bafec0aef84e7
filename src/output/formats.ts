/**
 * The output formats, one registry for `analyze` and `live`. An entry says which commands offer
 * the format, what it is (the --format help is made from these lines), and how it writes one run:
 * what it takes from the analysis while attempts are decided (`hooks`) and what it writes when the
 * input ends (`end`). The CLI takes its --format choices, help text and dispatch from here, so a
 * new format is one entry and one writer, and behaves the same under both commands.
 */
import type { AnalyzeOptions } from '../analyze.js';
import { HtmlReport } from '../ladder/html-report.js';
import type { LadderReadOptions } from '../ladder/packets.js';
import { JsonReportWriter, ParallelJsonReportWriter } from '../report/json-stream.js';
import type { AttemptReport, Report } from '../report/model.js';
import { formatTable } from '../report/table.js';
import { ZeekLogWriter } from '../report/zeek.js';
import type { Verdict } from '../model/verdict.js';
import { endpointToString } from '../util/ip.js';

export type Command = 'analyze' | 'live';

/** Where a run's report goes, and the choices the command line made for it. */
export interface OutputTarget {
  readonly command: Command;
  /** The report's bytes (standard output or the -o file; live batches them per event-loop turn). */
  write(chunk: string | Uint8Array): void;
  /** One line on standard error (warnings; live's capture line beside machine formats). */
  stderr(text: string): void;
  /**
   * Verdicts are written when first decided and again when revised (live, and analyze reading a
   * pipe); otherwise each attempt once, with its final verdict.
   */
  readonly streaming: boolean;
  /** table: list every attempt (--details), the next-step commands (--no-hints), the terminal width. */
  readonly details?: boolean;
  readonly hints: boolean;
  readonly width?: number;
  /** json: a second thread writes the attempts' JSON (analyze to standard output only; see jsonThreads). */
  readonly jsonThreads?: 1 | 2;
  /** json with a second thread: standard output was closed (the reader went away). */
  onPipeClosed?(): void;
  /** html: the packet filter the analysis applied, for the second read of the ladders. */
  readonly packetFilter?: LadderReadOptions['packetFilter'];
}

/** What the command adds when the input has ended (each format takes the form it can carry). */
export interface RunEnd {
  /** Fields added to the summary by the JSON formats (live: what the capture did). */
  readonly summaryExtra?: Record<string, unknown>;
  /** A last line by the other formats: after the table on standard output, on standard error beside conn.log (live: the capture line). */
  readonly trailer?: string;
  /** Warnings already shown as they came (live), not repeated. */
  readonly shown?: ReadonlySet<string>;
}

/** What a format takes from the analysis while it runs. */
export type SinkHooks = Pick<AnalyzeOptions, 'onAttempt' | 'onRevision' | 'onFinal' | 'jsonWriter' | 'onWarning'>;

export interface ReportSink {
  readonly hooks: SinkHooks;
  /** Reading waits for this format's writer (the JSON worker), as for a slow standard output; null: no wait. */
  room?(): Promise<void> | null;
  end(report: Report, run: RunEnd): Promise<void>;
}

export interface OutputFormat {
  readonly name: string;
  readonly commands: readonly Command[];
  /** What the format is, for --format's help. */
  readonly help: string;
  open(target: OutputTarget): ReportSink;
}

/** Width of the flow column in live's verdict lines. */
const FLOW_WIDTH = 47;

function hhmmss(iso: string): string {
  return iso.slice(11, 23);
}

/** One verdict line of `live` (table format): time, flow, verdict, reason and flags; `revises`: the verdict it replaces. */
export function verdictLine(a: AttemptReport, width: number = FLOW_WIDTH, revises?: Verdict): string {
  const flow = `${endpointToString(a.client.ip, a.client.port)} -> ${endpointToString(a.server.ip, a.server.port)}`;
  const flags = a.flags.length ? ` [${a.flags.join(',')}]` : '';
  const was = revises === undefined ? '' : revises === a.verdict ? '(revised) ' : `(was ${revises}) `;
  return `${hhmmss(a.start)}  ${flow.padEnd(width)}  ${a.verdict.padEnd(12)}  ${was}${a.reason}${flags}\n`;
}

/** The summary's warnings on standard error, but those shown as they came. */
function warnRest(t: OutputTarget, report: Report, run: RunEnd): void {
  for (const w of report.summary.warnings) if (!run.shown?.has(w)) t.stderr(`synscope: warning: ${w}\n`);
}

const table: OutputFormat = {
  name: 'table',
  commands: ['analyze', 'live'],
  help: 'table (default): verdict counts, endpoints, next steps (live: also a line per verdict as it is decided)',
  open(t) {
    return {
      hooks: t.command === 'live'
        ? { onAttempt: (a) => t.write(verdictLine(a)), onRevision: (a, previous) => t.write(verdictLine(a, FLOW_WIDTH, previous)) }
        : {},
      async end(report, run) {
        t.write(formatTable(report, { details: t.details, hints: t.hints, width: t.width, warnings: false }));
        if (run.trailer) t.write(run.trailer);
        // Warnings go to stderr in table form: the table on stdout stays what a script reads.
        warnRest(t, report, run);
      },
    };
  },
};

const json: OutputFormat = {
  name: 'json',
  commands: ['analyze', 'live'],
  help: 'json: one document (live: written when the capture ends)',
  open(t) {
    const writer = t.jsonThreads === 2 ? new ParallelJsonReportWriter(t.write, () => t.onPipeClosed?.()) : new JsonReportWriter(t.write);
    return {
      hooks: { jsonWriter: writer },
      room: writer instanceof ParallelJsonReportWriter ? () => writer.room() : undefined,
      async end(report, run) {
        await writer.end(report.endpoints, run.summaryExtra ? { ...report.summary, ...run.summaryExtra } : report.summary);
        // The document carries the warnings; live also says on stderr those it has not shown yet.
        if (t.command === 'live') warnRest(t, report, run);
      },
    };
  },
};

const ndjson: OutputFormat = {
  name: 'ndjson',
  commands: ['analyze', 'live'],
  help: 'ndjson: a line per attempt, endpoint, warning and the summary (live and pipes: when decided, again with "revises")',
  open(t) {
    const line = (obj: unknown) => t.write(`${JSON.stringify(obj)}\n`);
    // A file has its whole future on disk: each attempt is written once, with its final verdict, so
    // the lines agree with the summary without revisions. Live capture (and a pipe, live capture by
    // another name) writes an attempt when first decided and revises it if need be.
    const hooks: SinkHooks = t.streaming
      ? {
        onAttempt: (a) => line({ type: 'attempt', ...a }),
        onRevision: (a, previous) => line({ type: 'attempt', ...a, revises: true, previousVerdict: previous }),
      }
      : { onFinal: (a) => line({ type: 'attempt', ...a }) };
    hooks.onWarning = (w) => line({ type: 'warning', message: w });
    return {
      hooks,
      async end(report, run) {
        for (const e of report.endpoints) line({ type: 'endpoint', ...e });
        line({ type: 'summary', ...report.summary, ...run.summaryExtra });
      },
    };
  },
};

const html: OutputFormat = {
  name: 'html',
  commands: ['analyze'],
  help: 'html: one self-contained page with a timeline and ladders',
  open(t) {
    const page = new HtmlReport({}, { packetFilter: t.packetFilter });
    return {
      hooks: { onFinal: (a) => page.add(a) },
      async end(report, run) {
        t.write(await page.render(report));
        warnRest(t, report, run);
      },
    };
  },
};

function zeekFormat(name: 'zeek' | 'zeek-json', help: string): OutputFormat {
  return {
    name,
    commands: ['analyze', 'live'],
    help,
    open(t) {
      // A conn.log row is written once, with the attempt's final verdict (rows are never revised);
      // live stamps the log's open and close lines with the wall clock, as Zeek does.
      const log = new ZeekLogWriter(name, (s) => t.write(s), t.command === 'live');
      return {
        hooks: { onFinal: (a) => log.attempt(a) },
        async end(report, run) {
          log.end();
          if (run.trailer) t.stderr(run.trailer);
          warnRest(t, report, run);
        },
      };
    },
  };
}

/** Every output format, in the order --format lists them. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  table,
  json,
  ndjson,
  html,
  zeekFormat('zeek', 'zeek: Zeek\'s conn.log, tab-separated'),
  zeekFormat('zeek-json', 'zeek-json: conn.log as JSON lines'),
];

export type FormatName = 'table' | 'json' | 'ndjson' | 'html' | 'zeek' | 'zeek-json';

/** The formats a command offers, by name. */
export function formatNames(command: Command): string[] {
  return OUTPUT_FORMATS.filter((f) => f.commands.includes(command)).map((f) => f.name);
}

/** --format's help for a command: every format it offers, with what it is. */
export function formatHelp(command: Command): string {
  return `output format; ${OUTPUT_FORMATS.filter((f) => f.commands.includes(command)).map((f) => f.help).join('; ')}`;
}

/** The sink of the named format (a name --format accepted for this command). */
export function openFormat(name: string, target: OutputTarget): ReportSink {
  const f = OUTPUT_FORMATS.find((x) => x.name === name && x.commands.includes(target.command));
  if (!f) throw new Error(`no output format "${name}" for ${target.command}`);
  return f.open(target);
}
