import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Reading } from "@lifeline/contracts";
import { ModbusTcpServer } from "@lifeline/simulators";
import { afterEach, describe, expect, it } from "vitest";
import type { AdapterError } from "../src/adapter-error.ts";
import { modbusDeviceSchema } from "../src/adapters/modbus/config.ts";
import { ModbusAdapter } from "../src/adapters/modbus/modbus-adapter.ts";

const root = join(import.meta.dirname, "../src/adapters/modbus/testcases");
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const read = (name: string, file: string, fallback?: unknown) => {
  try {
    return JSON.parse(readFileSync(join(root, name, file), "utf8"));
  } catch (error) {
    if (fallback !== undefined) return fallback;
    throw error;
  }
};

describe("modbus adapter test cases", () => {
  let server: ModbusTcpServer | undefined;
  let adapter: ModbusAdapter | undefined;
  afterEach(async () => {
    await adapter?.close();
    await server?.close();
  });

  it("has cases", () => expect(cases.length).toBeGreaterThanOrEqual(3));

  it.each(cases)("%s", async (name) => {
    server = new ModbusTcpServer(read(name, "simulator.json", {}));
    await server.listen();
    for (const [address, value] of Object.entries(read(name, "registers.json") as Record<string, number>)) {
      server.bank(1).holding[Number(address)] = value;
    }
    const device = modbusDeviceSchema.parse({
      ...read(name, "device.json"),
      connection: { host: "127.0.0.1", port: server.port, timeoutMs: 2_000 },
    });
    adapter = new ModbusAdapter(device, { clock: () => 1_767_225_600_000 });
    const readings: Reading[] = [];
    const errors: AdapterError[] = [];
    await adapter.gather({ readings: (_d, r) => readings.push(...r), error: (e) => errors.push(e) });

    const expected = read(name, "expected.json");
    expect(Object.fromEntries(readings.map((r) => [r.metric, r.value]))).toEqual(expected.readings);
    expect(readings.every((r) => r.ts === 1_767_225_600_000 && r.quality === "good")).toBe(true);
    expect(errors.map((e) => ({ code: e.code, message: e.message }))).toEqual(expected.errors);
    expect(server.stats.requests).toBe(expected.requests);
  });
});
