import { MAX_SOURCE_TS, MIN_SOURCE_TS, type Reading } from "@lifeline/contracts";
import type { DataValue } from "node-opcua-client";
import type { OpcuaPoint } from "./config.ts";
import type { OpcuaErrorCode } from "./opcua-error-codes.ts";
import { qualityOf } from "./status-quality.ts";
import { numberFromVariant } from "./variant-number.ts";

export type ReadingResult = { ok: true; reading: Reading } | { ok: false; code: OpcuaErrorCode; message: string };

/** IEC 62541-6 §5.2.2.5: a DateTime at or before 1601-01-01 means "no time given". */
const OPCUA_MIN_DATE = Date.UTC(1601, 0, 1);

/**
 * One data change of a point → one reading: the value × scale + offset, the quality from the
 * StatusCode's severity, and the source timestamp. The server timestamp stands in only when the
 * server sent no source timestamp (IEC 62541-4 §7.7.3 lets it omit one); arrival time never does.
 */
export function readingFromDataValue(point: OpcuaPoint, dataValue: DataValue): ReadingResult {
  const status = dataValue.statusCode;
  const ts = timestampOf(dataValue);
  if (!ts.ok) return { ok: false, code: "EDGE_OPCUA_BAD_TIMESTAMP", message: `${point.nodeId}: ${ts.reason}` };
  const raw = numberFromVariant(dataValue.value);
  if (!raw.ok) {
    return raw.empty
      ? {
          ok: false,
          code: "EDGE_OPCUA_NO_VALUE",
          message: `${point.nodeId}: status ${status.toString()} without a value`,
        }
      : { ok: false, code: "EDGE_OPCUA_BAD_VALUE", message: `${point.nodeId}: ${raw.reason}` };
  }
  const value = raw.value * point.scale + point.offset;
  if (!Number.isFinite(value)) {
    return {
      ok: false,
      code: "EDGE_OPCUA_BAD_VALUE",
      message: `${point.nodeId}: ${raw.value} × ${point.scale} + ${point.offset} is not finite`,
    };
  }
  return {
    ok: true,
    reading: { metric: point.metric, ts: ts.value, value, unit: point.unit, quality: qualityOf(status.value) },
  };
}

function timestampOf(dataValue: DataValue): { ok: true; value: number } | { ok: false; reason: string } {
  const source = given(dataValue.sourceTimestamp);
  const chosen = source ?? given(dataValue.serverTimestamp);
  if (chosen === undefined) return { ok: false, reason: "neither a source nor a server timestamp" };
  if (chosen < MIN_SOURCE_TS || chosen >= MAX_SOURCE_TS) {
    const which = source === undefined ? "server" : "source";
    return { ok: false, reason: `${which} timestamp ${new Date(chosen).toISOString()} is outside 2000..2100` };
  }
  return { ok: true, value: chosen };
}

function given(date: Date | null | undefined): number | undefined {
  if (!date) return undefined;
  const ms = date.getTime();
  return Number.isFinite(ms) && ms > OPCUA_MIN_DATE ? ms : undefined;
}
