export { type DecodedBody, type DecodedElement, decodeBody, type ElementSample } from "./body-decoder.ts";
export {
  type Sl651ElementMapping,
  type Sl651ReceiverConfig,
  type Sl651ReceiverConfigInput,
  type Sl651StationConfig,
  sl651ElementMappingSchema,
  sl651ReceiverSchema,
  sl651StationSchema,
} from "./config.ts";
export { buildConfirmation } from "./confirmation.ts";
export { crc16 } from "./crc16.ts";
export { ELEMENT_TABLE, type ElementDefinition, type ElementEncoding } from "./element-table.ts";
export { decodeSignedBcd, encodeSignedBcd } from "./element-values.ts";
export {
  buildFrame,
  MAX_FRAME_LENGTH,
  type PacketInfo,
  parseFrame,
  type Sl651Frame,
  type Sl651FrameSpec,
} from "./frame-codec.ts";
export { FrameReader, type ReaderEvent } from "./frame-reader.ts";
export { FUNCTION_NAMES } from "./function-codes.ts";
export { describeMessage, type Sl651MessageDescription } from "./message-description.ts";
export type { Sl651Message } from "./packet-assembler.ts";
export { type ProbeSl651Options, probeSl651 } from "./probe.ts";
export { Sl651Adapter, type Sl651AdapterOptions, type Sl651Stats } from "./sl651-adapter.ts";
export { SL651_ERROR_CODES, Sl651CodecError, type Sl651ErrorCode } from "./sl651-codec-error.ts";
