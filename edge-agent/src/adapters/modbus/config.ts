// Device configuration is the contract between gateway profiles and this adapter, so its schema
// lives in @lifeline/contracts (firmware-profiles may depend on nothing else); it is re-exported here.
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
  pointWidth,
  REGISTER_COUNT,
} from "@lifeline/contracts";
