import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Envelope, encodeBinaryEnvelope, telemetryTopic } from "@lifeline/contracts";
import { startEdgeAgent } from "@lifeline/edge-agent";
import { ModbusTcpServer } from "@lifeline/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../src/stack.ts";

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const dir = mkdtempSync(join(tmpdir(), "lifeline-e2e-"));
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ dataDir: dir, natsPort: 0, mqttPort: 0, apiPort: 0, lingerMs: 50 });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function series(query: string) {
  const res = await fetch(`${stack.apiUrl}/v1/series?${query}`);
  expect(res.status).toBe(200);
  type Series = { unit: string; points: Array<{ ts: number; value: number; quality: string }> };
  const body = (await res.json()) as { series: Series[] };
  expect(body.series.length).toBeLessThanOrEqual(1);
  return body.series[0] ?? { unit: "", points: [] };
}

/** Publishes with mosquitto_pub; bytes (a binary envelope) go through a file (`-f`). */
function mosquittoPub(
  topic: string,
  message: string | Uint8Array,
  clientId: string,
): Promise<{ code: number | null; stderr: string }> {
  const port = new URL(stack.mqttUrl).port;
  let body = ["-m", message as string];
  if (typeof message !== "string") {
    const file = join(dir, `${clientId}.bin`);
    writeFileSync(file, message);
    body = ["-f", file];
  }
  const child = spawn("mosquitto_pub", [
    "-h",
    "127.0.0.1",
    "-p",
    port,
    "-q",
    "1",
    "-i",
    clientId,
    "-t",
    topic,
    ...body,
  ]);
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
}

describe("a reading travels from a Modbus device to the API", () => {
  it("runs JetStream synced to disk before it acknowledges, unless told otherwise", () => {
    expect(stack.natsServer.options.sync).toBe("always");
    expect(readFileSync(join(dir, "nats", "lifeline-sync.conf"), "utf8")).toBe(
      "jetstream {\n  sync_interval: always\n}\n",
    );
  });

  it("returns exactly the register values, with their source timestamps", async () => {
    const device = new ModbusTcpServer();
    const bank = device.bank(1);
    bank.setFloat32("holding", 0, 0.153, "ABCD"); // PM10, mg/m³
    bank.setFloat32("holding", 2, 42.5, "CDAB"); // flow, m³/h, word-swapped
    bank.setInt16("holding", 4, -123); // temperature ×0.1 °C
    await device.listen();

    let tick = 0;
    const clock = () => T0 + 1_000 * tick++; // each poll's single coalesced read takes one time
    const agent = await startEdgeAgent(
      {
        site: "mine-7",
        gateway: "gw-e2e",
        uplink: { mqtt: { url: stack.mqttUrl } },
        devices: [
          {
            id: "dust-01",
            type: "modbus",
            connection: { host: "127.0.0.1", port: device.port },
            pollIntervalMs: 50,
            points: [
              { name: "PM10", metric: "pm10", unit: "mg/m3", address: 0, datatype: "float32" },
              { name: "Flow", metric: "flow", unit: "m3/h", address: 2, datatype: "float32", byteOrder: "CDAB" },
              { name: "Temp", metric: "temperature", unit: "degC", address: 4, datatype: "int16", scale: 0.1 },
            ],
          },
        ],
      },
      { clock, bootId: "e2e-boot", dataDir: join(dir, "agent") },
    );
    await until("five polls", () => (agent.stats().envelopes >= 5 ? true : undefined));
    await agent.stop();
    await device.close();
    const sent = agent.stats();
    expect(sent.uplink.acked).toBe(sent.envelopes);
    expect(sent.errors).toEqual({});
    const n = sent.envelopes;

    const range = `from=${T0}&to=${T0 + 3_600_000}`;
    const pm10 = await until("all readings in ClickHouse", async () => {
      const s = await series(`device=dust-01&metric=pm10&${range}`);
      return s.points.length >= n ? s : undefined;
    });
    const stamps = Array.from({ length: n }, (_, i) => T0 + 1_000 * i);
    expect(pm10.unit).toBe("mg/m3");
    expect(pm10.points).toEqual(stamps.map((ts) => ({ ts, value: Math.fround(0.153), quality: "good" })));
    const flow = await series(`device=dust-01&metric=flow&${range}`);
    expect(flow.points).toEqual(stamps.map((ts) => ({ ts, value: 42.5, quality: "good" })));
    const temperature = await series(`device=dust-01&metric=temperature&${range}`);
    expect(temperature.points.map((p) => [p.ts, p.value])).toEqual(stamps.map((ts) => [ts, -12.3]));
    expect(tick).toBe(n);
  });
});

describe("interop: Debian's mosquitto_pub into the gateway", () => {
  const envelope: Envelope = {
    v: 1,
    site: "flood-3",
    gateway: "gw-m",
    device: "radar-01",
    bootId: "mosq-boot",
    seq: 7,
    readings: [
      { metric: "water_level", ts: T0 + 123, value: 2.375, unit: "m", quality: "good" },
      { metric: "rain_1h", ts: T0 + 123, value: 31.5, unit: "mm", quality: "uncertain" },
    ],
  };
  const stored = async (device: string) =>
    stack.store.driver.query<{ metric: string; t: number; value: number; unit: string; quality: string; seq: number }>(
      `SELECT metric, toUnixTimestamp64Milli(ts) AS t, value, unit, toString(quality) AS quality, toUInt32(seq) AS seq
       FROM telemetry WHERE device = {d:String} ORDER BY metric`,
      { d: device },
    );

  it("stores a QoS 1 publish once, even when it is published twice", async () => {
    const first = await mosquittoPub(telemetryTopic(envelope), JSON.stringify(envelope), "mosq-1");
    expect(first).toEqual({ code: 0, stderr: "" });
    const rows = await until("the mosquitto readings", async () => {
      const r = await stored("radar-01");
      return r.length >= 2 ? r : undefined;
    });
    expect(rows).toEqual([
      { metric: "rain_1h", t: T0 + 123, value: 31.5, unit: "mm", quality: "uncertain", seq: 7 },
      { metric: "water_level", t: T0 + 123, value: 2.375, unit: "m", quality: "good", seq: 7 },
    ]);

    // The gateway packs envelopes (no per-envelope message id): the stream processor recognises the copy.
    const copiesBefore = stack.processor.stats().telemetry.copies;
    expect((await mosquittoPub(telemetryTopic(envelope), JSON.stringify(envelope), "mosq-2")).code).toBe(0);
    await until("the copy recognised", async () =>
      stack.processor.stats().telemetry.copies === copiesBefore + 1 ? true : undefined,
    );
    expect((await stored("radar-01")).length).toBe(2);
  });

  it("quarantines malformed and mis-addressed payloads with their reasons", async () => {
    const bad = { ...envelope, device: "radar-02", readings: [{ ...envelope.readings[0], ts: 1_700_000_000 }] };
    expect((await mosquittoPub(telemetryTopic(bad), JSON.stringify(bad), "mosq-3")).code).toBe(0);
    expect((await mosquittoPub("lifeline/v1/tlm/flood-3/gw-m/radar-03", "not json", "mosq-4")).code).toBe(0);
    const misrouted = { ...envelope, device: "radar-04", seq: 8 };
    expect(
      (await mosquittoPub("lifeline/v1/tlm/flood-3/gw-m/radar-05", JSON.stringify(misrouted), "mosq-5")).code,
    ).toBe(0);
    const deviceless = { ...envelope, device: "radar-09", seq: 11 };
    expect((await mosquittoPub("lifeline/v1/tlm/flood-3/gw-m", JSON.stringify(deviceless), "mosq-8")).code).toBe(0);

    const rows = await until("four quarantined payloads", async () => {
      const r = await stack.store.driver.query<{ code: string; reason: string; source: string }>(
        "SELECT code, reason, source FROM quarantine ORDER BY stream_seq",
      );
      return r.length >= 4 ? r : undefined;
    });
    expect(rows.map((r) => r.code)).toEqual([
      "CONTRACT_INVALID_ENVELOPE",
      "CONTRACT_MALFORMED_JSON",
      "GATEWAY_TOPIC_MISMATCH",
      "GATEWAY_TOPIC_MALFORMED",
    ]);
    expect(rows[3]?.reason).toBe("topic lifeline/v1/tlm/flood-3/gw-m is not lifeline/v1/tlm/<site>/<gateway>/<device>");
    expect(rows[0]?.reason).toBe("invalid envelope: readings[0].ts: expected a source time on or after 2000-01-01");
    expect(rows[0]?.source).toBe("mqtt client=mosq-3 topic=lifeline/v1/tlm/flood-3/gw-m/radar-02");
    expect(rows[2]?.reason).toBe(
      "topic lifeline/v1/tlm/flood-3/gw-m/radar-05 does not match the envelope's site/gateway/device (flood-3/gw-m/radar-04)",
    );
    expect(stack.gateway.stats().quarantined).toBe(4);
    expect(
      (await stored("radar-02")).length + (await stored("radar-04")).length + (await stored("radar-09")).length,
    ).toBe(0);
  });

  it("takes binary envelopes as agents send them, and quarantines a mis-addressed one as readable JSON", async () => {
    const binary = { ...envelope, device: "radar-06", seq: 9 };
    expect((await mosquittoPub(telemetryTopic(binary), encodeBinaryEnvelope(binary), "mosq-6")).code).toBe(0);
    const rows = await until("the binary envelope's readings", async () => {
      const r = await stored("radar-06");
      return r.length >= 2 ? r : undefined;
    });
    expect(rows).toEqual([
      { metric: "rain_1h", t: T0 + 123, value: 31.5, unit: "mm", quality: "uncertain", seq: 9 },
      { metric: "water_level", t: T0 + 123, value: 2.375, unit: "m", quality: "good", seq: 9 },
    ]);

    const misrouted = { ...envelope, device: "radar-07", seq: 10 };
    const topic = "lifeline/v1/tlm/flood-3/gw-m/radar-08";
    expect((await mosquittoPub(topic, encodeBinaryEnvelope(misrouted), "mosq-7")).code).toBe(0);
    const [row] = await until("the binary envelope quarantined", async () => {
      const r = await stack.store.driver.query<{ code: string; payload: string }>(
        "SELECT code, payload FROM quarantine WHERE source = 'mqtt client=mosq-7 topic=lifeline/v1/tlm/flood-3/gw-m/radar-08'",
      );
      return r.length >= 1 ? r : undefined;
    });
    expect(row).toEqual({ code: "GATEWAY_TOPIC_MISMATCH", payload: JSON.stringify(misrouted) });
    expect((await stored("radar-07")).length).toBe(0);
  });
});
