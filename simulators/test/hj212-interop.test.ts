import type { Reading } from "@lifeline/contracts";
import { type AdapterError, Hj212Receiver, hj212ReceiverSchema } from "@lifeline/edge-agent";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedHj212Logger } from "../src/hj212/simulated-hj212-logger.ts";
import { dataArea, until } from "./hj212-platform.ts";

const MN = "0101390000DUST0000000001";

/** What the receiver's built-in table (HJ 212-2017 Appendix B) should make of each factor. */
const METRICS: Record<string, [string, string]> = {
  a34001: ["tsp", "ug/m3"],
  a34002: ["pm10", "ug/m3"],
  a34004: ["pm25", "ug/m3"],
  LA: ["noise", "dB(A)"],
  a01007: ["wind_speed", "m/s"],
  a01008: ["wind_direction", "deg"],
  a01001: ["temperature", "degC"],
  a01002: ["humidity", "%"],
};

/** DataTime on the logger's +08:00 clock → epoch ms. */
const sourceTime = (dataTime: string) =>
  Date.parse(
    `${dataTime.slice(0, 4)}-${dataTime.slice(4, 6)}-${dataTime.slice(6, 8)}T${dataTime.slice(8, 10)}:${dataTime.slice(10, 12)}:${dataTime.slice(12, 14)}+08:00`,
  );

/** The readings a frame should give, worked out from its text alone. */
function expectedReadings(frame: string, cn: string): Array<Omit<Reading, "quality">> {
  const data = dataArea(frame.slice(6, -6));
  const ts = sourceTime(data.get("DataTime") ?? "");
  const out: Array<Omit<Reading, "quality">> = [];
  for (const [key, value] of data) {
    const [code, kind] = key.split("-");
    const entry = code === undefined ? undefined : METRICS[code];
    if (entry === undefined || kind === "Flag") continue;
    const [metric, unit] = entry;
    const name = cn === "2011" ? metric : `${metric}_${kind?.toLowerCase()}_1m`;
    out.push({ metric: name, ts, value: Number(value), unit });
  }
  return out;
}

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function receiver() {
  const readings: Array<Reading & { device: string }> = [];
  const errors: AdapterError[] = [];
  const rx = new Hj212Receiver(
    hj212ReceiverSchema.parse({
      id: "hj212-rx",
      type: "hj212",
      listen: { host: "127.0.0.1", port: 0 },
      stations: [{ mn: MN, device: "dust-01", password: "123456" }],
    }),
  );
  await rx.start({
    readings: (device, rs) => readings.push(...rs.map((r) => ({ device, ...r }))),
    error: (e) => errors.push(e),
  });
  closers.push(() => rx.close());
  return { rx, readings, errors, port: rx.address()?.port as number };
}

describe("the HJ 212 logger against the edge agent's Hj212Receiver", () => {
  it("delivers real-time and minute data: metrics, values, units and source times, every frame acknowledged", async () => {
    const { rx, readings, errors, port } = await receiver();
    const clock = { t: Date.parse("2026-01-05T08:00:00.250+08:00") };
    const made: Array<{ frame: string; cn: string }> = [];
    const logger = new SimulatedHj212Logger({
      mn: MN,
      port,
      seed: 11,
      now: () => clock.t,
      realtimeIntervalMs: 3_600_000,
      onFrame: (frame, cn) => made.push({ frame: frame.toString("latin1"), cn }),
    });
    closers.push(() => logger.stop());
    await logger.start();
    for (let i = 0; i < 2; i++) {
      clock.t += 30_000;
      logger.tick();
    }
    await until(() => logger.stats().acked === 4, "four 9014 answers");

    expect(made.map((m) => m.cn)).toEqual(["2011", "2011", "2011", "2051"]);
    const expected = made.flatMap((m) => expectedReadings(m.frame, m.cn).map((r) => ({ device: "dust-01", ...r })));
    expect(expected).toHaveLength(3 * 8 + 3 * 8);
    expect(readings.map(({ quality: _q, ...r }) => r)).toEqual(expected);
    expect(readings.every((r) => r.quality === "good")).toBe(true);
    expect(readings.find((r) => r.metric === "pm10_avg_1m")?.ts).toBe(Date.parse("2026-01-05T08:00:00+08:00"));
    expect(readings.find((r) => r.metric === "pm10")?.ts).toBe(Date.parse("2026-01-05T08:00:00+08:00"));
    expect(errors).toEqual([]);
    expect(rx.stats()).toMatchObject({ frames: 4, replies: 4 });
    expect(logger.stats()).toMatchObject({ sent: 4, acked: 4, resent: 0, unacknowledged: 0, badAnswers: 0 });
  });

  it("gets a bad-CRC frame refused (EDGE_HJ212_BAD_CRC, no answer) and its resend accepted once", async () => {
    const { rx, readings, errors, port } = await receiver();
    const logger = new SimulatedHj212Logger({
      mn: MN,
      port,
      seed: 11,
      now: () => Date.parse("2026-01-05T08:00:00+08:00"),
      realtimeIntervalMs: 3_600_000,
      replyTimeoutMs: 100,
      faults: { badCrcEvery: 1, splitEvery: 1, flagProbability: 1, flags: ["D"] },
    });
    closers.push(() => logger.stop());
    await logger.start();
    await until(() => logger.stats().acked === 1, "the answer to the resend");
    expect(errors.map((e) => e.code)).toEqual(["EDGE_HJ212_BAD_CRC"]);
    const said =
      /\(MN 0101390000DUST0000000001\): bad CRC: the frame says ([0-9A-F]{4}), the HJ 212 CRC is ([0-9A-F]{4})$/.exec(
        errors[0]?.message ?? "",
      );
    expect(Number.parseInt(said?.[1] ?? "", 16)).toBe(Number.parseInt(said?.[2] ?? "", 16) + 1);
    expect(readings).toHaveLength(8);
    expect(readings.filter((r) => r.quality === "bad").map((r) => r.metric)).toHaveLength(1);
    expect(rx.stats()).toMatchObject({ frames: 1, replies: 1 });
    expect(logger.stats()).toMatchObject({ sent: 1, resent: 1, acked: 1, injected: { badCrc: 1, split: 1, flags: 1 } });
  });
});
