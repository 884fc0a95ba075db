import { AdapterError } from "../../adapter-error.ts";
import { LineOpenError } from "./modbus-line.ts";

/** Modbus Application Protocol V1.1b3 §7. */
const EXCEPTION_NAMES: Record<number, string> = {
  1: "illegal function",
  2: "illegal data address",
  3: "illegal data value",
  4: "server device failure",
  5: "acknowledge",
  6: "server device busy",
  8: "memory parity error",
  10: "gateway path unavailable",
  11: "gateway target device failed to respond",
};

/** True when the device answered (a Modbus exception): repeating the request will not help. */
export function isModbusException(cause: unknown): boolean {
  return typeof (cause as { modbusCode?: unknown })?.modbusCode === "number";
}

/** Maps a modbus-serial failure to an AdapterError naming the device, the points and what was asked. */
export function requestError(
  cause: unknown,
  what: string,
  where: { device: string; point?: string },
  timeoutMs: number,
): AdapterError {
  if (cause instanceof LineOpenError) {
    return new AdapterError("EDGE_MODBUS_CONNECT_FAILED", cause.message, { device: where.device }, cause);
  }
  const err = cause as { name?: string; message?: string; modbusCode?: number };
  if (typeof err.modbusCode === "number") {
    const name = EXCEPTION_NAMES[err.modbusCode] ?? "unknown exception";
    return new AdapterError(
      "EDGE_MODBUS_EXCEPTION",
      `${what}: the device answered with exception ${err.modbusCode} (${name})`,
      where,
      cause,
    );
  }
  if (err.name === "TransactionTimedOutError") {
    return new AdapterError("EDGE_MODBUS_TIMEOUT", `${what}: no answer within ${timeoutMs} ms`, where, cause);
  }
  return new AdapterError("EDGE_MODBUS_IO", `${what}: ${err.message ?? String(cause)}`, where, cause);
}
