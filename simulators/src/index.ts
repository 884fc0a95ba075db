export {
  dustMonitor,
  pipelineTransmitter,
  type SimulatedDatatype,
  type SimulatedDeviceModel,
  type SimulatedPoint,
} from "./device-models.ts";
export {
  ModbusTcpServer,
  type ModbusTcpServerOptions,
  type ModbusTcpServerStats,
} from "./modbus/modbus-tcp-server.ts";
export { type ByteOrder, RegisterBank } from "./modbus/register-bank.ts";
export { type Random, seededRandom } from "./random.ts";
export {
  SimulatedModbusDevice,
  type SimulatedModbusDeviceOptions,
  writePoint,
} from "./simulated-modbus-device.ts";
