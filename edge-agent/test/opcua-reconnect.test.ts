import { afterEach, describe, expect, it } from "vitest";
import { OpcuaAdapter, opcuaDeviceSchema } from "../src/adapters/opcua/index.ts";
import { freePort } from "./fixtures/free-port.ts";
import { clientPkiCopy, RecordingSink } from "./fixtures/opcua/recording-sink.ts";
import { INITIAL_SOURCE_TS, OpcuaServerProcess } from "./fixtures/opcua/server-process.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(port: number): Promise<OpcuaServerProcess> {
  const s = await OpcuaServerProcess.start({ port, tickMs: 100 });
  cleanups.push(() => s.stop());
  return s;
}

async function counterAdapter(port: number) {
  const pki = clientPkiCopy();
  cleanups.push(pki.remove);
  const adapter = new OpcuaAdapter(
    opcuaDeviceSchema.parse({
      id: "hs-01",
      type: "opcua",
      endpointUrl: `opc.tcp://127.0.0.1:${port}`,
      securityMode: "SignAndEncrypt",
      pkiDir: pki.dir,
      publishingIntervalMs: 50,
      reconnect: { initialDelayMs: 200, maxDelayMs: 500 },
      points: [{ name: "Counter", metric: "counter", nodeId: "ns=1;s=HS01.Counter", samplingIntervalMs: 20 }],
    }),
  );
  cleanups.push(() => adapter.close());
  const sink = new RecordingSink();
  await adapter.start(sink);
  return sink;
}

describe("opcua adapter: reconnection", () => {
  it("waits for a server that is not up yet, and restores the subscription after it crashes and restarts", async () => {
    const port = await freePort();
    const sink = await counterAdapter(port);
    expect(sink.codes()).toEqual(["EDGE_OPCUA_CONNECT_FAILED"]);
    expect(sink.errors[0]?.message).toMatch(
      new RegExp(`^device hs-01: cannot connect to opc\\.tcp://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );

    const first = await server(port);
    await sink.until(() => sink.of("counter").some((r) => r.value >= 3), "the counter ticking", 15_000);
    expect(new Set(sink.codes())).toEqual(new Set(["EDGE_OPCUA_CONNECT_FAILED"]));
    const errorsBeforeCrash = sink.errors.length;

    await first.stop("SIGKILL");
    await sink.until(
      () => sink.errors.slice(errorsBeforeCrash).filter((e) => e.code === "EDGE_OPCUA_DISCONNECTED").length >= 2,
      "disconnected, then a failed retry",
    );
    const beforeRestart = sink.readingsSeen.length;
    expect(sink.errors[errorsBeforeCrash]?.message).toBe(
      `device hs-01: lost the connection to opc.tcp://127.0.0.1:${port}; reconnecting`,
    );
    expect(sink.errors[errorsBeforeCrash + 1]?.message).toBe(
      `device hs-01: still cannot reach opc.tcp://127.0.0.1:${port}; retrying`,
    );

    const restartedAt = Date.now();
    await server(port);
    await sink.until(
      () => sink.readingsSeen.slice(beforeRestart).some((r) => r.ts >= restartedAt && r.value >= 2),
      "the restarted server's counter",
      15_000,
    );
    const after = sink.readingsSeen.slice(beforeRestart);
    // the new server starts over (its initial value, unless a tick came first), each with its source time
    const fresh = after.filter((r) => !(r.ts === INITIAL_SOURCE_TS && r.value === 0));
    expect(fresh.length).toBeGreaterThanOrEqual(after.length - 1);
    expect(fresh.every((r) => r.ts >= restartedAt && r.quality === "good")).toBe(true);
    const values = fresh.map((r) => r.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(sink.errors.slice(errorsBeforeCrash).map((e) => e.code))).toEqual(
      new Set(["EDGE_OPCUA_DISCONNECTED"]),
    );
  }, 40_000);
});
