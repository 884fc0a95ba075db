import {
  MODBUS_DATATYPES,
  MODBUS_TABLES,
  type ModbusDatatype,
  type ModbusTable,
  REGISTER_COUNT,
} from "@lifeline/contracts";
import type { Json } from "./check-context.ts";

/** What the register checks need of a Modbus point, read tolerantly from the merged configuration. */
export interface PointRegisters {
  table: ModbusTable;
  datatype: ModbusDatatype;
  address: number;
  /** Registers (or coils) it occupies. */
  width: number;
  bit?: number;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** The point's registers, with the schema's defaults; undefined when a value is unusable (the schema says why). */
export function pointRegisters(point: Json): PointRegisters | undefined {
  const table = point.register ?? "holding";
  const datatype = point.datatype ?? "uint16";
  const address = point.address;
  if (!MODBUS_TABLES.includes(table as ModbusTable) || !MODBUS_DATATYPES.includes(datatype as ModbusDatatype)) {
    return undefined;
  }
  if (!isInt(address) || address < 0 || address > 65_535) return undefined;
  const dt = datatype as ModbusDatatype;
  let width: number;
  if (dt === "string") {
    if (!isInt(point.length) || point.length < 1) return undefined;
    width = point.length;
  } else {
    width = REGISTER_COUNT[dt];
  }
  const registers: PointRegisters = { table: table as ModbusTable, datatype: dt, address, width };
  if (dt === "bit" && isInt(point.bit)) registers.bit = point.bit;
  return registers;
}

export function formatRange(r: PointRegisters): string {
  if (r.bit !== undefined) return `${r.table} ${r.address} bit ${r.bit}`;
  return r.width === 1 ? `${r.table} ${r.address}` : `${r.table} ${r.address}..${r.address + r.width - 1}`;
}
