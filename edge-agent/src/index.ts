// First: node-opcua's own logging must be routed before node-opcua loads (see opcua-logs.ts).
import "./adapters/opcua/opcua-logs.ts";

export type { Adapter, Clock, PolledAdapter, ReadingSink, StreamingAdapter } from "./adapter.ts";
export { AdapterError, type AdapterErrorCode } from "./adapter-error.ts";
export {
  Hj212Receiver,
  type Hj212ReceiverConfig,
  type Hj212ReceiverStats,
  hj212ReceiverSchema,
  type ProbeHj212Options,
  probeHj212,
} from "./adapters/hj212/index.ts";
export {
  BYTE_ORDERS,
  type ByteOrder,
  MODBUS_DATATYPES,
  MODBUS_TABLES,
  type ModbusConnection,
  type ModbusDatatype,
  type ModbusDeviceConfig,
  type ModbusPoint,
  type ModbusTable,
  modbusConnectionSchema,
  modbusDeviceSchema,
  modbusPointSchema,
} from "./adapters/modbus/config.ts";
export { ModbusAdapter } from "./adapters/modbus/modbus-adapter.ts";
export { type LineSettings, ModbusLine, ModbusLines } from "./adapters/modbus/modbus-line.ts";
export { type ModbusProbeOptions, probeModbus } from "./adapters/modbus/probe.ts";
export { MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, planReads, type ReadRequest } from "./adapters/modbus/read-plan.ts";
export {
  decodeRegisters,
  encodeRegisters,
  fromBigEndianBytes,
  toBigEndianBytes,
} from "./adapters/modbus/register-codec.ts";
// OPC UA: node-opcua loads on first use, not with this entry point (deferred-opcua-adapter.ts).
export type { BrowsedVariable, BrowseOptions } from "./adapters/opcua/browse.ts";
export { browseOpcua } from "./adapters/opcua/browse-opcua.ts";
export { type OpcuaDeviceConfig, opcuaDeviceSchema } from "./adapters/opcua/config.ts";
export { routeOpcuaLogs } from "./adapters/opcua/opcua-logs.ts";
export {
  approveCertificate,
  listRejectedCertificates,
  listTrustedCertificates,
  type PeerCertificate,
} from "./adapters/opcua/trust-store.ts";
export { type AdapterContext, adapterContext, createAdapter } from "./adapters/registry.ts";
export {
  type ProbeSl651Options,
  probeSl651,
  Sl651Adapter,
  type Sl651ReceiverConfig,
  type Sl651Stats,
  sl651ReceiverSchema,
} from "./adapters/sl651/index.ts";
export {
  type AgentConfig,
  type AgentConfigInput,
  agentConfigSchema,
  type DeviceConfig,
  deviceSchema,
} from "./agent-config.ts";
export type { AgentJournalStats } from "./agent-journals.ts";
export {
  type ApplyResult,
  type EdgeAgent,
  type EdgeAgentOptions,
  type EdgeAgentStats,
  startEdgeAgent,
} from "./edge-agent.ts";
export { EdgeRules } from "./edge-rules.ts";
export { type ForwarderStats, routeOf } from "./forwarder.ts";
export {
  FSYNC_POLICIES,
  type FsyncPolicy,
  Journal,
  JournalError,
  type JournalErrorCode,
  type JournalOptions,
  type JournalRecord,
  type JournalStats,
} from "./journal/index.ts";
export { type JournalLoss, journalLoss } from "./journal-loss.ts";
export { type PointHealth, PointHealthTracker } from "./point-health.ts";
export { acceptSignedProfile, agentConfigFromProfile } from "./profile-config.ts";
export { ProfileReceiver, type ProfileReceiverOptions } from "./profile-receiver.ts";
export { MqttUplink } from "./uplink/mqtt-uplink.ts";
export { NatsUplink } from "./uplink/nats-uplink.ts";
export { resolveSecretRef } from "./uplink/secret-ref.ts";
export type { EnvelopeRoute, Uplink, UplinkStats } from "./uplink/uplink.ts";
