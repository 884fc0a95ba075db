import { createServer, type Server } from "node:net";
import type { Reading } from "@lifeline/contracts";
import { ModbusTcpServer } from "@lifeline/simulators";
import { afterEach, describe, expect, it } from "vitest";
import type { AdapterError } from "../src/adapter-error.ts";
import { modbusDeviceSchema } from "../src/adapters/modbus/config.ts";
import { ModbusAdapter } from "../src/adapters/modbus/modbus-adapter.ts";
import { freePort } from "./fixtures/free-port.ts";

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function adapterFor(id: string, port: number, timeoutMs = 300, backoff = { initialMs: 0, maxMs: 0 }) {
  const adapter = new ModbusAdapter(
    modbusDeviceSchema.parse({
      id,
      type: "modbus",
      connection: { host: "127.0.0.1", port, timeoutMs },
      retries: 0,
      backoff,
      points: [{ name: "Level", metric: "level", address: 0, datatype: "uint16" }],
    }),
    { clock: () => 1_767_225_600_000 },
  );
  closers.push(() => adapter.close());
  return adapter;
}

async function gather(adapter: ModbusAdapter) {
  const readings: Reading[] = [];
  const errors: AdapterError[] = [];
  await adapter.gather({ readings: (_d, r) => readings.push(...r), error: (e) => errors.push(e) });
  return {
    values: readings.map((r) => r.value),
    errors: errors.map((e) => e.code),
    messages: errors.map((e) => e.message),
  };
}

async function device(value: number, port = 0) {
  const server = new ModbusTcpServer({ port });
  server.bank(1).holding[0] = value;
  await server.listen();
  closers.push(() => server.close());
  return server;
}

describe("modbus adapter under faults", () => {
  it("reports a device that refuses connections, naming it, while another is read", async () => {
    const alive = await device(7);
    const deadPort = await freePort();
    const dead = adapterFor("dead-01", deadPort);
    const good = adapterFor("alive-01", alive.port);
    const [deadResult, goodResult] = await Promise.all([gather(dead), gather(good)]);
    expect(deadResult.values).toEqual([]);
    expect(deadResult.errors).toEqual(["EDGE_MODBUS_CONNECT_FAILED"]);
    expect(deadResult.messages[0]).toMatch(
      new RegExp(`^device dead-01: cannot connect to tcp://127.0.0.1:${deadPort}: `),
    );
    expect(goodResult).toEqual({ values: [7], errors: [], messages: [] });
  });

  it("backs off from a dead device instead of knocking on every poll", async () => {
    const deadPort = await freePort();
    const dead = adapterFor("dead-02", deadPort, 300, { initialMs: 60_000, maxMs: 60_000 });
    const first = await gather(dead);
    const second = await gather(dead);
    expect(first.errors).toEqual(["EDGE_MODBUS_CONNECT_FAILED"]);
    expect(second).toEqual({ values: [], errors: [], messages: [] }); // within the backoff: no attempt, no new error
  });

  it("closes the connection after each poll when the device needs it, and spaces requests", async () => {
    const server = await device(9);
    const adapter = new ModbusAdapter(
      modbusDeviceSchema.parse({
        id: "quirky-01",
        type: "modbus",
        connection: { host: "127.0.0.1", port: server.port },
        closeAfterPoll: true,
        interRequestDelayMs: 150,
        maxGap: 0,
        points: [
          { name: "A", metric: "a", address: 0 },
          { name: "B", metric: "b", address: 10 },
        ],
      }),
    );
    closers.push(() => adapter.close());
    const started = performance.now();
    for (let i = 0; i < 3; i++) expect((await gather(adapter)).values).toEqual([9, 0]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(3 * 150);
    expect(server.stats.connections).toBe(3); // one connection per poll
    expect(server.stats.requests).toBe(6); // two requests per poll: gap 0 keeps them apart
  });

  it("times out a device that accepts but never answers, within its timeout", async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    closers.push(() => new Promise((r) => silent.close(r)));
    silent.on("connection", (socket) => closers.push(async () => socket.destroy()));
    const adapter = adapterFor("mute-01", (silent.address() as { port: number }).port, 200);
    const started = Date.now();
    const result = await gather(adapter);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.errors).toEqual(["EDGE_MODBUS_TIMEOUT"]);
    expect(result.messages).toEqual([
      "device mute-01, point Level: reading holding registers 0..0: no answer within 200 ms",
    ]);
  });

  it("picks a restarted device up again without operator action", async () => {
    const first = await device(1);
    const port = first.port;
    const adapter = adapterFor("restart-01", port);
    expect((await gather(adapter)).values).toEqual([1]);

    await first.close();
    const during = await gather(adapter);
    expect(during.values).toEqual([]);
    expect(during.errors.length).toBe(1);
    expect(["EDGE_MODBUS_IO", "EDGE_MODBUS_CONNECT_FAILED", "EDGE_MODBUS_TIMEOUT"]).toContain(during.errors[0]);

    await device(2, port); // the same device, back after a power cycle
    const after = await gather(adapter);
    expect(after).toEqual({ values: [2], errors: [], messages: [] });
  });
});
