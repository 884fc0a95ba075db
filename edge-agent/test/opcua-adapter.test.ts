import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  OpcuaAdapter,
  type OpcuaAdapterOptions,
  type OpcuaDeviceInput,
  opcuaDeviceSchema,
} from "../src/adapters/opcua/index.ts";
import { clientPkiCopy, RecordingSink } from "./fixtures/opcua/recording-sink.ts";
import { INITIAL_SOURCE_TS, OpcuaServerProcess } from "./fixtures/opcua/server-process.ts";

const node = (name: string) => `ns=1;s=HS01.${name}`;

let server: OpcuaServerProcess;
beforeAll(async () => {
  server = await OpcuaServerProcess.start();
});
afterAll(async () => {
  await server?.stop();
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type TestDevice = Partial<OpcuaDeviceInput> & Pick<OpcuaDeviceInput, "points">;

/** An adapter on the shared server, security None unless asked, with its own copy of the client PKI. */
async function started(device: TestDevice, options: OpcuaAdapterOptions = {}) {
  const pki = clientPkiCopy();
  cleanups.push(pki.remove);
  const adapter = new OpcuaAdapter(
    opcuaDeviceSchema.parse({
      id: "hs-01",
      type: "opcua",
      endpointUrl: server.endpointUrl,
      securityMode: "None",
      pkiDir: pki.dir,
      publishingIntervalMs: 50,
      reconnect: { initialDelayMs: 200, maxDelayMs: 1_000 },
      ...device,
    }),
    options,
  );
  cleanups.push(() => adapter.close());
  const sink = new RecordingSink();
  await adapter.start(sink);
  return { adapter, sink };
}

describe("opcua adapter: readings", () => {
  it("delivers each point's value, scaled, with the source timestamp and unit", async () => {
    const { sink } = await started({
      points: [
        { name: "Supply temperature", metric: "supply_temp", nodeId: node("SupplyTemperature"), unit: "degC" },
        { name: "Return temperature", metric: "return_temp", nodeId: node("ReturnTemperature"), unit: "degC" },
        { name: "Pressure", metric: "pressure", nodeId: node("Pressure"), unit: "kPa", scale: 1000 },
        { name: "Flow", metric: "flow", nodeId: node("Flow"), unit: "m3/h", scale: 2, offset: -0.5 },
        { name: "Pump", metric: "pump_running", nodeId: node("PumpRunning") },
        { name: "Energy", metric: "energy_total", nodeId: node("EnergyTotal"), unit: "Wh" },
        { name: "Heat balance", metric: "heat_balance", nodeId: node("HeatBalance"), unit: "Wh" },
      ],
    });
    await sink.until(() => sink.readingsSeen.length >= 7, "7 initial readings");
    const byMetric = [...sink.readingsSeen].sort((a, b) => a.metric.localeCompare(b.metric));
    const at = { device: "hs-01", ts: INITIAL_SOURCE_TS, quality: "good" };
    expect(byMetric).toEqual([
      { ...at, metric: "energy_total", value: 5_000_000_000, unit: "Wh" },
      { ...at, metric: "flow", value: 24.5, unit: "m3/h" },
      { ...at, metric: "heat_balance", value: -5_000_000_000, unit: "Wh" },
      { ...at, metric: "pressure", value: 625, unit: "kPa" },
      { ...at, metric: "pump_running", value: 1, unit: "" },
      { ...at, metric: "return_temp", value: 55.25, unit: "degC" },
      { ...at, metric: "supply_temp", value: 85.5, unit: "degC" },
    ]);
    expect(sink.errors).toEqual([]);

    await server.set("SupplyTemperature", 86.25, { sourceTimestamp: "2026-01-05T08:15:30.125Z" });
    await server.set("PumpRunning", false, { sourceTimestamp: "2026-01-05T08:15:31.000Z" });
    await sink.until(() => sink.readingsSeen.length >= 9, "two changes");
    expect(sink.readingsSeen.slice(7)).toEqual([
      { ...at, metric: "supply_temp", value: 86.25, unit: "degC", ts: Date.parse("2026-01-05T08:15:30.125Z") },
      { ...at, metric: "pump_running", value: 0, unit: "", ts: Date.parse("2026-01-05T08:15:31.000Z") },
    ]);
  });

  it("maps the StatusCode severity to quality and reports a Bad status that carries no value", async () => {
    const { sink } = await started({
      points: [
        { name: "Return temperature", metric: "return_temp", nodeId: node("ReturnTemperature"), samplingIntervalMs: 0 },
      ],
    });
    await sink.until(() => sink.readingsSeen.length === 1, "the initial reading");
    const steps: Array<[number | null, string]> = [
      [56, "UncertainLastUsableValue"],
      [57, "BadSensorFailure"],
      [null, "BadCommunicationError"],
      [58, "GoodClamped"],
    ];
    for (const [i, [value, status]] of steps.entries()) {
      const seen = sink.readingsSeen.length + sink.errors.length;
      await server.set("ReturnTemperature", value, { status, sourceTimestamp: `2026-01-05T09:00:0${i}.000Z` });
      await sink.until(() => sink.readingsSeen.length + sink.errors.length > seen, `the ${status} change`);
    }
    expect(sink.readingsSeen.slice(1).map((r) => [r.value, r.quality, r.ts])).toEqual([
      [56, "uncertain", Date.parse("2026-01-05T09:00:00.000Z")],
      [57, "bad", Date.parse("2026-01-05T09:00:01.000Z")],
      [58, "good", Date.parse("2026-01-05T09:00:03.000Z")],
    ]);
    expect(sink.errors.map((e) => [e.code, e.device, e.point, e.message])).toEqual([
      [
        "EDGE_OPCUA_NO_VALUE",
        "hs-01",
        "Return temperature",
        "device hs-01, point Return temperature: ns=1;s=HS01.ReturnTemperature: status BadCommunicationError (0x80050000) without a value",
      ],
    ]);
  });

  it("reports an unknown node, a string and an array by device and point while the other points flow", async () => {
    const { sink } = await started({
      points: [
        { name: "Missing", metric: "missing", nodeId: node("DoesNotExist") },
        { name: "State", metric: "state", nodeId: node("State") },
        { name: "Recent flows", metric: "recent", nodeId: node("RecentFlows") },
        { name: "Pressure", metric: "pressure", nodeId: node("Pressure"), device: "hs-01-pt" },
      ],
    });
    await sink.until(() => sink.readingsSeen.length === 1 && sink.errors.length === 3, "one reading, three errors");
    expect(sink.readingsSeen.map((r) => [r.device, r.metric, r.value])).toEqual([["hs-01-pt", "pressure", 0.625]]);
    expect(sink.errors.map((e) => [e.code, e.device, e.point, e.message]).sort()).toEqual([
      [
        "EDGE_OPCUA_BAD_NODE",
        "hs-01",
        "Missing",
        "device hs-01, point Missing: ns=1;s=HS01.DoesNotExist cannot be monitored: BadNodeIdUnknown (0x80340000)",
      ],
      [
        "EDGE_OPCUA_BAD_VALUE",
        "hs-01",
        "Recent flows",
        "device hs-01, point Recent flows: ns=1;s=HS01.RecentFlows: an array of 3 Double, expected a scalar",
      ],
      [
        "EDGE_OPCUA_BAD_VALUE",
        "hs-01",
        "State",
        "device hs-01, point State: ns=1;s=HS01.State: a String is not numeric",
      ],
    ]);
  });

  it("asks the server again for a refused point and reports it each time", async () => {
    const { sink } = await started({
      retryRefusedPointsMs: 200,
      points: [{ name: "Missing", metric: "missing", nodeId: node("DoesNotExist") }],
    });
    await sink.until(() => sink.errors.length >= 3, "three refusals");
    expect(new Set(sink.codes())).toEqual(new Set(["EDGE_OPCUA_BAD_NODE"]));
  });

  it("applies deadbands on the server: absolute, percent of EURange, and none where percent is refused", async () => {
    await server.set("SupplyTemperature", 70, { sourceTimestamp: "2026-01-05T10:00:00.000Z" });
    await server.set("Pressure", 0.5, { sourceTimestamp: "2026-01-05T10:00:00.000Z" });
    const { sink } = await started({
      points: [
        { name: "Supply raw", metric: "supply_raw", nodeId: node("SupplyTemperature"), samplingIntervalMs: 0 },
        {
          name: "Supply abs",
          metric: "supply_abs",
          nodeId: node("SupplyTemperature"),
          samplingIntervalMs: 0,
          deadband: { type: "absolute", value: 0.5 },
        },
        {
          name: "Supply pct",
          metric: "supply_pct",
          nodeId: node("SupplyTemperature"),
          samplingIntervalMs: 0,
          deadband: { type: "percent", value: 1 }, // 1 % of the EURange 0..150: 1.5 degC
        },
        {
          name: "Pressure pct",
          metric: "pressure",
          nodeId: node("Pressure"),
          samplingIntervalMs: 0,
          deadband: { type: "percent", value: 1 }, // Pressure has no EURange
        },
      ],
    });
    await sink.until(() => sink.readingsSeen.length === 4, "four initial readings");
    for (const [i, value] of [70.2, 70.6, 71.0, 71.7].entries()) {
      const raw = sink.of("supply_raw").length;
      await server.set("SupplyTemperature", value, { sourceTimestamp: `2026-01-05T10:00:0${i + 1}.000Z` });
      await sink.until(() => sink.of("supply_raw").length > raw, `raw ${value}`);
    }
    await server.set("Pressure", 0.5001, { sourceTimestamp: "2026-01-05T10:00:09.000Z" });
    await sink.until(() => sink.of("pressure").length === 2, "the small pressure change");
    await new Promise((resolve) => setTimeout(resolve, 150)); // two more publishing intervals
    const values = (metric: string) => sink.of(metric).map((r) => r.value);
    expect(values("supply_raw")).toEqual([70, 70.2, 70.6, 71.0, 71.7]);
    expect(values("supply_abs")).toEqual([70, 70.6, 71.7]); // 70.2 and 71.0 are within 0.5 of the last report
    expect(values("supply_pct")).toEqual([70, 71.7]); // within 1.5 of 70 until 71.7
    expect(values("pressure").map((v) => Math.fround(v))).toEqual([0.5, Math.fround(0.5001)]);
    expect(sink.errors.map((e) => [e.code, e.point, e.message])).toEqual([
      [
        "EDGE_OPCUA_DEADBAND_REFUSED",
        "Pressure pct",
        "device hs-01, point Pressure pct: ns=1;s=HS01.Pressure: the server refused the percent deadband of 1 with BadMonitoredItemFilterUnsupported (0x80440000) (a percent deadband needs an EURange on the node); monitoring it without a deadband",
      ],
    ]);
  });

  it("subscribes again when the server drops the session", async () => {
    const { sink } = await started({
      points: [{ name: "Flow", metric: "flow", nodeId: node("Flow"), samplingIntervalMs: 0 }],
    });
    await sink.until(() => sink.readingsSeen.length === 1, "the initial reading");
    await server.closeSessions();
    await sink.until(() => sink.codes().includes("EDGE_OPCUA_DISCONNECTED"), "the dropped session");
    // the channel stays up and the server just stops answering: the keep-alive watchdog notices
    expect(sink.errors[0]?.message).toMatch(
      new RegExp(
        `^device hs-01: ${server.endpointUrl}: no publish response nor keep-alive for \\d+ ms; subscribing again$`,
      ),
    );
    await server.set("Flow", 14.5, { sourceTimestamp: "2026-01-05T11:00:00.000Z" });
    await sink.until(() => sink.of("flow").some((r) => r.value === 14.5), "the change after re-subscribing");
    expect(new Set(sink.codes())).toEqual(new Set(["EDGE_OPCUA_DISCONNECTED"]));
  });

  it("delivers one sink call per device per publish, not one per data change", async () => {
    const { sink } = await started({
      points: ["SupplyTemperature", "ReturnTemperature", "Pressure", "Flow", "PumpRunning"].map((n) => ({
        name: n,
        metric: n.toLowerCase(),
        nodeId: node(n),
      })),
    });
    await sink.until(() => sink.readingsSeen.length === 5, "five initial readings");
    expect(sink.batches).toEqual([5]);
  });
});
