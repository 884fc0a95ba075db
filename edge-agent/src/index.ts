export type { Adapter, Clock, PolledAdapter, ReadingSink, StreamingAdapter } from "./adapter.ts";
export { AdapterError, type AdapterErrorCode } from "./adapter-error.ts";
export {
  BYTE_ORDERS,
  type ByteOrder,
  MODBUS_DATATYPES,
  type ModbusDatatype,
  type ModbusDeviceConfig,
  type ModbusPoint,
  modbusDeviceSchema,
  modbusPointSchema,
} from "./adapters/modbus/config.ts";
export { ModbusAdapter } from "./adapters/modbus/modbus-adapter.ts";
export { MAX_REGISTERS_PER_READ, planReads, type ReadRequest } from "./adapters/modbus/read-plan.ts";
export { decodeRegisters } from "./adapters/modbus/register-codec.ts";
export { createAdapter } from "./adapters/registry.ts";
export {
  type AgentConfig,
  type AgentConfigInput,
  agentConfigSchema,
  type DeviceConfig,
  deviceSchema,
} from "./agent-config.ts";
export { type EdgeAgent, type EdgeAgentOptions, type EdgeAgentStats, startEdgeAgent } from "./edge-agent.ts";
export { MqttUplink, type UplinkStats } from "./mqtt-uplink.ts";
