/** synscope's public API. */
export { analyze, Analysis, type AnalyzeOptions } from './analyze.js';
export type { Report, AttemptReport, EndpointReport, Summary, HostPort, ReasonCode, DiagnosisCode } from './report/model.js';
export { DIAGNOSIS_CODES } from './report/model.js';
export { RULES as VERDICT_RULES, type Rule as VerdictRule, type RuleId } from './verdict/rules.js';
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
