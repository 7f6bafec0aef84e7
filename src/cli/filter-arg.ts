/**
 * The capture-filter expression of `synscope analyze` (`synscope analyze cap.pcap 'tcp port 443'`,
 * `-f EXPR`, or everything after the options with `-r`), as tcpdump takes it. The one place where
 * the command line turns the expression's text into a packet filter for AnalyzeOptions.packetFilter.
 *
 * The filter engine (src/filter/, compileFilter) is being written; until it is merged this says so.
 */
import type { CaptureRecord } from '../capture/record.js';
import type { DecodedPacket } from '../decode/decoder.js';
import { SynscopeError } from '../errors.js';

export interface CliPacketFilter {
  matches(rec: CaptureRecord, p: DecodedPacket): boolean;
}

/** Compiles a capture-filter expression; throws SynscopeError ERR_USAGE (one line) when it cannot. */
export function makePacketFilter(expr: string): CliPacketFilter {
  void expr;
  throw new SynscopeError('ERR_USAGE', 'capture-filter expressions are not supported yet');
}
