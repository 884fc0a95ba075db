import type { Reading } from "@lifeline/contracts";
import { type AdapterError, Sl651Adapter, sl651ReceiverSchema } from "@lifeline/edge-agent";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedSl651Rtu, type SimulatedSl651RtuOptions } from "../src/sl651/simulated-sl651-rtu.ts";
import { until } from "./sl651-centre.ts";

const STATION = "0012345678";
const T = (time: string) => Date.parse(`2026-07-01T${time}+08:00`);
const FIVE = 300_000;

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function centre() {
  const readings: Array<Reading & { device: string }> = [];
  const errors: AdapterError[] = [];
  const adapter = new Sl651Adapter(
    sl651ReceiverSchema.parse({
      id: "sl651-rx",
      type: "sl651",
      listen: { host: "127.0.0.1", port: 0 },
      stations: [{ address: STATION, device: "river-01", password: "1234" }],
    }),
  );
  await adapter.start({
    readings: (device, rs) => readings.push(...rs.map((r) => ({ device, ...r }))),
    error: (e) => errors.push(e),
  });
  closers.push(() => adapter.close());
  return { adapter, readings, errors, port: adapter.address?.port as number };
}

async function rtuAt0800(port: number, options: Partial<SimulatedSl651RtuOptions>) {
  const clock = { t: T("07:59:59") };
  const rtu = new SimulatedSl651Rtu({
    station: STATION,
    port,
    seed: 3,
    now: () => clock.t,
    tickMs: 3_600_000,
    // Long enough that a confirmation is never late under CI's load (at 150 ms one was, and the RTU
    // sent its report a third time); the bad-CRC test waits this long once, for its resend.
    replyTimeoutMs: 1_000,
    ...options,
  });
  closers.push(() => rtu.stop());
  await rtu.start();
  clock.t = T("08:00:04");
  rtu.tick();
  return rtu;
}

const reading = (metric: string, ts: number, value: number, unit: string) => ({
  device: "river-01",
  metric,
  ts,
  value,
  unit,
  quality: "good",
});

describe("the SL 651 RTU against the edge agent's Sl651Adapter", () => {
  it("delivers the hourly and evenly-timed reports: metrics, values, units and observation times, each confirmed", async () => {
    const { adapter, readings, errors, port } = await centre();
    const storm = { startMs: T("07:00:00"), durationMs: 7_200_000, rampMs: 3_600_000, peakMmPer5Min: 3, surgeM: 1 };
    const rtu = await rtuAt0800(port, { site: { storm }, initialRainTotalMm: 1234.5, keepAliveMs: 40 });
    await until(() => rtu.stats().acked === 2, "two confirmations");
    await until(() => adapter.stats().keepAlives >= 1, "a keep-alive");

    const site = rtu.site;
    const steps = Array.from({ length: 12 }, (_, i) => T("07:05:00") + i * FIVE);
    const rain = (end: number) => site.rainTenths(end / FIVE - 1) / 10;
    const expected = [
      ...steps.map((t) => reading("rainfall_5min", t, rain(t), "mm")),
      ...steps.map((t) => reading("water_level_relative", t, Math.round(site.waterLevel(t) * 100) / 100, "m")),
      reading("rainfall_current", T("08:00:00"), rain(T("08:00:00")), "mm"),
      reading("rainfall_1h", T("08:00:00"), site.rainTenthsBetween(T("07:00:00"), T("08:00:00")) / 10, "mm"),
      reading(
        "rainfall_day",
        T("08:00:00"),
        site.rainTenthsBetween(T("08:00:00") - 86_400_000, T("08:00:00")) / 10,
        "mm",
      ),
      reading("rainfall_total", T("08:00:00"), 1234.5 + rain(T("08:00:00")), "mm"),
      reading("water_level", T("08:00:00"), site.waterLevel(T("08:00:00")), "m"),
      reading("voltage", T("08:00:00"), site.voltage(T("08:00:00")), "V"),
      ...steps.map((t) => reading("water_level", t, site.waterLevel(t), "m")),
    ];
    expect(readings).toEqual(expected);
    // The storm shows: it rained every 5 minutes of the hour, more towards its end.
    expect(steps.map(rain).every((mm) => mm > 0)).toBe(true);
    expect(rain(T("08:00:00"))).toBeGreaterThan(rain(T("07:05:00")));
    expect(errors).toEqual([]);
    expect(adapter.stats()).toMatchObject({ messages: 2 + adapter.stats().keepAlives, replies: 2 });
    expect(rtu.stats()).toMatchObject({
      sentByKind: { "34": 1, "31": 1 },
      acked: 2,
      resent: 0,
      unacknowledged: 0,
      badAnswers: 0,
      strayAnswers: 0,
    });
  });

  it("gets a negative level across, in packets, after a bad CRC and a split frame", async () => {
    const { adapter, readings, errors, port } = await centre();
    const rtu = await rtuAt0800(port, {
      keepAliveMs: 0,
      evenlyTimedReport: false,
      maxBodyBytes: 40,
      site: { belowDatum: { startMs: T("07:00:00"), durationMs: 7_200_000, levelM: -0.85 } },
      faults: { badCrcEvery: 1, splitEvery: 1 },
    });
    await until(() => rtu.stats().acked === 1, "the confirmation of the resend");
    expect(errors.map((e) => e.code)).toEqual(["EDGE_SL651_BAD_CRC"]);
    const level = readings.find((r) => r.metric === "water_level");
    expect(level).toMatchObject({ ts: T("08:00:00"), value: rtu.site.waterLevel(T("08:00:00")), unit: "m" });
    expect(level?.value).toBeLessThan(-0.84);
    // F5 cannot carry a level below its base: FFFF, no data, so no relative readings.
    expect(readings.filter((r) => r.metric === "water_level_relative")).toEqual([]);
    expect(readings.filter((r) => r.metric === "rainfall_5min")).toHaveLength(12);
    expect(adapter.stats()).toMatchObject({ frames: 3, messages: 1, replies: 1 });
    expect(rtu.stats()).toMatchObject({ sent: 1, resent: 1, acked: 1, injected: { badCrc: 1, split: 1 } });
  });
});
