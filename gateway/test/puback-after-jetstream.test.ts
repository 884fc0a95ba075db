import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Envelope, TELEMETRY_STREAM, telemetryTopic } from "@lifeline/contracts";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "../src/mqtt-gateway.ts";
import { type NatsServerProcess, startNatsServer } from "../src/nats-server-process.ts";
import { ensureStreams } from "../src/streams.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-gw-"));
let server: NatsServerProcess;
let nats: NatsConnection;
let gateway: Gateway;

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nats = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  await ensureStreams(await jetstreamManager(nats));
  gateway = await startGateway({ nats, port: 0, publishTimeoutMs: 1_000 });
});
afterAll(async () => {
  await gateway?.close();
  await nats?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const envelope = (seq: number): Envelope => ({
  v: 1,
  site: "heat-2",
  gateway: "gw-h",
  device: "substation-01",
  bootId: "boot-a",
  seq,
  readings: [
    { metric: "supply_temperature", ts: Date.UTC(2026, 0, 5) + seq, value: 71.5, unit: "degC", quality: "good" },
  ],
});

async function storedMessages(): Promise<number> {
  const jsm = await jetstreamManager(nats);
  return (await jsm.streams.info(TELEMETRY_STREAM)).state.messages;
}

describe("the gateway acknowledges only what JetStream stored", () => {
  it("sends no PUBACK while NATS is down, and stores the resent message once after it returns", async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, {
      clientId: "agent-heat-2",
      clean: false,
      reconnectPeriod: 200,
    });
    try {
      await client.publishAsync(telemetryTopic(envelope(0)), JSON.stringify(envelope(0)), { qos: 1 });
      expect(await storedMessages()).toBe(1);

      await server.stop();
      let acked = false;
      const pending = client.publishAsync(telemetryTopic(envelope(1)), JSON.stringify(envelope(1)), { qos: 1 });
      void pending.then(() => (acked = true));
      await new Promise((r) => setTimeout(r, 2_500));
      expect(acked).toBe(false);
      // Refused at once (NATS is known to be down), not queued: nothing waits in the gateway.
      expect(gateway.stats().refused).toBeGreaterThanOrEqual(1);
      expect(gateway.stats().inflight).toBe(0);

      server = await startNatsServer({ storeDir: join(dir, "nats"), port: server.port });
      await pending; // mqtt.js resends the unacknowledged QoS 1 message after reconnecting
      expect(acked).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect(await storedMessages()).toBe(2);
      expect(gateway.stats().stored + gateway.stats().duplicates).toBeGreaterThanOrEqual(2);
    } finally {
      await client.endAsync(true);
    }
  }, 30_000);
});

describe("backpressure", () => {
  it("makes messages over maxInflight wait for room instead of refusing them", async () => {
    const small = await startGateway({ nats, port: 0, profiles: false, maxInflight: 2 });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${small.port}`, { clientId: "burst", clean: true });
    try {
      const before = await storedMessages();
      const burst = Array.from({ length: 40 }, (_, i) => envelope(100 + i));
      await Promise.all(burst.map((e) => client.publishAsync(telemetryTopic(e), JSON.stringify(e), { qos: 1 })));
      const stats = small.stats();
      expect(stats.stored).toBe(40);
      expect(stats.refused).toBe(0);
      expect(stats.failed).toBe(0);
      expect(stats.deferred).toBeGreaterThan(0);
      expect(stats.waiting).toBe(0);
      expect(await storedMessages()).toBeGreaterThan(before); // packed: fewer messages than envelopes
    } finally {
      await client.endAsync(true);
      await small.close();
    }
  });
});
