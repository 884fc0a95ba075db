import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { BatadalError } from "./batadal-error.ts";

/** The 43 SCADA readings of C-Town, in the column order of the BATADAL files (Taormina et al. 2018, Table 1). */
export const BATADAL_SENSORS = [
  "L_T1",
  "L_T2",
  "L_T3",
  "L_T4",
  "L_T5",
  "L_T6",
  "L_T7",
  "F_PU1",
  "S_PU1",
  "F_PU2",
  "S_PU2",
  "F_PU3",
  "S_PU3",
  "F_PU4",
  "S_PU4",
  "F_PU5",
  "S_PU5",
  "F_PU6",
  "S_PU6",
  "F_PU7",
  "S_PU7",
  "F_PU8",
  "S_PU8",
  "F_PU9",
  "S_PU9",
  "F_PU10",
  "S_PU10",
  "F_PU11",
  "S_PU11",
  "F_V2",
  "S_V2",
  "P_J280",
  "P_J269",
  "P_J300",
  "P_J256",
  "P_J289",
  "P_J415",
  "P_J302",
  "P_J306",
  "P_J307",
  "P_J317",
  "P_J14",
  "P_J422",
] as const;

export type BatadalSensor = (typeof BATADAL_SENSORS)[number];

/** ATT_FLAG as the files use it: 1 under attack, 0 normal, -999 not labelled (dataset04). */
export type BatadalAttackFlag = 1 | 0 | -999;

export interface BatadalRow {
  /** The DATETIME field as written (`dd/mm/yy HH`). */
  datetime: string;
  /** The same instant as epoch milliseconds; the files carry no zone, so it is read as UTC. */
  timeMs: number;
  /** Hour of day 0–23 (for reports; the detector reads only the readings). */
  hour: number;
  /** The 43 readings in `BATADAL_SENSORS` order, whatever the column order of the file. */
  readings: Float64Array;
  /** Absent when the file has no ATT_FLAG column. */
  attackFlag?: BatadalAttackFlag;
}

export interface BatadalTable {
  source: string;
  rows: BatadalRow[];
  /** True when the file had an ATT_FLAG column. */
  labelled: boolean;
}

const TIME_PATTERN = /^(\d{2})\/(\d{2})\/(\d{2}) (\d{2})$/;

/** Reads `dd/mm/yy HH` (two-digit years are 20yy); rejects dates that do not exist, such as 31/02. */
export function parseBatadalTime(text: string): number | undefined {
  const match = TIME_PATTERN.exec(text);
  if (match === null) return undefined;
  const [day, month, year, hour] = match.slice(1).map(Number) as [number, number, number, number];
  const ms = Date.UTC(2000 + year, month - 1, day, hour);
  const back = new Date(ms);
  if (back.getUTCDate() !== day || back.getUTCMonth() !== month - 1 || back.getUTCHours() !== hour) return undefined;
  return ms;
}

interface HeaderLayout {
  /** For each sensor in `BATADAL_SENSORS` order, its field index in a row. */
  sensorFields: number[];
  flagField: number | undefined;
  width: number;
}

function readHeader(line: string, source: string): HeaderLayout {
  const names = line.split(",").map((name) => name.trim());
  const fail = (message: string, column?: string): never => {
    throw new BatadalError("ANALYTICS_BATADAL_CSV_HEADER", `${source}:1: ${message}`, { source, line: 1, column });
  };
  if (names[0] !== "DATETIME") fail(`first column must be DATETIME, found "${names[0]}"`, names[0]);
  const index = new Map<string, number>();
  names.forEach((name, field) => {
    if (index.has(name)) fail(`column ${name} appears twice`, name);
    index.set(name, field);
  });
  const sensorFields = BATADAL_SENSORS.map((sensor) => index.get(sensor) ?? fail(`missing column ${sensor}`, sensor));
  const known = new Set<string>(["DATETIME", "ATT_FLAG", ...BATADAL_SENSORS]);
  const unknown = names.find((name) => !known.has(name));
  if (unknown !== undefined) fail(`unknown column "${unknown}"`, unknown);
  return { sensorFields, flagField: index.get("ATT_FLAG"), width: names.length };
}

function readRow(line: string, lineNo: number, layout: HeaderLayout, header: string[], source: string): BatadalRow {
  const fields = line.split(",");
  const fail = (message: string, column?: string): never => {
    throw new BatadalError("ANALYTICS_BATADAL_CSV_ROW", `${source}:${lineNo}: ${message}`, {
      source,
      line: lineNo,
      column,
    });
  };
  if (fields.length !== layout.width) fail(`expected ${layout.width} fields, found ${fields.length}`);
  const datetime = (fields[0] ?? "").trim();
  const timeMs = parseBatadalTime(datetime) ?? fail(`DATETIME "${datetime}" is not a valid dd/mm/yy HH`, "DATETIME");
  const readings = new Float64Array(BATADAL_SENSORS.length);
  layout.sensorFields.forEach((field, sensor) => {
    const text = (fields[field] ?? "").trim();
    const value = Number(text);
    // Number("") is 0: an empty field is a missing reading, not a zero.
    if (text === "" || !Number.isFinite(value))
      fail(`${header[field]} "${text}" is not a finite number`, header[field]);
    readings[sensor] = value;
  });
  const row: BatadalRow = { datetime, timeMs, hour: new Date(timeMs).getUTCHours(), readings };
  if (layout.flagField !== undefined) {
    const text = (fields[layout.flagField] ?? "").trim();
    const flag = Number(text);
    if (text === "" || (flag !== 1 && flag !== 0 && flag !== -999))
      fail(`ATT_FLAG "${text}" is not 1, 0 or -999`, "ATT_FLAG");
    row.attackFlag = flag as BatadalAttackFlag;
  }
  return row;
}

/** Parses a BATADAL CSV (DATETIME first, the 43 sensors, ATT_FLAG optional); errors name the line and column. */
export function parseBatadalCsv(text: string, source = "<csv>"): BatadalTable {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === "") lines.pop();
  const headerLine = lines[0];
  if (headerLine === undefined || headerLine.trim() === "") {
    throw new BatadalError("ANALYTICS_BATADAL_CSV_HEADER", `${source}:1: empty file, expected a header`, {
      source,
      line: 1,
    });
  }
  const layout = readHeader(headerLine, source);
  const header = headerLine.split(",").map((name) => name.trim());
  const rows: BatadalRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    rows.push(readRow(lines[i] ?? "", i + 1, layout, header, source));
  }
  return { source, rows, labelled: layout.flagField !== undefined };
}

/** Reads a BATADAL CSV file, gzipped (`.gz`) or not. */
export async function readBatadalCsv(path: string): Promise<BatadalTable> {
  const bytes = await readFile(path);
  const text = path.endsWith(".gz") ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
  return parseBatadalCsv(text, path);
}

const HOUR_MS = 3_600_000;

/** Throws unless the rows are consecutive hours: the feature window looks back a fixed number of rows. */
export function assertHourly(table: BatadalTable): void {
  for (let i = 1; i < table.rows.length; i++) {
    const previous = table.rows[i - 1] as BatadalRow;
    const row = table.rows[i] as BatadalRow;
    if (row.timeMs - previous.timeMs !== HOUR_MS) {
      throw new BatadalError(
        "ANALYTICS_BATADAL_GAP",
        `${table.source}:${i + 2}: ${row.datetime} does not follow ${previous.datetime} by one hour`,
        { source: table.source, line: i + 2, column: "DATETIME" },
      );
    }
  }
}
