import { BYTE_ORDERS, type ModbusConnection, type ModbusDatatype } from "./config.ts";
import { ModbusLine } from "./modbus-line.ts";
import { decodeRegisters } from "./register-codec.ts";
import { requestError } from "./request-error.ts";

export interface ModbusProbeOptions {
  connection: Omit<ModbusConnection, "unitId" | "timeoutMs">;
  unitId: number;
  timeoutMs: number;
  table: "holding" | "input";
  address: number;
  count: number;
  json: boolean;
  out: NodeJS.WritableStream;
}

const TYPES_BY_COUNT: Record<number, ModbusDatatype[]> = {
  1: ["uint16", "int16"],
  2: ["float32", "int32", "uint32"],
  4: ["float64", "int64", "uint64"],
};

/**
 * Reads registers once and prints their value under every byte order side by side, so that a
 * field engineer can see which order gives the plausible value (a PM10 of 0.153, not 1.2e-38).
 * Returns the process exit code.
 */
export async function probeModbus(o: ModbusProbeOptions): Promise<number> {
  const line = new ModbusLine(o.connection, { initialMs: 0, maxMs: 0 });
  const what = `reading ${o.table} registers ${o.address}..${o.address + o.count - 1}`;
  let registers: number[];
  try {
    registers = await line.exclusive(o.unitId, o.timeoutMs, async (client) =>
      o.table === "holding"
        ? (await client.readHoldingRegisters(o.address, o.count)).data
        : (await client.readInputRegisters(o.address, o.count)).data,
    );
  } catch (cause) {
    const error = requestError(cause, what, { device: `probe (unit ${o.unitId})` }, o.timeoutMs);
    o.out.write(
      o.json
        ? `${JSON.stringify({ ok: false, error: { code: error.code, message: error.message } })}\n`
        : `${error.message}\n`,
    );
    return 1;
  } finally {
    await line.close();
  }
  const types = TYPES_BY_COUNT[o.count] ?? [];
  const decoded = BYTE_ORDERS.map((order) => ({
    order,
    values: Object.fromEntries(types.map((t) => [t, decodeRegisters(registers, t, order)])),
    string: decodeRegisters(registers, "string", order) as string,
  }));
  if (o.json) {
    o.out.write(
      `${JSON.stringify({ ok: true, endpoint: line.endpoint, unitId: o.unitId, table: o.table, address: o.address, registers, orders: decoded })}\n`,
    );
    return 0;
  }
  const hex = registers.map((r) => `0x${r.toString(16).toUpperCase().padStart(4, "0")}`).join(" ");
  o.out.write(`${line.endpoint} unit ${o.unitId}, ${o.table} ${o.address}..${o.address + o.count - 1}: ${hex}\n\n`);
  const header = ["order", ...types, "string"];
  const rows = decoded.map((d) => [
    d.order,
    ...types.map((t) => formatNumber(d.values[t] as number)),
    JSON.stringify(d.string),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  for (const row of [header, ...rows]) o.out.write(`${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}\n`);
  return 0;
}

function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  return Math.abs(n) >= 1e-6 && Math.abs(n) < 1e15 ? String(Number(n.toPrecision(9))) : n.toExponential(6);
}
