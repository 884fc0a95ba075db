import type { ExceedanceInterval } from "./scenario-clock.ts";

/** What `scenarioCsv` needs of a scenario's series: both `DustDeviceSeries` and `FloodStationSeries` are one. */
export interface ScenarioSeries {
  device: string;
  timestamps: ArrayLike<number>;
  columns: Readonly<Record<string, ArrayLike<number>>>;
  incidents: readonly (ExceedanceInterval & { kind: string })[];
}

/**
 * The series as CSV, one line per row: `time` (ISO 8601, UTC), `device`, the columns in their order,
 * and `incident`, the kind of the incident the row is in (empty outside one). LF line ends.
 */
export function scenarioCsv(series: readonly ScenarioSeries[]): string {
  const names = Object.keys(series[0]?.columns ?? {});
  const lines = [["time", "device", ...names, "incident"].join(",")];
  for (const s of series) {
    const kinds = new Array<string>(s.timestamps.length).fill("");
    for (const i of s.incidents) kinds.fill(i.kind, i.startIndex, i.endIndex);
    const columns = names.map((name) => {
      const column = s.columns[name];
      if (column === undefined) throw new RangeError(`series ${s.device} has no column ${name}`);
      return column;
    });
    for (let r = 0; r < s.timestamps.length; r++) {
      const values = columns.map((c) => String(c[r]));
      lines.push([new Date(s.timestamps[r] as number).toISOString(), s.device, ...values, kinds[r]].join(","));
    }
  }
  return `${lines.join("\n")}\n`;
}
