import { describe, expect, it } from "vitest";
import { downwindFactor, dustSiteDays, trailingMean } from "../src/scenarios/dust-site-days.ts";

const local = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16);

describe("dustSiteDays", () => {
  it("is the same for the same options, to the last digit, and differs for another seed", () => {
    const a = dustSiteDays({ seed: 2, days: 2, devices: 2 });
    const b = dustSiteDays({ seed: 2, days: 2, devices: 2 });
    expect(b).toEqual(a);
    const other = dustSiteDays({ seed: 3, days: 2, devices: 2 });
    expect(other.devices[0]?.columns.pm10).not.toEqual(a.devices[0]?.columns.pm10);
  });

  it("gives minute readings from local midnight, HJ 212 to 0.1 µg/m³ and Modbus to 1 µg/m³ (seed 2)", () => {
    const { devices, limitUgM3, stepMs } = dustSiteDays({ seed: 2, days: 2, devices: 2 });
    expect([limitUgM3, stepMs]).toEqual([150, 60_000]);
    const [hj212, modbus] = devices;
    expect(devices.map((d) => [d.device, d.protocol, d.bearingDeg, d.timestamps.length])).toEqual([
      ["dust-01", "hj212", 45, 2880],
      ["dust-02", "modbus", 225, 2880],
    ]);
    expect(local(hj212?.timestamps[0] as number)).toBe("2026-06-01T00:00");
    const at = (d: typeof hj212, i: number) => {
      const c = d?.columns;
      return [c?.pm10[i], c?.tsp[i], c?.wind_speed[i], c?.wind_direction[i]];
    };
    expect(at(hj212, 0)).toEqual([30.2, 55.4, 2.6, 107]);
    expect(at(hj212, 720)).toEqual([156.2, 243.1, 3.5, 104]); // 12:00, in a blast's cloud
    expect(at(modbus, 720)).toEqual([210, 396, 3.5, 106]); // downwind of the same blast
    expect(at(hj212, 2000)).toEqual([33.9, 63.7, 2.7, 94]);
  });

  it("labels the hours above the limit with what caused them (seed 2)", () => {
    const [hj212, modbus] = dustSiteDays({ seed: 2, days: 2, devices: 2 }).devices;
    const summary = (d: typeof hj212) =>
      d?.incidents.map((i) => [local(i.startMs), local(i.endMs), i.endIndex - i.startIndex, i.kind, i.peakHourlyPm10]);
    expect(summary(hj212)).toEqual([
      ["2026-06-01T11:41", "2026-06-01T12:39", 58, "blasting", 229.6],
      ["2026-06-01T14:14", "2026-06-01T14:52", 38, "haul-road", 184.6],
    ]);
    expect(summary(modbus)).toEqual([["2026-06-01T11:32", "2026-06-01T12:46", 74, "blasting", 396.1]]);
    // One blast for the site, felt more by the monitor downwind; haul-road episodes are each monitor's own.
    expect(modbus?.episodes.map((e) => [e.kind, local(e.startMs), e.peakUgM3])).toEqual([
      ["haul-road", "2026-06-01T09:55", 94.7],
      ["blasting", "2026-06-01T11:28", 1448.3],
    ]);
    expect(hj212?.episodes.find((e) => e.kind === "blasting")?.peakUgM3).toBe(608.8);
  });

  it("labels exactly the rows whose trailing 60-minute PM10 average is above the limit", () => {
    for (const limit of [150, 100]) {
      const site = dustSiteDays({ seed: 11, days: 10, devices: 3, pm10LimitUgM3: limit });
      let labelled = 0;
      for (const d of site.devices) {
        const hourly = trailingMean(d.columns.pm10, 60);
        const inside = new Uint8Array(d.timestamps.length);
        for (const i of d.incidents) {
          expect(d.timestamps[i.startIndex]).toBe(i.startMs);
          expect(i.endMs - i.startMs).toBe((i.endIndex - i.startIndex) * 60_000);
          inside.fill(1, i.startIndex, i.endIndex);
        }
        expect(inside).toEqual(Uint8Array.from(hourly, (mean) => (mean > limit ? 1 : 0)));
        labelled += d.incidents.length;
      }
      expect([limit, labelled]).toEqual(limit === 150 ? [150, 17] : [100, 39]);
    }
  });

  it("keeps magnitudes physical: TSP at least PM10, wind 0–20 m/s from 0–359°, haul trucks in working hours", () => {
    const site = dustSiteDays({ seed: 5, days: 14, devices: 4 });
    let haulEpisodes = 0;
    for (const d of site.devices) {
      const c = d.columns;
      for (let i = 0; i < d.timestamps.length; i++) {
        const ok =
          (c.pm10[i] as number) >= 1 &&
          (c.tsp[i] as number) >= (c.pm10[i] as number) &&
          (c.wind_speed[i] as number) >= 0 &&
          (c.wind_speed[i] as number) < 20 &&
          (c.wind_direction[i] as number) >= 0 &&
          (c.wind_direction[i] as number) < 360;
        if (!ok) expect({ device: d.device, row: i, pm10: c.pm10[i], tsp: c.tsp[i] }).toBeUndefined();
      }
      for (const e of d.episodes.filter((x) => x.kind === "haul-road")) {
        const hour = Number(local(e.startMs).slice(11, 13));
        expect([e.startMs, hour >= 6 && hour < 19]).toEqual([e.startMs, true]);
        haulEpisodes++;
      }
    }
    expect(haulEpisodes).toBe(84);
  });

  it("takes device names, another step and a lower blast rate; refuses a step that does not divide an hour", () => {
    const site = dustSiteDays({
      seed: 2,
      days: 1,
      devices: ["north", "south"],
      stepMs: 300_000,
      blastProbabilityPerDay: 0,
    });
    expect(
      site.devices.map((d) => [d.device, d.timestamps.length, d.episodes.some((e) => e.kind === "blasting")]),
    ).toEqual([
      ["north", 288, false],
      ["south", 288, false],
    ]);
    expect(Number.isNaN(site.devices[0]?.hourlyPm10[10])).toBe(true); // 11 samples: less than an hour
    expect(Number.isNaN(site.devices[0]?.hourlyPm10[11])).toBe(false);
    expect(() => dustSiteDays({ seed: 1, days: 1, devices: 1, stepMs: 7_000 })).toThrow(RangeError);
    expect(() => dustSiteDays({ seed: 1, days: 0, devices: 1 })).toThrow(RangeError);
  });

  it("carries the works' dust downwind: 1 straight downwind, 0.3 upwind", () => {
    // A monitor to the north-east (45°) gets the dust of a south-westerly wind (from 225°).
    expect(downwindFactor(225, 45)).toBeCloseTo(1, 12);
    expect(downwindFactor(45, 45)).toBeCloseTo(0.3, 12);
    expect(downwindFactor(135, 45)).toBeCloseTo(0.65, 12);
  });
});
