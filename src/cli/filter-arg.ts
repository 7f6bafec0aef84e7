/**
 * The capture-filter expression of `synscope analyze` (`synscope analyze cap.pcap 'tcp port 443'`,
 * `-f EXPR`, or everything after the options with `-r`), as tcpdump takes it. The one place where
 * the command line turns the expression's text into a packet filter for AnalyzeOptions.packetFilter.
 */
import { compileFilter, type PacketFilter } from '../filter/filter.js';

/** Compiles a capture-filter expression; throws SynscopeError ERR_USAGE (one line) when it cannot. */
export function makePacketFilter(expr: string): PacketFilter {
  return compileFilter(expr);
}
