import { afterEach, describe, expect, it } from "vitest";
import { HydrologySite, type StormScenario } from "../src/sl651/hydrology-model.ts";
import { SimulatedSl651Rtu, type SimulatedSl651RtuOptions } from "../src/sl651/simulated-sl651-rtu.ts";
import { bcdValue } from "../src/sl651/sl651-bcd.ts";
import { encodeSl651Frame, encodeSl651Message } from "../src/sl651/sl651-frame.ts";
import { crc16Bitwise, elementsOf, TestCentre, until } from "./sl651-centre.ts";

const STATION = "0012345678";
const T = (time: string) => Date.parse(`2026-07-01T${time}+08:00`);
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function centre(port = 0): Promise<TestCentre> {
  const c = new TestCentre();
  await c.listen(port);
  closers.push(() => c.close());
  return c;
}

/** An RTU on a clock the test moves (it starts at 07:59:59); timers are far off unless a test sets them. */
function rtu(port: number, options: Partial<SimulatedSl651RtuOptions> = {}) {
  const clock = { t: T("07:59:59") };
  const made: Array<{ fn: number; writes: readonly Buffer[] }> = [];
  const r = new SimulatedSl651Rtu({
    station: STATION,
    port,
    seed: 3,
    now: () => clock.t,
    keepAliveMs: 0,
    tickMs: 3_600_000,
    replyTimeoutMs: 150,
    reconnect: { initialMs: 20, maxMs: 100 },
    onMessage: (writes, fn) => made.push({ fn, writes }),
    ...options,
  });
  closers.push(() => r.stop());
  return { r, clock, made };
}

/** Moves the clock to `time` in 5-minute steps, ticking at each, as the RTU's own timer would. */
function advance(r: SimulatedSl651Rtu, clock: { t: number }, time: string): void {
  while (clock.t + 300_000 <= T(time)) {
    clock.t += 300_000;
    r.tick();
  }
  clock.t = T(time);
  r.tick();
}

const HOURLY_0800 =
  "7E7E010012345678123434005D020001260701080004F1F1001234567848F0F02607010800" +
  "F460000000000000000000000000" +
  "F5C004CE04CE04CE04CE04CE04CE04CE04CE04CE04CE04CE04CE" +
  "20190000001A190000001F19000068261900000039230001230038121301" +
  "03";

describe("SL 651 frames", () => {
  it("encodes published frames byte for byte (CRC-16/MODBUS, high byte first)", () => {
    const keepAlive = { centre: 1, station: STATION, password: "1234", fn: 0x2f, body: hex("0003 591011155111") };
    expect(encodeSl651Frame(keepAlive).toString("hex").toUpperCase()).toBe(
      "7E7E01001234567812342F0008020003591011155111036BCA",
    );
    const body = hex(
      "0003 591011154947 F1F1 0012345678 48 F0F0 5910111549 2019000005 2619000005 392300000127 38121115",
    );
    expect(
      encodeSl651Frame({ ...keepAlive, fn: 0x30, body })
        .toString("hex")
        .toUpperCase(),
    ).toBe(
      "7E7E010012345678123430002B020003591011154947F1F1001234567848F0F059101115492019000005261900000539230000012738121115" +
        "0320FA",
    );
  });

  it("writes negative values with a leading FF counted in the length (§6.6.3.3)", () => {
    expect(bcdValue(-1.234, { bytes: 4, decimals: 3 }).toString("hex")).toBe("ff00001234");
    expect(bcdValue(1.234, { bytes: 4, decimals: 3 }, true).toString("hex")).toBe("0000001234");
    expect(bcdValue(-0.0004, { bytes: 4, decimals: 3 }).toString("hex")).toBe("00000000");
    expect(() => bcdValue(100_000, { bytes: 3, decimals: 1 })).toThrow(/does not fit 3 BCD bytes/);
  });

  it("cuts a long body into SYN packets: count and sequence in 12 bits each, ETB then ETX", () => {
    const spec = { centre: 1, station: STATION, password: "1234", fn: 0x34, body: Buffer.alloc(70, 0x11) };
    const packets = encodeSl651Message(spec, { maxBodyBytes: 30 });
    expect(packets.map((p) => p.subarray(11, 17).toString("hex").toUpperCase())).toEqual([
      "002116003001",
      "002116003002",
      "000D16003003",
    ]);
    expect(packets.map((p) => p[p.length - 3])).toEqual([0x17, 0x17, 0x03]);
    for (const p of packets) expect(crc16Bitwise(p.subarray(0, -2))).toBe(p.readUInt16BE(p.length - 2));
  });
});

describe("SL 651 RTU reports", () => {
  it("sends, with a fixed clock and seed, exactly this keep-alive, and expects no answer", async () => {
    const c = await centre();
    const { r } = rtu(c.port, { keepAliveMs: 30, now: () => T("08:00:12") });
    await r.start();
    await until(() => c.frames.length >= 2, "two keep-alives");
    const body = "7E7E01001234567812342F0008020001260701080012" + "03";
    const crc = crc16Bitwise(hex(body)).toString(16).toUpperCase().padStart(4, "0");
    expect(c.frames[0]?.hex).toBe(`${body}${crc}`);
    expect(c.frames[0]?.hex).toBe("7E7E01001234567812342F000802000126070108001203DC50");
    expect(c.frames[1]?.serial).toBe(2);
    expect(r.stats()).toMatchObject({ acked: 0, unacknowledged: 0, answers: 0 });
    expect(r.stats().oneWay).toBeGreaterThanOrEqual(2);
  });

  it("sends the hourly report (34) and the evenly-timed report (31) at the hour, each confirmed", async () => {
    const c = await centre();
    const { r, clock } = rtu(c.port);
    await r.start();
    clock.t = T("08:00:04");
    r.tick();
    await until(() => r.stats().acked === 2, "two confirmations");
    const [hourly, evenly] = c.frames;
    expect(hourly?.hex.slice(0, -4)).toBe(HOURLY_0800);
    expect(hourly?.crcOk).toBe(true);
    expect(elementsOf(hourly?.body ?? Buffer.alloc(0))).toEqual([
      ["F4", "60", "000000000000000000000000"],
      ["F5", "C0", "04CE04CE04CE04CE04CE04CE04CE04CE04CE04CE04CE04CE"],
      ["20", "19", "000000"],
      ["1A", "19", "000000"],
      ["1F", "19", "000068"],
      ["26", "19", "000000"],
      ["39", "23", "00012300"],
      ["38", "12", "1301"],
    ]);
    // The model says so too: 12.300 m at 08:00, F5 in centimetres (0x04CE = 1230), 6.8 mm in the day to 08:00.
    const site = new HydrologySite({ seed: 3 });
    expect(site.waterLevel(T("08:00:00"))).toBe(12.3);
    expect(site.rainTenthsBetween(T("08:00:00") - 86_400_000, T("08:00:00"))).toBe(68);
    expect(evenly?.fn).toBe(0x31);
    const body = evenly?.body ?? Buffer.alloc(0);
    expect(body.subarray(18, 29).toString("hex").toUpperCase()).toBe("2607010705041800000539"); // obs 07:05, step 5 min, Z
    const levels = Array.from(
      { length: 12 },
      (_, i) => Number(body.subarray(30 + 4 * i, 34 + 4 * i).toString("hex")) / 1000,
    );
    expect(levels).toEqual(Array.from({ length: 12 }, (_, i) => site.waterLevel(T("07:05:00") + i * 300_000)));
    expect(c.frames.map((f) => f.serial)).toEqual([1, 2]);
    expect(r.stats()).toMatchObject({ queued: 2, sent: 2, acked: 2, resent: 0, sentByKind: { "34": 1, "31": 1 } });
  });

  it("resends the same frame until the centre confirms, and gives up after maxResends", async () => {
    const c = await centre();
    c.confirm = (m, arrival) => m.fn === 0x34 && arrival === 3;
    const { r, clock } = rtu(c.port, { maxResends: 2 });
    await r.start();
    clock.t = T("08:00:04");
    r.tick();
    await until(() => r.stats().backlog === 0, "both reports settled");
    expect(c.frames.map((f) => f.fn.toString(16))).toEqual(["34", "34", "34", "31", "31", "31"]);
    expect(new Set(c.frames.slice(0, 3).map((f) => f.hex)).size).toBe(1);
    expect(r.stats()).toMatchObject({ sent: 2, resent: 4, acked: 1, unacknowledged: 1 });
  });

  it("reconnects after the centre restarts and sends the reports it kept, in order", async () => {
    const c = await centre();
    const { r, clock, made } = rtu(c.port);
    await r.start();
    advance(r, clock, "08:00:04");
    await until(() => r.stats().acked === 2, "08:00 reports");
    await c.close();
    advance(r, clock, "10:00:04");
    await until(() => r.stats().connectFailures >= 2, "failed reconnection attempts");
    expect(r.stats()).toMatchObject({ queued: 6, acked: 2, backlog: 4 });
    await c.listen(c.port);
    await until(() => r.stats().backlog === 0, "the backlog to drain");
    expect(r.stats()).toMatchObject({
      queued: 6,
      acked: 6,
      dropped: 0,
      unacknowledged: 0,
      connects: 2,
      disconnects: 1,
    });
    const serials = [...new Set(c.messages.map((m) => m.serial))];
    expect(serials).toEqual([1, 2, 3, 4, 5, 6]);
    expect(made.map((m) => m.fn.toString(16))).toEqual(["34", "31", "34", "31", "34", "31"]);
  });
});

describe("SL 651 RTU faults and scenarios", () => {
  it("injects a bad CRC (the resend is right) and a frame split over two writes", async () => {
    const c = await centre();
    const { r, clock } = rtu(c.port, { faults: { badCrcEvery: 1, splitEvery: 2 } });
    await r.start();
    clock.t = T("08:00:04");
    r.tick();
    await until(() => r.stats().acked === 2, "two confirmations");
    expect(c.frames.map((f) => [f.fn.toString(16), f.crcOk, f.pieces])).toEqual([
      ["34", false, 1],
      ["34", true, 1],
      ["31", false, 2],
      ["31", true, 1],
    ]);
    expect(c.frames[1]?.hex.slice(0, -4)).toBe(HOURLY_0800);
    expect(r.stats()).toMatchObject({ sent: 2, resent: 2, acked: 2, injected: { badCrc: 2, split: 1 } });
  });

  it("plays a storm: rain ramps up, add-reports (33) follow, the river rises faster than its rain explains", async () => {
    const storm: StormScenario = {
      startMs: T("08:00:00"),
      durationMs: 3 * 3_600_000,
      rampMs: 5_400_000,
      peakMmPer5Min: 4,
      surgeM: 2.5,
    };
    const c = await centre();
    const { r, clock } = rtu(c.port, { site: { storm, rainProbability: 0 } });
    await r.start();
    advance(r, clock, "11:00:04");
    await until(() => r.stats().backlog === 0, "all reports confirmed");
    const hourly = c.messages.filter((m) => m.fn === 0x34).map((m) => elementsOf(m.body));
    const rain1h = hourly.map((e) => Number(e.find(([id]) => id === "1A")?.[2]) / 10);
    expect(rain1h).toEqual([0, 17.3, 44.6, 45.8]);
    const adds = c.messages.filter((m) => m.fn === 0x33).map((m) => elementsOf(m.body));
    expect(adds.length).toBe(29);
    expect(adds.every((e) => Number(e.find(([id]) => id === "22")?.[2]) >= 10)).toBe(true); // ≥ 1 mm in 5 min
    // The same storm without the inflow from upstream: the difference is what the rain does not explain.
    const calm = new HydrologySite({ seed: 3, storm: { ...storm, surgeM: 0 }, rainProbability: 0 });
    const level = (e: Array<[string, string, string]>) => Number(e.find(([id]) => id === "39")?.[2]) / 1000;
    expect(level(hourly[3] ?? [])).toBe(16.56);
    expect(level(hourly[3] ?? []) - calm.waterLevel(T("11:00:00"))).toBeCloseTo(2.5, 2);
    expect(r.stats()).toMatchObject({
      acked: 4 + 4 + 29,
      unacknowledged: 0,
      sentByKind: { "33": 29, "34": 4, "31": 4 },
    });
  });

  it("reports a level below the datum as a negative Z (FF…), and F5 as no data", async () => {
    const c = await centre();
    const belowDatum = { startMs: T("07:00:00"), durationMs: 7_200_000, levelM: -0.85 };
    const { r, clock } = rtu(c.port, { site: { belowDatum } });
    await r.start();
    clock.t = T("08:00:04");
    r.tick();
    await until(() => r.stats().acked === 2, "two confirmations");
    const elements = elementsOf(c.messages[0]?.body ?? Buffer.alloc(0));
    expect(elements.find(([id]) => id === "F5")?.[2]).toBe("FFFF".repeat(12));
    const z = elements.find(([id]) => id === "39");
    expect(z?.[1]).toBe("2B"); // 5 bytes, 3 decimals: FF and four BCD bytes
    expect(z?.[2]).toMatch(/^FF000008(4[89]|5[0-2])$/);
    const evenly = c.messages[1]?.body ?? Buffer.alloc(0);
    expect(evenly.subarray(28, 30).toString("hex").toUpperCase()).toBe("392B");
    expect(evenly.subarray(30, 35).toString("hex").toUpperCase()).toMatch(/^FF000008(4[89]|5[0-2])$/);
    expect(r.stats().seriesOutOfRange).toBe(12);
  });

  it("sends a long message as SYN packets and waits for the one confirmation of the whole", async () => {
    const c = await centre();
    const { r, clock } = rtu(c.port, { maxBodyBytes: 40, evenlyTimedReport: false });
    await r.start();
    clock.t = T("08:00:04");
    r.tick();
    await until(() => r.stats().acked === 1, "the confirmation");
    expect(c.frames.map((f) => [f.start, f.packet?.seq, f.packet?.count, f.end, f.crcOk])).toEqual([
      [0x16, 1, 3, 0x17, true],
      [0x16, 2, 3, 0x17, true],
      [0x16, 3, 3, 0x03, true],
    ]);
    // Put back together, the packets carry the body of the single frame, byte for byte.
    expect(c.messages[0]?.body.toString("hex").toUpperCase()).toBe(HOURLY_0800.slice(28, -2));
    expect(r.stats()).toMatchObject({ sent: 1, acked: 1, resent: 0 });
  });

  it("is repeatable: the same seed gives the same site, another seed another", () => {
    const a = new HydrologySite({ seed: 5, rainProbability: 0.5 });
    const b = new HydrologySite({ seed: 5, rainProbability: 0.5 });
    const c = new HydrologySite({ seed: 6, rainProbability: 0.5 });
    const day = (s: HydrologySite) => Array.from({ length: 288 }, (_, i) => s.rainTenths(5_920_000 + i));
    expect(day(a)).toEqual(day(b));
    expect(day(a)).not.toEqual(day(c));
    expect(day(a).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    expect(a.waterLevel(T("12:34:56"))).toBe(b.waterLevel(T("12:34:56")));
  });
});
