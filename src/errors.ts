/**
 * Operational errors: the input cannot be used at all (not a capture, missing file, unknown
 * option, no capture privileges). Data problems inside a readable capture are not errors: they
 * become warnings in the report so that everything readable is still analysed.
 *
 * Every error carries a stable `code`, and the message is one line that names the file (or
 * interface), the byte offset where that applies, and what to do. The CLI prints the message and
 * exits with status 2; it never prints a stack trace for these.
 */
export type ErrorCode =
  | 'ERR_FILE_OPEN' // the file cannot be opened or read
  | 'ERR_NOT_A_CAPTURE' // magic number is neither pcap, pcapng nor gzip
  | 'ERR_CAPTURE_HEADER' // the capture's own header is cut short or impossible
  | 'ERR_CAPTURE_CORRUPT' // a record or block length that cannot be right, before any packet
  | 'ERR_USAGE' // bad command-line usage
  | 'ERR_EXPECT_FILE' // an expected-verdicts file that cannot be parsed
  | 'ERR_LIVE'; // live capture cannot start (interface, privileges, libpcap)

export class SynscopeError extends Error {
  override name = 'SynscopeError';
  readonly code: ErrorCode;
  /** The file or interface the error is about, if any. */
  readonly source?: string;
  /** Byte offset in the (decompressed) capture stream, if the error has a position. */
  readonly offset?: number;

  constructor(code: ErrorCode, message: string, opts: { source?: string; offset?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.source = opts.source;
    this.offset = opts.offset;
  }
}

export function isSynscopeError(e: unknown): e is SynscopeError {
  return e instanceof SynscopeError;
}
