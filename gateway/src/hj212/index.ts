// HJ 212 (HJ/T 212-2005, HJ 212-2017): the pure codec, and the TCP listener (listener.ts).
export { crcHj212, crcModbus, crcHex, crcFor, checkCrc, type CrcMode, type CrcCheck } from './crc.js';
export { Framer, type RawFrame, type FramerOutput, type FramerRefusal } from './framer.js';
export { parsePacket, formatPacket, decodeFlag, encodeFlag, type Packet, type FlagBits, type ProtocolVersion } from './packet.js';
export { parseCp, type Cp, type PollutantGroup, type CpValue } from './cp.js';
export { parseLocalTime, formatLocalTime, isTimeZone } from './time.js';
export { CODE_2005_TO_2017, FACTORS, to2017, type FactorInfo } from './codes.js';
export { INTERVALS, INTERVAL_BY_CN, HEARTBEAT_CNS, METRIC_CODE_PREFIX, flagIsValid, metricName, valuesOf, type Interval, type Hj212Value } from './readings.js';
export { Reassembler, defaultSplitLimits, type SplitLimits, type SplitOutcome } from './split.js';
export { decodeData, cpOf, type DecodedFrame, type DecodeRefusal } from './decode.js';
export { frame, replyFrame, type ReplyTo } from './encode.js';
export { createHj212Listener, defaultHj212Limits, HJ212_OUTCOMES, type Hj212Listener, type Hj212ListenerOptions, type Hj212Ingest, type Hj212Limits, type Hj212Outcome, type FrameRecord, type EventTimeResult } from './listener.js';
export { createHj212Source, frameLines, bootLine, type Hj212SourceDeps } from './source.js';
export { noticeOf, alarmTransitions, ALARM_RULE, NOTICE_CNS, type Hj212Notice } from './notices.js';
export { createHj212Commands, hj212CommandSchema, commandStatusSchema, CommandError, QN_RTN, EXE_RTN, type Hj212Command, type Hj212Commands, type CommandStatus } from './commands.js';
export { hj212CommandRoutes } from './routes.js';
