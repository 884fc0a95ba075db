import { describe, expect, it } from "vitest";
import {
  assertHourly,
  BATADAL_SENSORS,
  parseBatadalCsv,
  parseBatadalTime,
  readBatadalCsv,
} from "../src/batadal/batadal-csv.ts";
import { batadalFile } from "../src/batadal/batadal-data.ts";
import { BatadalError } from "../src/batadal/batadal-error.ts";

const HEADER = ["DATETIME", ...BATADAL_SENSORS].join(",");

/** A row whose reading of sensor j is j + hour/100, so every value is recognisable. */
function line(datetime: string, hour: number, flag?: string): string {
  const values = BATADAL_SENSORS.map((_, j) => ` ${(j + hour / 100).toFixed(2)}`);
  return [datetime, ...values, ...(flag === undefined ? [] : [` ${flag}`])].join(",");
}

function errorOf(run: () => unknown): BatadalError {
  try {
    run();
  } catch (error) {
    if (error instanceof BatadalError) return error;
    throw error;
  }
  throw new Error("expected a BatadalError");
}

describe("parseBatadalTime", () => {
  it("reads dd/mm/yy HH as UTC hours of 20yy", () => {
    expect(parseBatadalTime("06/01/14 00")).toBe(Date.UTC(2014, 0, 6, 0));
    expect(parseBatadalTime("25/12/16 23")).toBe(Date.UTC(2016, 11, 25, 23));
  });

  it("rejects impossible dates and other layouts", () => {
    expect(parseBatadalTime("31/02/16 00")).toBeUndefined();
    expect(parseBatadalTime("01/01/16 24")).toBeUndefined();
    expect(parseBatadalTime("2016-01-01 00")).toBeUndefined();
    expect(parseBatadalTime("1/01/16 00")).toBeUndefined();
  });
});

describe("parseBatadalCsv", () => {
  it("reads readings in sensor order, with leading spaces and an ATT_FLAG", () => {
    const text = [
      `${HEADER.replace(/,/g, ", ")}, ATT_FLAG`,
      line("04/07/16 00", 0, "-999"),
      line("04/07/16 01", 1, "1"),
    ]
      .join("\n")
      .concat("\n");
    const table = parseBatadalCsv(text, "mini.csv");
    expect(table.labelled).toBe(true);
    expect(table.rows).toHaveLength(2);
    const second = table.rows[1];
    expect(second?.datetime).toBe("04/07/16 01");
    expect(second?.hour).toBe(1);
    expect(second?.timeMs).toBe(Date.UTC(2016, 6, 4, 1));
    expect(second?.attackFlag).toBe(1);
    expect(table.rows[0]?.attackFlag).toBe(-999);
    expect(second?.readings[0]).toBe(0.01);
    expect(second?.readings[42]).toBe(42.01);
  });

  it("reads a file without ATT_FLAG and with columns in another order", () => {
    const names = ["DATETIME", ...[...BATADAL_SENSORS].reverse()];
    const values = [...BATADAL_SENSORS].reverse().map((_, i) => String(42 - i));
    const table = parseBatadalCsv(`${names.join(",")}\r\n01/01/17 05,${values.join(",")}\r\n`);
    expect(table.labelled).toBe(false);
    expect(table.rows[0]?.attackFlag).toBeUndefined();
    expect(Array.from(table.rows[0]?.readings ?? [])).toEqual(BATADAL_SENSORS.map((_, j) => j));
  });

  it("names the line and column of a bad value", () => {
    const bad = line("04/07/16 01", 1).replace(" 7.01", " seven");
    const error = errorOf(() => parseBatadalCsv([HEADER, line("04/07/16 00", 0), bad].join("\n"), "f.csv"));
    expect(error.code).toBe("ANALYTICS_BATADAL_CSV_ROW");
    expect(error.message).toBe('f.csv:3: F_PU1 "seven" is not a finite number');
    expect(error.detail).toEqual({ source: "f.csv", line: 3, column: "F_PU1" });
  });

  it("treats an empty field as missing, not zero", () => {
    const bad = line("04/07/16 00", 0).replace(" 42.00", " ");
    const error = errorOf(() => parseBatadalCsv([HEADER, bad].join("\n"), "f.csv"));
    expect(error.message).toBe('f.csv:2: P_J422 "" is not a finite number');
  });

  it("rejects bad times, short rows and unknown flags", () => {
    const badTime = errorOf(() => parseBatadalCsv([HEADER, line("32/07/16 00", 0)].join("\n"), "f.csv"));
    expect(badTime.message).toBe('f.csv:2: DATETIME "32/07/16 00" is not a valid dd/mm/yy HH');
    expect(badTime.detail.column).toBe("DATETIME");
    const short = errorOf(() => parseBatadalCsv([HEADER, "04/07/16 00, 1.0"].join("\n"), "f.csv"));
    expect(short.message).toBe("f.csv:2: expected 44 fields, found 2");
    const flag = errorOf(() =>
      parseBatadalCsv([`${HEADER},ATT_FLAG`, line("04/07/16 00", 0, "2")].join("\n"), "f.csv"),
    );
    expect(flag.message).toBe('f.csv:2: ATT_FLAG "2" is not 1, 0 or -999');
  });

  it("rejects headers that lack, repeat or add columns", () => {
    const missing = errorOf(() => parseBatadalCsv(HEADER.replace(",P_J14", ""), "f.csv"));
    expect(missing.code).toBe("ANALYTICS_BATADAL_CSV_HEADER");
    expect(missing.message).toBe("f.csv:1: missing column P_J14");
    expect(errorOf(() => parseBatadalCsv(`${HEADER},L_T1`, "f.csv")).message).toBe(
      "f.csv:1: column L_T1 appears twice",
    );
    expect(errorOf(() => parseBatadalCsv(`${HEADER},FLOW_X`, "f.csv")).message).toBe(
      'f.csv:1: unknown column "FLOW_X"',
    );
    expect(errorOf(() => parseBatadalCsv(HEADER.replace("DATETIME", "TIME"), "f.csv")).message).toBe(
      'f.csv:1: first column must be DATETIME, found "TIME"',
    );
    expect(errorOf(() => parseBatadalCsv("\n", "f.csv")).message).toBe("f.csv:1: empty file, expected a header");
  });

  it("assertHourly names the row that breaks the hourly series", () => {
    const table = parseBatadalCsv([HEADER, line("04/07/16 00", 0), line("04/07/16 02", 2)].join("\n"), "f.csv");
    const error = errorOf(() => assertHourly(table));
    expect(error.code).toBe("ANALYTICS_BATADAL_GAP");
    expect(error.message).toBe("f.csv:3: 04/07/16 02 does not follow 04/07/16 00 by one hour");
  });
});

describe("the BATADAL files", () => {
  it("dataset03: 8,761 hours of normal operation", async () => {
    const table = await readBatadalCsv(batadalFile("03"));
    expect(table.rows).toHaveLength(8761);
    expect(table.rows.every((row) => row.attackFlag === 0)).toBe(true);
    expect(table.rows[0]?.datetime).toBe("06/01/14 00");
    expect(table.rows[0]?.readings[0]).toBe(0.509729922);
    assertHourly(table);
  });

  it("dataset04: 4,177 hours, 219 labelled as attacks, the rest -999", async () => {
    const table = await readBatadalCsv(batadalFile("04"));
    expect(table.rows).toHaveLength(4177);
    expect(table.rows.filter((row) => row.attackFlag === 1)).toHaveLength(219);
    expect(table.rows.filter((row) => row.attackFlag === -999)).toHaveLength(3958);
    expect(table.rows[0]?.readings[0]).toBe(2.44);
    assertHourly(table);
  });
});
