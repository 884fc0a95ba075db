import { afterEach, describe, expect, it } from "vitest";
import { dustMonitorFactors, episodePm10 } from "../src/hj212/dust-site-model.ts";
import { encodeHj212Frame } from "../src/hj212/hj212-frame.ts";
import { SimulatedHj212Logger, type SimulatedHj212LoggerOptions } from "../src/hj212/simulated-hj212-logger.ts";
import { seededRandom } from "../src/random.ts";
import { crcBitwise, dataArea, field, freePort, TestPlatform, until } from "./hj212-platform.ts";

const MN = "0101390000DUST0000000001";
const T0 = Date.parse("2026-01-05T08:00:00.123+08:00");

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function platform(dialect: "hj212" | "modbus" = "hj212", port = 0): Promise<TestPlatform> {
  const p = new TestPlatform(dialect);
  await p.listen(port);
  closers.push(() => p.close());
  return p;
}

/** A logger on a clock the test moves; the real-time timer is far off, so only `tick()` samples. */
function logger(port: number, options: Partial<SimulatedHj212LoggerOptions> = {}) {
  const clock = { t: T0 };
  const made: Array<{ cn: string; text: string }> = [];
  const l = new SimulatedHj212Logger({
    mn: MN,
    port,
    seed: 7,
    now: () => clock.t,
    realtimeIntervalMs: 3_600_000,
    replyTimeoutMs: 150,
    reconnect: { initialMs: 20, maxMs: 100 },
    onFrame: (frame, cn) => made.push({ cn, text: frame.toString("latin1").replace(/\r\n$/, "") }),
    ...options,
  });
  closers.push(() => l.stop());
  return { l, clock, made };
}

const FIRST_2011 =
  "##0342QN=20260105080000123;ST=39;CN=2011;PW=123456;MN=0101390000DUST0000000001;Flag=5;CP=&&DataTime=20260105080000;" +
  "a34001-Rtd=164.2,a34001-Flag=N;a34002-Rtd=109.9,a34002-Flag=N;a34004-Rtd=45.7,a34004-Flag=N;LA-Rtd=68.0,LA-Flag=N;" +
  "a01007-Rtd=1.9,a01007-Flag=N;a01008-Rtd=126,a01008-Flag=N;a01001-Rtd=12.2,a01001-Flag=N;a01002-Rtd=63.6,a01002-Flag=N&&5A00";

describe("HJ 212 frames", () => {
  it("encodes the standard's Appendix A example byte for byte", () => {
    const segment =
      "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";
    expect(crcBitwise(segment)).toBe("1C80");
    expect(encodeHj212Frame(segment).toString("latin1")).toBe(`##0101${segment}1C80\r\n`);
    expect(encodeHj212Frame(segment, { crc: "modbus" }).toString("latin1")).toBe(
      `##0101${segment}${crcBitwise(segment, "modbus")}\r\n`,
    );
    expect(encodeHj212Frame(segment, { corruptCrc: true }).toString("latin1")).toBe(`##0101${segment}1C81\r\n`);
  });

  it("sends, with a fixed clock and seed, exactly this first real-time frame, and counts its 9014", async () => {
    const p = await platform();
    const { l } = logger(p.port);
    await l.start();
    await until(() => l.stats().acked === 1, "the 9014");
    expect(p.frames.map((f) => f.text)).toEqual([FIRST_2011]);
    expect(p.frames[0]?.crcOk).toBe(true);
    expect(l.stats()).toMatchObject({ queued: 1, sent: 1, acked: 1, resent: 0, backlog: 0, answers: 1, samples: 1 });
  });

  it("sends minute (2051) and hourly (2061) statistics of what it sent, stamped with the window's start", async () => {
    const p = await platform();
    const { l, clock } = logger(p.port, { hourlyData: true });
    clock.t = Date.parse("2026-01-05T08:59:00.000+08:00");
    await l.start();
    for (const s of [20, 40, 60]) {
      clock.t = Date.parse("2026-01-05T08:59:00.000+08:00") + s * 1000;
      l.tick();
    }
    await until(() => l.stats().acked === 6, "six answers");
    expect(p.frames.map((f) => f.cn)).toEqual(["2011", "2011", "2011", "2011", "2051", "2061"]);
    expect(p.frames.map((f) => f.qn)).toEqual([
      "20260105085900000",
      "20260105085920000",
      "20260105085940000",
      "20260105090000000",
      "20260105090000001",
      "20260105090000002",
    ]);
    const rtd = p.frames.slice(0, 3).map((f) => dataArea(f.segment));
    const minute = dataArea(p.frames[4]?.segment ?? "");
    const hour = dataArea(p.frames[5]?.segment ?? "");
    expect(minute.get("DataTime")).toBe("20260105085900");
    expect(hour.get("DataTime")).toBe("20260105080000");
    for (const code of ["a34001", "a34002", "a34004", "LA", "a01007", "a01001", "a01002"]) {
      const values = rtd.map((m) => Number(m.get(`${code}-Rtd`)));
      const avg = values.reduce((a, b) => a + b, 0) / values.length;
      for (const stats of [minute, hour]) {
        expect(Number(stats.get(`${code}-Min`))).toBe(Math.min(...values));
        expect(Number(stats.get(`${code}-Max`))).toBe(Math.max(...values));
        expect(Number(stats.get(`${code}-Avg`))).toBeCloseTo(avg, 1);
        expect(stats.get(`${code}-Flag`)).toBe("N");
      }
    }
    // Wind direction averages as a vector.
    const angles = rtd.map((m) => (Number(m.get("a01008-Rtd")) * Math.PI) / 180);
    const sum = (f: (a: number) => number) => angles.reduce((acc, a) => acc + f(a), 0);
    const vectorMean = (Math.atan2(sum(Math.sin), sum(Math.cos)) * 180) / Math.PI;
    expect(rtd.map((m) => m.get("a01008-Rtd"))).toEqual(["126", "137", "169"]);
    expect(minute.get("a01008-Avg")).toBe(((vectorMean + 360) % 360).toFixed(0));
  });

  it("averages wind direction as a vector: 350°, 10° and 20° average to 7°, not 127°", () => {
    const directions = [350, 10, 20, 0];
    let i = 0;
    const clock = { t: T0 };
    const made: string[] = [];
    const l = new SimulatedHj212Logger({
      mn: MN,
      port: 1,
      now: () => clock.t,
      factors: [
        {
          code: "a01008",
          name: "wind direction",
          unit: "deg",
          decimals: 0,
          average: "circular",
          signal: () => directions[i++] ?? 0,
        },
      ],
      onFrame: (f, cn) => cn === "2051" && made.push(f.toString()),
    });
    for (const s of [0, 20, 40, 60]) {
      clock.t = Date.parse("2026-01-05T08:00:00+08:00") + s * 1000;
      l.tick();
    }
    expect(made).toHaveLength(1);
    expect(made[0]).toContain(
      ";CP=&&DataTime=20260105080000;a01008-Avg=7,a01008-Min=10,a01008-Max=350,a01008-Flag=N&&",
    );
  });
});

describe("HJ 212 logger link", () => {
  it("resends with the same QN until the 9014 comes", async () => {
    const p = await platform();
    p.answer = (_f, arrival) => arrival === 3;
    const { l } = logger(p.port);
    await l.start();
    await until(() => l.stats().acked === 1, "the 9014 for the third copy");
    expect(p.frames.map((f) => f.text)).toEqual([FIRST_2011, FIRST_2011, FIRST_2011]);
    expect(l.stats()).toMatchObject({ sent: 1, resent: 2, acked: 1, unacknowledged: 0, backlog: 0 });
  });

  it("gives a frame up after maxResends and goes on with the next, counting it unacknowledged", async () => {
    const p = await platform();
    p.answer = (f) => f.qn !== "20260105080000123";
    const { l, clock } = logger(p.port, { maxResends: 1, replyTimeoutMs: 80 });
    await l.start();
    clock.t += 20_000;
    l.tick();
    await until(() => l.stats().acked === 1, "the second frame's answer");
    expect(p.frames.map((f) => f.qn)).toEqual(["20260105080000123", "20260105080000123", "20260105080020123"]);
    expect(l.stats()).toMatchObject({ queued: 2, sent: 2, resent: 1, acked: 1, unacknowledged: 1, backlog: 0 });
  });

  it("reconnects after the platform restarts and sends what it kept (补发), in order, losing nothing", async () => {
    const p = await platform();
    const { l, clock, made } = logger(p.port);
    await l.start();
    await until(() => l.stats().acked === 1, "first answer");
    await p.close();
    for (let i = 1; i <= 4; i++) {
      clock.t = T0 + i * 20_000;
      l.tick();
    }
    await until(() => l.stats().connectFailures >= 2, "failed reconnection attempts");
    expect(l.connected).toBe(false);
    expect(l.stats()).toMatchObject({ queued: 6, acked: 1, backlog: 5 });
    await p.listen(p.port);
    await until(() => l.stats().backlog === 0, "the backlog to drain");
    const stats = l.stats();
    expect(stats.disconnects).toBe(1);
    expect(stats.connects).toBe(2);
    expect(stats).toMatchObject({ queued: 6, acked: 6, dropped: 0, unacknowledged: 0 });
    const firstArrivals = [...new Set(p.frames.map((f) => f.qn))];
    expect(firstArrivals).toEqual(made.map((m) => field(m.text.slice(6), "QN")));
    expect(made.map((m) => m.cn)).toEqual(["2011", "2011", "2011", "2011", "2051", "2011"]);
    expect(new Set(p.frames.map((f) => f.connection))).toEqual(new Set([1, 2]));
  });

  it("keeps a bounded backlog while the platform is down: the oldest are dropped and counted", async () => {
    const port = await freePort();
    const { l, clock, made } = logger(port, { maxBacklog: 3, minuteData: false });
    await l.start();
    for (let i = 1; i < 10; i++) {
      clock.t = T0 + i * 1_000;
      l.tick();
    }
    expect(l.stats()).toMatchObject({ queued: 10, dropped: 7, backlog: 3, sent: 0, connects: 0 });
    const p = await platform("hj212", port);
    await until(() => l.stats().acked === 3, "the kept frames");
    expect(p.frames.map((f) => f.qn)).toEqual(made.slice(7).map((m) => field(m.text.slice(6), "QN")));
    expect(l.stats()).toMatchObject({ queued: 10, dropped: 7, acked: 3, backlog: 0 });
  });
});

describe("HJ 212 logger faults and scenarios", () => {
  it("injects a bad CRC (resent right with the same QN), a split frame and F/D data flags", async () => {
    const p = await platform();
    const { l, clock } = logger(p.port, {
      minuteData: false,
      faults: { badCrcEvery: 2, splitEvery: 3, flagProbability: 1 },
    });
    await l.start();
    for (let i = 1; i < 4; i++) {
      clock.t = T0 + i * 10_000;
      l.tick();
    }
    await until(() => l.stats().acked === 4, "four answers");
    expect(p.frames.map((f) => [f.qn.slice(8), f.crcOk, f.pieces])).toEqual([
      ["080000123", true, 1],
      ["080010123", false, 1],
      ["080010123", true, 1],
      ["080020123", true, 2],
      ["080030123", false, 1],
      ["080030123", true, 1],
    ]);
    expect(p.frames[1]?.segment).toBe(p.frames[2]?.segment);
    const flagged = p.frames
      .filter((f) => f.crcOk)
      .map((f) => [...dataArea(f.segment)].filter(([k, v]) => k.endsWith("-Flag") && v !== "N").join());
    // One factor per sample (flagProbability 1), drawn from its own stream: the values stay those of a clean run.
    expect(flagged).toEqual(["a01007-Flag,F", "a01002-Flag,D", "a34002-Flag,F", "a01002-Flag,F"]);
    expect(p.frames[0]?.segment.replace("a01007-Flag=F", "a01007-Flag=N")).toBe(FIRST_2011.slice(6, -4));
    expect(l.stats()).toMatchObject({
      queued: 4,
      sent: 4,
      resent: 2,
      acked: 4,
      injected: { badCrc: 2, split: 1, flags: 4 },
    });
  });

  it("speaks HJ 212-2025 (Flag 9) with the CRC-16/MODBUS dialect, and sends heartbeats on an idle link", async () => {
    const p = await platform("modbus");
    const { l } = logger(p.port, { version: "2025", crc: "modbus", heartbeatMs: 40 });
    await l.start();
    await until(() => l.stats().sentByKind["9015"] === 2, "two heartbeats");
    expect(p.frames[0]).toMatchObject({ cn: "2011", flag: 9, crcOk: true });
    expect(p.frames[1]).toMatchObject({ cn: "9015", flag: 8, crcOk: true });
    expect(p.frames[1]?.segment).toMatch(/;CN=9015;PW=123456;MN=0101390000DUST0000000001;Flag=8;CP=&&&&$/);
    expect(l.stats()).toMatchObject({ acked: 1, unacknowledged: 0, badAnswers: 0 });
    expect(l.stats().oneWay).toBeGreaterThanOrEqual(2);
  });

  it("raises PM10 over its limit during an episode and keeps TSP > PM10 > PM2.5 all day", () => {
    const episode = { startMs: T0, durationMs: 3_600_000, peak: 250 };
    const random = seededRandom(3);
    const [tsp, pm10, pm25] = dustMonitorFactors;
    for (let t = T0 - 12 * 3_600_000; t < T0 + 12 * 3_600_000; t += 600_000) {
      const site = {
        hour: (((t + 8 * 3_600_000) % 86_400_000) / 3_600_000) % 24,
        pm10Episode: episodePm10(episode, t),
      };
      const [a, b, c] = [tsp, pm10, pm25].map((f) => f?.signal(t, random, site) ?? Number.NaN) as [
        number,
        number,
        number,
      ];
      expect(a).toBeGreaterThan(b);
      expect(b).toBeGreaterThan(c);
    }
    const made: string[] = [];
    const run = (at: number, withEpisode: boolean) => {
      const l = new SimulatedHj212Logger({
        mn: MN,
        port: 1,
        seed: 7,
        now: () => at,
        ...(withEpisode ? { pm10Episode: episode } : {}),
        onFrame: (f) => made.push(f.toString()),
      });
      l.tick();
      return Number(dataArea(made.at(-1)?.slice(6, -6) ?? "").get("a34002-Rtd"));
    };
    expect(run(T0 + 1_800_000, true)).toBeGreaterThan(300); // 150 µg/m³ is the 24-hour limit (GB 3095 class II)
    expect(run(T0 + 1_800_000, false)).toBeLessThan(150);
    expect(run(T0 - 60_000, true)).toBe(run(T0 - 60_000, false));
  });

  it("is repeatable: the same seed and clock give the same frames, another seed other values", () => {
    const frames = (seed: number) => {
      const out: string[] = [];
      const l = new SimulatedHj212Logger({
        mn: MN,
        port: 1,
        seed,
        now: () => T0,
        onFrame: (f) => out.push(f.toString()),
      });
      for (let i = 0; i < 5; i++) l.tick();
      return out;
    };
    expect(frames(7)).toEqual(frames(7));
    expect(frames(7)[0]).toBe(`${FIRST_2011}\r\n`);
    expect(frames(8)[0]).not.toBe(frames(7)[0]);
  });
});
