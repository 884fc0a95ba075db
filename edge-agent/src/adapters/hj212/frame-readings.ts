import { MAX_SOURCE_TS, MIN_SOURCE_TS, type Quality, type Reading } from "@lifeline/contracts";
import type { DataCommand, StatWindow } from "./commands.ts";
import type { Hj212StationConfig } from "./config.ts";
import { qualityOf } from "./data-flags.ts";
import { parseDataTime } from "./data-time.ts";
import { BUILTIN_FACTORS } from "./factor-table.ts";
import type { Hj212Frame } from "./frame-codec.ts";
import type { Hj212ErrorCode } from "./hj212-frame-error.ts";
import { ownValue } from "./own-value.ts";
import { printable } from "./printable.ts";

export interface MappingOptions {
  /** UTC offset of the logger's clock, in minutes. */
  offsetMinutes: number;
  statSuffix: Readonly<Record<StatWindow, string>>;
  flagQuality: Readonly<Record<string, Quality>>;
}

/** Something in a frame that did not become a reading; the receiver reports it against the station. */
export interface ReadingProblem {
  code: Hj212ErrorCode;
  message: string;
  /** The factor code, when the problem is one factor's. */
  point?: string;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Turns the data area of a data command into readings: one per value field of each factor, all
 * with the frame's DataTime as source time (for statistics, the start of the window, as the
 * logger stamps it). A bad factor is reported and the others still become readings; without a
 * usable DataTime the frame is not `accepted` at all.
 */
export function frameReadings(
  frame: Hj212Frame,
  command: DataCommand,
  station: Hj212StationConfig,
  options: MappingOptions,
): { readings: Reading[]; problems: ReadingProblem[]; accepted: boolean } {
  const problems: ReadingProblem[] = [];
  const ts = sourceTime(frame.cp.fields.get("DataTime"), options.offsetMinutes, problems);
  if (ts === undefined) return { readings: [], problems, accepted: false };
  const readings: Reading[] = [];
  for (const [code, fields] of frame.cp.factors) {
    if (station.ignoreFactors.includes(code)) continue;
    const configured = ownValue(station.factors, code);
    const builtin = ownValue(BUILTIN_FACTORS, code);
    const metric = configured?.metric ?? builtin?.metric;
    if (metric === undefined) {
      problems.push({
        code: "EDGE_HJ212_UNKNOWN_FACTOR",
        point: code,
        message: `factor ${code} is neither in the station's factors nor in the built-in table; map it under factors or list it in ignoreFactors`,
      });
      continue;
    }
    const unit = configured?.unit ?? builtin?.unit ?? "";
    const quality = qualityOf(fields.get("Flag"), options.flagQuality);
    for (const field of command.fields) {
      const raw = fields.get(field);
      if (raw === undefined) continue;
      const value = NUMBER.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(value)) {
        problems.push({
          code: "EDGE_HJ212_BAD_VALUE",
          point: code,
          message: `${code}-${field}=${printable(raw)} is not a number`,
        });
        continue;
      }
      readings.push({
        metric: metricName(metric, field, command, options),
        ts,
        value,
        unit: field.endsWith("Cou") ? (configured?.couUnit ?? unit) : unit,
        quality,
      });
    }
  }
  return { readings, problems, accepted: true };
}

function sourceTime(text: string | undefined, offsetMinutes: number, problems: ReadingProblem[]): number | undefined {
  const problem = (message: string) => {
    problems.push({ code: "EDGE_HJ212_BAD_DATATIME", message });
    return undefined;
  };
  if (text === undefined) return problem("the data area has no DataTime");
  const ts = parseDataTime(text, offsetMinutes);
  if (ts === undefined) return problem(`DataTime=${printable(text)} is not a date and time YYYYMMDDhhmmss`);
  if (ts < MIN_SOURCE_TS || ts >= MAX_SOURCE_TS) {
    return problem(`DataTime=${text} is outside 2000-2099: check the logger's clock`);
  }
  return ts;
}

/** `pm10` (Rtd), `pm10_zs` (ZsRtd), `pm10_avg_1m` (Avg of minute data), `pm10_zs_max_1h` (ZsMax of hourly data). */
function metricName(metric: string, field: string, command: DataCommand, options: MappingOptions): string {
  const converted = field.startsWith("Zs");
  const stat = converted ? field.slice(2) : field;
  const base = converted ? `${metric}_zs` : metric;
  if (stat === "Rtd" || command.window === undefined) return base;
  return `${base}_${stat.toLowerCase()}_${options.statSuffix[command.window]}`;
}
