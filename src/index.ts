/** synscope's public API. */
export { analyze, Analysis, type AnalyzeOptions } from './analyze.js';
export type { Report, AttemptReport, EndpointReport, Summary, HostPort } from './report/model.js';
export { VERDICTS, isVerdict, type Verdict, type Flag } from './model/verdict.js';
export { parseExpect, formatExpect, compareExpect, type ExpectedAttempt } from './report/expect.js';
export { formatTable } from './report/table.js';
export { fileInfo, type FileInfo } from './info/info.js';
export { readCapture, type ReadOptions } from './capture/reader.js';
export type { CaptureInfo, InterfaceInfo, CaptureRecord } from './capture/record.js';
export { Decoder, DecodedPacket } from './decode/decoder.js';
export { PcapWriter, PcapngWriter } from './capture/writer.js';
export { SynscopeError, isSynscopeError, type ErrorCode } from './errors.js';
export { compileFilter, PacketFilter } from './filter/filter.js';
export { HtmlReport } from './ladder/html-report.js';
export { readLadders, type LadderReadOptions } from './ladder/packets.js';
export { renderHtml, type HtmlOptions } from './report/html/render.js';
export { LadderSelection, type SelectionLimits, type LadderChoice } from './report/html/select.js';
export type { LadderData, LadderPacket } from './report/html/model.js';
