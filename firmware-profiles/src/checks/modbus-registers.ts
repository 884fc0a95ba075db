import {
  MODBUS_DATATYPES,
  MODBUS_TABLES,
  type ModbusDatatype,
  type ModbusTable,
  REGISTER_COUNT,
} from "@lifeline/contracts";
import type { Finding } from "../problem.ts";
import { type CheckContext, type DeviceView, deviceFinding, type Json, pointsOf } from "./check-context.ts";
import { formatRange, type PointRegisters, pointRegisters } from "./modbus-point-shape.ts";

const modbusDevices = (context: CheckContext) => context.devices.filter((d) => d.resolved.raw?.type === "modbus");

interface Placed {
  index: number;
  point: Json;
  registers: PointRegisters;
}

function placedPoints(device: DeviceView): Placed[] {
  return pointsOf(device).flatMap(({ index, point }) => {
    const registers = pointRegisters(point);
    return registers === undefined ? [] : [{ index, point, registers }];
  });
}

/** Bits of one status word may share it; anything else sharing a register reads the same data twice. */
function overlaps(a: PointRegisters, b: PointRegisters): boolean {
  if (a.table !== b.table) return false;
  if (a.address >= b.address + b.width || b.address >= a.address + a.width) return false;
  if (a.datatype === "bit" || b.datatype === "bit")
    return a.datatype === "bit" && b.datatype === "bit" && a.bit === b.bit;
  return true;
}

/** Two points of one device over the same registers of one table: one of them has a wrong address. */
export function checkRegisterOverlap(context: CheckContext): Finding[] {
  const findings: Finding[] = [];
  for (const device of modbusDevices(context)) {
    const placed = placedPoints(device).sort((a, b) => a.registers.address - b.registers.address || a.index - b.index);
    const origins = device.resolved.pointOrigins;
    for (let i = 0; i < placed.length; i++) {
      const a = placed[i] as Placed;
      // Sorted by address: only the following points that start before `a` ends can overlap it.
      for (let j = i + 1; j < placed.length; j++) {
        const b = placed[j] as Placed;
        if (b.registers.address >= a.registers.address + Math.max(a.registers.width, 1)) break;
        if (!overlaps(a.registers, b.registers)) continue;
        // Report at the point the profile wrote, else at the later one.
        const aWritten = origins[a.index] !== undefined;
        const bWritten = origins[b.index] !== undefined;
        const [at, other] =
          aWritten && !bWritten ? [a, b] : !aWritten && bWritten ? [b, a] : a.index > b.index ? [a, b] : [b, a];
        findings.push(
          deviceFinding(device, {
            severity: "error",
            code: "PROFILE_REGISTER_OVERLAP",
            path: ["points", at.index, "address"],
            message: `expected registers no other point of this device uses, found ${formatRange(at.registers)} overlapping ${JSON.stringify(other.point.name)} (${formatRange(other.registers)})`,
          }),
        );
      }
    }
  }
  return findings;
}

/** A value must end within the 65536 registers of its table (Modbus Application Protocol §4.4). */
export function checkAddressRange(context: CheckContext): Finding[] {
  const findings: Finding[] = [];
  for (const device of modbusDevices(context)) {
    for (const { index, registers } of placedPoints(device)) {
      if (registers.address + registers.width <= 65_536) continue;
      findings.push(
        deviceFinding(device, {
          severity: "error",
          code: "PROFILE_ADDRESS_RANGE",
          path: ["points", index, "address"],
          message: `expected a ${registers.datatype} (${registers.width} registers) to end by address 65535, found it at ${registers.address}..${registers.address + registers.width - 1}`,
        }),
      );
    }
  }
  return findings;
}

/**
 * A datatype must fit where it is read: `length` is a string's, `bit` a bit's; a coil or discrete
 * input holds one bit (bool), a register 16 (a bit of it is datatype bit); only coils and holding
 * registers can be written (FC 5/6/15/16); no value may be wider than one read request.
 */
export function checkDatatypeFit(context: CheckContext): Finding[] {
  const findings: Finding[] = [];
  for (const device of modbusDevices(context)) {
    const raw = device.resolved.raw ?? {};
    const maxRead = typeof raw.maxRegistersPerRead === "number" ? raw.maxRegistersPerRead : 125;
    for (const { index, point } of pointsOf(device)) {
      const datatype = String(point.datatype ?? "uint16");
      const table = String(point.register ?? "holding");
      if (!MODBUS_DATATYPES.includes(datatype as ModbusDatatype) || !MODBUS_TABLES.includes(table as ModbusTable))
        continue;
      const add = (key: string, message: string, hint?: string) => {
        const finding: Finding = {
          severity: "error",
          code: "PROFILE_DATATYPE_FIT",
          path: ["points", index, key],
          message,
        };
        if (hint !== undefined) finding.hint = hint;
        findings.push(deviceFinding(device, finding));
      };
      const bitTable = table === "coil" || table === "discrete";
      if (bitTable && datatype !== "bool") {
        add("datatype", `expected datatype bool for a ${table} (it holds one bit), found ${datatype}`);
      } else if (!bitTable && datatype === "bool") {
        add(
          "datatype",
          `expected datatype bit (with bit: 0-15) for one bit of a ${table} register, found bool`,
          "bool is for coils and discrete inputs",
        );
      }
      if (point.length !== undefined && datatype !== "string") {
        const width = REGISTER_COUNT[datatype as Exclude<ModbusDatatype, "string">];
        add(
          "length",
          `expected no length for datatype ${datatype} (it always spans ${width} register${width === 1 ? "" : "s"}), found length ${String(point.length)}`,
          "length is for datatype string; a wider number needs a wider datatype such as uint32 or float64",
        );
      }
      if (point.length === undefined && datatype === "string") {
        add("length", "expected length (how many registers the string spans) for datatype string, found nothing");
      }
      if (point.bit !== undefined && datatype !== "bit") {
        add(
          "bit",
          `expected no bit for datatype ${datatype}, found bit ${String(point.bit)}`,
          "use datatype bit to read one bit of a register",
        );
      }
      if (point.bit === undefined && datatype === "bit")
        add("bit", "expected bit (0-15) for datatype bit, found nothing");
      if (point.writable === true && (table === "discrete" || table === "input")) {
        add("writable", `expected writable only on a coil or holding register, found it on a ${table}`);
      }
      const registers = pointRegisters(point);
      if (registers !== undefined && registers.width > maxRead) {
        add(
          registers.datatype === "string" ? "length" : "datatype",
          `expected at most maxRegistersPerRead (${maxRead}) registers, found a ${registers.datatype} of ${registers.width}`,
        );
      }
    }
  }
  return findings;
}

const NOTATION: Readonly<Record<string, [number, number, string]>> = {
  holding: [40_001, 49_999, "4xxxx"],
  input: [30_001, 39_999, "3xxxx"],
};

/**
 * Manuals often list "register 40001" for holding address 0. A device whose holding (or input)
 * addresses all look like that was most likely written in that notation: one warning per device.
 */
export function checkRegisterNotation(context: CheckContext): Finding[] {
  const findings: Finding[] = [];
  for (const device of modbusDevices(context)) {
    const placed = placedPoints(device);
    for (const [table, [low, high, name]] of Object.entries(NOTATION)) {
      const inTable = placed.filter((p) => p.registers.table === table);
      if (inTable.length === 0 || !inTable.every((p) => p.registers.address >= low && p.registers.address <= high))
        continue;
      const first = inTable.reduce((a, b) => (b.index < a.index ? b : a));
      findings.push(
        deviceFinding(device, {
          severity: "warning",
          code: "PROFILE_REGISTER_NOTATION",
          path: ["points", first.index, "address"],
          message: `expected 0-based protocol addresses, found ${table} addresses ${low}..${high} only (the ${name} register numbers of manuals)`,
          hint: `register ${first.registers.address} is ${table} address ${first.registers.address - low}; ignore this if the manual gives protocol addresses`,
        }),
      );
    }
  }
  return findings;
}
