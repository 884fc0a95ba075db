import { describe, expect, it } from "vitest";
import { floodStationDays } from "../src/scenarios/flood-station-days.ts";
import { scenarioCsv } from "../src/scenarios/scenario-csv.ts";

const local = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16);

describe("floodStationDays", () => {
  it("is the same for the same options, to the last digit, and differs for another seed", () => {
    expect(floodStationDays({ seed: 5, days: 4 })).toEqual(floodStationDays({ seed: 5, days: 4 }));
    expect(floodStationDays({ seed: 6, days: 4 }).columns.water_level).not.toEqual(
      floodStationDays({ seed: 5, days: 4 }).columns.water_level,
    );
  });

  it("gives minute rain (whole 0.1 mm tips) and level readings (seed 5)", () => {
    const s = floodStationDays({ seed: 5, days: 4 });
    expect([s.device, s.warningLevelM, s.timestamps.length, local(s.timestamps[0] as number)]).toEqual([
      "flood-01",
      1.2,
      5760,
      "2026-06-01T00:00",
    ]);
    const at = (i: number) => [s.columns.rain_intensity[i], s.columns.rainfall_total[i], s.columns.water_level[i]];
    expect(at(0)).toEqual([0, 0, 0.786]);
    expect(at(1000)).toEqual([0, 0.2, 0.732]);
    expect(at(3000)).toEqual([0, 18.1, 0.856]);
    expect(s.columns.rainfall_total.at(-1)).toBe(41.2);
    expect(s.rainEvents.map((e) => [e.kind, local(e.startMs), e.peakMmPerHour, e.catchmentShare])).toEqual([
      ["shower", "2026-06-01T16:29", 1.3, 1.18],
      ["storm", "2026-06-01T17:26", 15.6, 1.21],
      ["shower", "2026-06-03T02:57", 1, 1.23],
      ["shower", "2026-06-04T04:46", 1.6, 1.44],
      ["storm", "2026-06-04T12:26", 30.1, 0.82],
      ["shower", "2026-06-04T15:03", 2.3, 1.3],
      ["shower", "2026-06-04T23:46", 1.6, 1.17],
    ]);
  });

  it("labels the rows above the warning level: a level that grazes it wobbles across (seed 5)", () => {
    const s = floodStationDays({ seed: 5, days: 4 });
    expect(s.incidents.map((i) => [local(i.startMs), i.endIndex - i.startIndex, i.peakLevelM])).toEqual([
      ["2026-06-01T18:48", 1, 1.201],
      ["2026-06-01T18:50", 6, 1.206],
      ["2026-06-01T18:57", 3, 1.207],
    ]);
  });

  it("labels exactly the rows whose level is above the warning level", () => {
    for (const warningLevelM of [1.2, 1.0]) {
      const s = floodStationDays({ seed: 21, days: 60, warningLevelM });
      const inside = new Uint8Array(s.timestamps.length);
      for (const i of s.incidents) {
        expect(s.timestamps[i.startIndex]).toBe(i.startMs);
        inside.fill(1, i.startIndex, i.endIndex);
      }
      expect(inside).toEqual(Uint8Array.from(s.columns.water_level, (level) => (level > warningLevelM ? 1 : 0)));
      expect([warningLevelM, s.incidents.length]).toEqual(warningLevelM === 1.2 ? [1.2, 11] : [1.0, 25]);
    }
  });

  it("reports rain as a tipping bucket does: the intensity is the step's tips, the total never falls", () => {
    const s = floodStationDays({ seed: 21, days: 30, stepMs: 300_000 });
    const { rain_intensity: intensity, rainfall_total: total } = s.columns;
    expect(s.timestamps.length).toBe(30 * 288);
    for (let i = 1; i < total.length; i++) {
      const tips = Math.round(((total[i] as number) - (total[i - 1] as number)) * 10);
      if (tips < 0 || Math.abs((intensity[i] as number) - tips * 1.2) > 1e-9) {
        expect({ row: i, intensity: intensity[i], tips }).toBeUndefined();
      }
    }
  });

  it("answers a storm after a lag and recedes: warnings start 31–76 min into the storm (seed 21, 60 days)", () => {
    const s = floodStationDays({ seed: 21, days: 60 });
    const storms = s.rainEvents.filter((e) => e.kind === "storm");
    expect(storms.length).toBe(36);
    const lags = s.incidents.map((incident) => {
      const storm = storms.filter((e) => e.startMs <= incident.startMs).at(-1);
      return (incident.startMs - (storm?.startMs ?? Number.NaN)) / 60_000;
    });
    expect(lags).toEqual([63, 76, 64, 32, 47, 51, 68, 70, 31, 59, 46]);
    // Three hours after the highest level of seed 5's storm the river is back near its base of 0.8 m.
    const five = floodStationDays({ seed: 5, days: 4 });
    const peak = five.columns.water_level.indexOf(Math.max(...five.columns.water_level));
    expect([local(five.timestamps[peak] as number), five.columns.water_level[peak + 180]]).toEqual([
      "2026-06-01T18:57",
      0.784,
    ]);
  });

  it("writes CSV with the incident's kind on its rows", () => {
    const s = floodStationDays({ seed: 5, days: 4 });
    const lines = scenarioCsv([s]).split("\n");
    expect(lines.length).toBe(5760 + 2); // header, rows, and the empty string after the last LF
    expect(lines[0]).toBe("time,device,rain_intensity,rainfall_total,water_level,incident");
    expect(lines[1]).toBe("2026-05-31T16:00:00.000Z,flood-01,0,0,0.786,");
    expect(lines[1 + 1128]).toBe("2026-06-01T10:48:00.000Z,flood-01,6,16,1.201,water-level");
  });

  it("refuses a step that does not divide an hour", () => {
    expect(() => floodStationDays({ seed: 1, days: 1, stepMs: 420_000 })).toThrow(RangeError);
  });
});
