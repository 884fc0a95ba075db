import { afterEach, describe, expect, it } from "vitest";
import { gasDetector, heatMeter, radarLevelGauge, type SimulatedDeviceModel } from "../src/device-models.ts";
import { RegisterBank } from "../src/modbus/register-bank.ts";
import { writePoint } from "../src/simulated-modbus-device.ts";
import { SimulatedSl651Rtu } from "../src/sl651/simulated-sl651-rtu.ts";
import { elementsOf, TestCentre, until } from "./sl651-centre.ts";

// Midnight UTC: the diurnal term is 0, and with the noise stubbed to 0 every value is the model's base.
const T0 = Date.UTC(2026, 0, 5);

function registersAt(model: SimulatedDeviceModel, t: number, count: number): number[] {
  const bank = new RegisterBank();
  for (const p of model.points)
    writePoint(
      bank,
      p,
      p.signal(t, () => 0),
    );
  return [...bank.holding.subarray(0, count)];
}

describe("device models of the reference sites (register maps of firmware-profiles/templates)", () => {
  it("gas-detector-modbus: %LEL ×0.1 at 0, the status word at 1 with no alarm in clean air", () => {
    expect(registersAt(gasDetector, T0, 2)).toEqual([12, 0]); // 1.2 %LEL
  });

  it("radar-level-gauge-modbus: level and air gap float32 ABCD, signal ×0.1 dB, echo bit word, temperature ×0.1", () => {
    // 0.6 m = 0x3F19999A, 3.9 m = 0x4079999A; 38.0 dB; echo present; 16.0 degC.
    expect(registersAt(radarLevelGauge, T0, 7)).toEqual([0x3f19, 0x999a, 0x4079, 0x999a, 380, 0, 160]);
  });

  it("heat-meter-modbus: counters uint32 and measurements float32, low word first (CDAB)", () => {
    // 45 792 h since 2020-10-15: 19 232 640 kWh = 0x01257780, 549 504 m3 = 0x00086280, hours 0x0000B2E0;
    // 420 kW = 0x43D20000, 12 m3/h = 0x41400000, 85 degC = 0x42AA0000, 55 degC = 0x425C0000.
    expect(registersAt(heatMeter, T0, 15)).toEqual([
      0x7780, 0x0125, 0x0000, 0x43d2, 0x0000, 0x4140, 0x0000, 0x42aa, 0x0000, 0x425c, 0x6280, 0x0008, 0xb2e0, 0, 0,
    ]);
  });
});

describe("SL 651 RTU reportAtStart", () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function started(reportAtStart: boolean | undefined) {
    const c = new TestCentre();
    await c.listen(0);
    closers.push(() => c.close());
    const r = new SimulatedSl651Rtu({
      station: "0012345678",
      port: c.port,
      seed: 3,
      now: () => Date.parse("2026-07-01T08:20:00+08:00"),
      keepAliveMs: 0,
      tickMs: 3_600_000,
      ...(reportAtStart === undefined ? {} : { reportAtStart }),
    });
    closers.push(() => r.stop());
    await r.start();
    return { c, r };
  }

  it("sends the last full hour's report (34) on start, with that hour's values, and it is confirmed", async () => {
    const { c, r } = await started(true);
    await until(() => r.stats().acked === 1, "the confirmation");
    expect(c.messages.map((m) => m.fn)).toEqual([0x34]);
    // The 08:00 hourly report of this seed (sl651-rtu.test.ts), observed at 08:00 and sent at 08:20.
    expect(elementsOf(c.messages[0]?.body ?? Buffer.alloc(0))).toEqual([
      ["F4", "60", "000000000000000000000000"],
      ["F5", "C0", "04CE04CE04CE04CE04CE04CE04CE04CE04CE04CE04CE04CE"],
      ["20", "19", "000000"],
      ["1A", "19", "000000"],
      ["1F", "19", "000068"],
      ["26", "19", "000000"],
      ["39", "23", "00012300"],
      ["38", "12", "1301"],
    ]);
  });

  it("is off by default: nothing is sent before the next full hour", async () => {
    const { c, r } = await started(undefined);
    await until(() => r.connected, "the connection");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(c.messages).toEqual([]);
    expect(r.stats().queued).toBe(0);
  });
});
