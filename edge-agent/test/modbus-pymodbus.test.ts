import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Reading } from "@lifeline/contracts";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { AdapterError } from "../src/adapter-error.ts";
import { type ModbusDeviceConfig, modbusDeviceSchema } from "../src/adapters/modbus/config.ts";
import { ModbusAdapter } from "../src/adapters/modbus/modbus-adapter.ts";
import { freePort } from "./fixtures/free-port.ts";
import { type Pymodbus, serialPair, startPymodbus } from "./fixtures/pymodbus.ts";

// The peer here is Debian's pymodbus, an implementation nobody on this project wrote.
const TS = 1_767_225_600_000;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const dir = mkdtempSync(join(tmpdir(), "lifeline-modbus-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function peer(options: Parameters<typeof startPymodbus>[0]): Promise<Pymodbus> {
  const p = await startPymodbus(options);
  cleanups.push(() => p.kill());
  return p;
}

function adapter(config: Record<string, unknown>): ModbusAdapter {
  const a = new ModbusAdapter(
    modbusDeviceSchema.parse({ id: "dev-1", type: "modbus", ...config }) as ModbusDeviceConfig,
    {
      clock: () => TS,
    },
  );
  cleanups.push(() => a.close());
  return a;
}

async function gather(a: ModbusAdapter) {
  const readings: Reading[] = [];
  const errors: AdapterError[] = [];
  await a.gather({ readings: (_d, r) => readings.push(...r), error: (e) => errors.push(e) });
  return {
    values: Object.fromEntries(readings.map((r) => [r.metric, r.value])),
    errors: errors.map((e) => `${e.code} ${e.message}`),
  };
}

const hr: Record<number, number> = {
  // float32 123.456 = 0x42F6E979 in the four orders
  0: 0x42f6,
  1: 0xe979,
  2: 0xe979,
  3: 0x42f6,
  4: 0xf642,
  5: 0x79e9,
  6: 0x79e9,
  7: 0xf642,
  // float64 123.456 = 0x405EDD2F1A9FBE77, ABCD and DCBA
  10: 0x405e,
  11: 0xdd2f,
  12: 0x1a9f,
  13: 0xbe77,
  14: 0x77be,
  15: 0x9f1a,
  16: 0x2fdd,
  17: 0x5e40,
  // int64 -1234567890123 = 0xFFFFFEE08E04FB35 (ABCD); uint64 0x0001000200030004 (CDAB: words reversed)
  20: 0xffff,
  21: 0xfee0,
  22: 0x8e04,
  23: 0xfb35,
  24: 0x0004,
  25: 0x0003,
  26: 0x0002,
  27: 0x0001,
  // int32 -100000 = 0xFFFE7960 in BADC; uint16; int16 -123 scaled
  30: 0xfeff,
  31: 0x6079,
  32: 65_000,
  33: 0xff85,
  // a status word: bits 0 and 15 set
  40: 0xa005,
  // "LL-DM100" in five registers, NUL padded
  50: 0x4c4c,
  51: 0x2d44,
  52: 0x4d31,
  53: 0x3030,
  54: 0,
};

describe("Modbus against pymodbus", () => {
  it("decodes every datatype and word order, coils, discrete and input registers", async () => {
    const server = await peer({ registers: { hr, ir: { 7: 0xc388, 8: 0x9333 }, co: { 3: 1 }, di: { 5: 1 } } });
    const a = adapter({
      connection: { host: "127.0.0.1", port: server.port },
      points: [
        { name: "f32 ABCD", metric: "f32_abcd", address: 0, datatype: "float32", byteOrder: "ABCD" },
        { name: "f32 CDAB", metric: "f32_cdab", address: 2, datatype: "float32", byteOrder: "CDAB" },
        { name: "f32 BADC", metric: "f32_badc", address: 4, datatype: "float32", byteOrder: "BADC" },
        { name: "f32 DCBA", metric: "f32_dcba", address: 6, datatype: "float32", byteOrder: "DCBA" },
        { name: "f64 ABCD", metric: "f64_abcd", address: 10, datatype: "float64", byteOrder: "ABCD" },
        { name: "f64 DCBA", metric: "f64_dcba", address: 14, datatype: "float64", byteOrder: "DCBA" },
        { name: "i64", metric: "i64", address: 20, datatype: "int64" },
        { name: "u64 CDAB", metric: "u64_cdab", address: 24, datatype: "uint64", byteOrder: "CDAB" },
        { name: "i32 BADC", metric: "i32_badc", address: 30, datatype: "int32", byteOrder: "BADC" },
        { name: "u16", metric: "u16", address: 32, datatype: "uint16", scale: 0.01 },
        { name: "i16", metric: "i16", address: 33, datatype: "int16", scale: 0.1, offset: 100 },
        { name: "alarm", metric: "alarm", address: 40, datatype: "bit", bit: 15 },
        { name: "running", metric: "running", address: 40, datatype: "bit", bit: 0 },
        { name: "fault", metric: "fault", address: 40, datatype: "bit", bit: 1 },
        { name: "serial", metric: "serial", address: 50, datatype: "string", length: 5 },
        { name: "pump", metric: "pump", register: "coil", address: 3, datatype: "bool" },
        { name: "door", metric: "door", register: "discrete", address: 5, datatype: "bool" },
        { name: "idle", metric: "idle", register: "discrete", address: 6, datatype: "bool" },
        { name: "ambient", metric: "ambient", register: "input", address: 7, datatype: "float32" },
      ],
    });
    const result = await gather(a);
    expect(result.errors).toEqual([]);
    expect(result.values).toEqual({
      f32_abcd: Math.fround(123.456),
      f32_cdab: Math.fround(123.456),
      f32_badc: Math.fround(123.456),
      f32_dcba: Math.fround(123.456),
      f64_abcd: 123.456,
      f64_dcba: 123.456,
      i64: -1_234_567_890_123,
      u64_cdab: 281_483_566_841_860,
      i32_badc: -100_000,
      u16: 650,
      i16: 87.7,
      alarm: 1,
      running: 1,
      fault: 0,
      pump: 1,
      door: 1,
      idle: 0,
      ambient: Math.fround(-273.15),
    });
    expect(Object.fromEntries(a.attributes())).toEqual({ serial: "LL-DM100" });
  });

  it("names device, point and exception for a register the device does not have, and reads the rest", async () => {
    const server = await peer({ registers: { hr: { 0: 1234 } }, size: 100 });
    const a = adapter({
      connection: { host: "127.0.0.1", port: server.port },
      points: [
        { name: "Level", metric: "level", address: 0, scale: 0.001 },
        { name: "Unmapped", metric: "x", address: 500, datatype: "float32" },
      ],
    });
    expect(await gather(a)).toEqual({
      values: { level: 1.234 },
      errors: [
        "EDGE_MODBUS_EXCEPTION device dev-1, point Unmapped: reading holding registers 500..501: the device answered with exception 2 (illegal data address)",
      ],
    });
  });

  it("writes with FC 5, 6, 15 and 16 and returns what it read back", async () => {
    const server = await peer({ registers: { hr: { 40: 0x0004 } } });
    const points = [
      { name: "Pump", metric: "pump", register: "coil", address: 1, datatype: "bool", writable: true },
      { name: "Setpoint", metric: "setpoint", address: 10, datatype: "uint16", scale: 0.1, writable: true },
      { name: "Valve", metric: "valve", address: 12, datatype: "float32", byteOrder: "CDAB", writable: true },
      { name: "Reset", metric: "reset", address: 40, datatype: "bit", bit: 0, writable: true },
      { name: "Level", metric: "level", address: 20 },
    ];
    const single = adapter({ connection: { host: "127.0.0.1", port: server.port }, points });
    expect(await single.write("Pump", 1)).toBe(1); // FC 5
    expect(await single.write("Setpoint", 65.3)).toBe(65.3); // FC 6, raw 653
    expect(await single.write("Valve", 42.25)).toBe(42.25); // FC 16
    expect(await single.write("Reset", 1)).toBe(1); // FC 3 + FC 6 read-modify-write
    await expect(single.write("Level", 1)).rejects.toMatchObject({
      code: "EDGE_MODBUS_NOT_WRITABLE",
      message: "device dev-1, point Level: the point is not marked writable",
    });
    await expect(single.write("Setpoint", 7000)).rejects.toMatchObject({
      code: "EDGE_MODBUS_BAD_VALUE",
      message: "device dev-1, point Setpoint: 70000 does not fit uint16",
    });
    const multiple = adapter({
      connection: { host: "127.0.0.1", port: server.port },
      preferMultipleWrite: true,
      points,
    });
    expect(await multiple.write("Pump", 0)).toBe(0); // FC 15
    expect(await multiple.write("Setpoint", 12.5)).toBe(12.5); // FC 16 for one register

    const check = await gather(adapter({ connection: { host: "127.0.0.1", port: server.port }, points }));
    expect(check.values).toEqual({ pump: 0, setpoint: 12.5, valve: 42.25, reset: 1, level: 0 });
    const word = adapter({
      connection: { host: "127.0.0.1", port: server.port },
      points: [{ name: "Word", metric: "word", address: 40 }],
    });
    expect((await gather(word)).values).toEqual({ word: 0x0005 }); // bit 2 kept, bit 0 set
  });

  it("picks a device up again after it restarts mid-poll, without operator action", async () => {
    const port = await freePort();
    const first = await startPymodbus({ port, registers: { hr: { 0: 11 } } });
    const a = adapter({
      connection: { host: "127.0.0.1", port, timeoutMs: 500 },
      backoff: { initialMs: 100, maxMs: 200 },
      points: [{ name: "Level", metric: "level", address: 0 }],
    });
    expect((await gather(a)).values).toEqual({ level: 11 });
    await first.kill();
    const during = await gather(a);
    expect(during.values).toEqual({});
    expect(during.errors.length).toBe(1);
    await peer({ port, registers: { hr: { 0: 22 } } });
    const deadline = Date.now() + 5_000;
    let after = await gather(a);
    while (after.values.level === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50)); // the next polls, as the scheduler would run them
      after = await gather(a);
    }
    expect(after).toEqual({ values: { level: 22 }, errors: [] });
  });

  it("keeps polling a live device at its rate while another is dead", async () => {
    const live = await peer({ registers: { hr: { 0: 5 } } });
    const liveAdapter = adapter({
      connection: { host: "127.0.0.1", port: live.port },
      points: [{ name: "Level", metric: "level", address: 0 }],
    });
    const deadAdapter = new ModbusAdapter(
      modbusDeviceSchema.parse({
        id: "dead-1",
        type: "modbus",
        connection: { host: "127.0.0.1", port: await freePort(), timeoutMs: 1_000 },
        points: [{ name: "Level", metric: "level", address: 0 }],
      }),
    );
    cleanups.push(() => deadAdapter.close());
    const until = Date.now() + 1_000;
    let livePolls = 0;
    let deadErrors = 0;
    const loop = async (a: ModbusAdapter, onDone: (r: Awaited<ReturnType<typeof gather>>) => void) => {
      while (Date.now() < until) {
        onDone(await gather(a));
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await Promise.all([
      loop(liveAdapter, (r) => {
        if (r.values.level === 5) livePolls++;
      }),
      loop(deadAdapter, (r) => (deadErrors += r.errors.length)),
    ]);
    expect(livePolls).toBeGreaterThanOrEqual(10);
    expect(deadErrors).toBe(1); // one attempt, then backoff (1 s by default)
  });

  it("speaks RTU framing over TCP", async () => {
    const server = await peer({ framer: "rtu", registers: { hr: { 3: 0x42f6, 4: 0xe979 } } });
    const a = adapter({
      connection: { transport: "rtu-over-tcp", host: "127.0.0.1", port: server.port },
      points: [{ name: "Flow", metric: "flow", address: 3, datatype: "float32" }],
    });
    expect(await gather(a)).toEqual({ values: { flow: Math.fround(123.456) }, errors: [] });
  });

  it("speaks RTU over a serial line (a socat pty pair)", async () => {
    const pair = await serialPair(dir);
    cleanups.push(() => pair.close());
    await peer({ serial: pair.b, registers: { hr: { 0: 0x0102 }, co: { 0: 1 } } });
    const a = adapter({
      connection: { transport: "rtu", path: pair.a, baudRate: 19_200 },
      points: [
        { name: "Raw", metric: "raw", address: 0 },
        { name: "Relay", metric: "relay", register: "coil", address: 0, datatype: "bool" },
      ],
    });
    expect(await gather(a)).toEqual({ values: { raw: 0x0102, relay: 1 }, errors: [] });
  });
});
