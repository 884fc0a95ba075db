export { COMMANDS, type DataCommand, type HeartbeatCommand, type StatWindow } from "./commands.ts";
export {
  factorCodeSchema,
  type Hj212FactorConfig,
  type Hj212ReceiverConfig,
  type Hj212ReceiverInput,
  type Hj212StationConfig,
  hj212FactorSchema,
  hj212ReceiverSchema,
  hj212StationSchema,
} from "./config.ts";
export { CRC_DIALECTS, type CrcDialect, crcOf, formatCrc, hj212Crc, modbusCrc } from "./crc.ts";
export { DATA_FLAGS, type DataFlag, DEFAULT_FLAG_QUALITY, qualityOf } from "./data-flags.ts";
export { type CpData, type DataSegment, parseCp, parseDataSegment } from "./data-segment.ts";
export { parseDataTime, utcOffsetMinutes } from "./data-time.ts";
export { BUILTIN_FACTORS, type FactorDefault } from "./factor-table.ts";
export { type FlagBits, parseFlag, replyFlag, type StandardVersion } from "./flag.ts";
export {
  buildDataResponse,
  buildFrame,
  type CrcMode,
  FRAME_OVERHEAD,
  type Hj212Frame,
  MAX_SEGMENT_LENGTH,
  parseFrame,
} from "./frame-codec.ts";
export { type FrameEvent, FrameReader } from "./frame-reader.ts";
export { HJ212_ERROR_CODES, type Hj212ErrorCode, Hj212FrameError } from "./hj212-frame-error.ts";
export { Hj212Receiver, type Hj212ReceiverOptions, type Hj212ReceiverStats } from "./hj212-receiver.ts";
export { type ProbeHj212Options, probeHj212 } from "./probe.ts";
