import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeEnvelope,
  decodePack,
  type Envelope,
  encodeBinaryEnvelope,
  isBinaryEnvelope,
  isPackSubject,
  TELEMETRY_STREAM,
  telemetryTopic,
} from "@lifeline/contracts";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import mqtt from "mqtt";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { JetStreamPublisher } from "../src/jetstream-publisher.ts";
import { type Gateway, startGateway } from "../src/mqtt-gateway.ts";
import { type NatsServerProcess, startNatsServer } from "../src/nats-server-process.ts";
import { ensureStreams } from "../src/streams.ts";
import { TelemetryPacker } from "../src/telemetry-packer.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-pack-"));
let server: NatsServerProcess;
let nats: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nats = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  await ensureStreams(await jetstreamManager(nats));
});
beforeEach(async () => {
  await (await jetstreamManager(nats)).streams.purge(TELEMETRY_STREAM);
});
afterAll(async () => {
  await nats?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const envelope = (device: string, seq: number, readings = 3): Envelope => ({
  v: 1,
  site: "water-1",
  gateway: "gw-w",
  device,
  bootId: "boot-p",
  seq,
  readings: Array.from({ length: readings }, (_, i) => ({
    metric: `m${i}`,
    ts: Date.UTC(2026, 10, 1) + seq,
    value: seq + i / 10,
    unit: "bar",
    quality: "good" as const,
  })),
});

/**
 * Stops nats-server and waits until the kernel says it is stopped (state T in /proc): a thread in
 * an uninterruptible write (fsync under CI load) stops only when the write returns, and a test
 * that publishes before then gets its PubAck after all.
 */
async function stopServer(): Promise<void> {
  process.kill(server.pid, "SIGSTOP");
  for (const until = Date.now() + 10_000; Date.now() < until; ) {
    const stat = readFileSync(`/proc/${server.pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("T")) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`nats-server ${server.pid} did not stop within 10 s`);
}

interface StoredEntry {
  /** JSON as it came, or "binary" for an envelope in the binary form. */
  form: "json" | "binary";
  /** The envelope it holds, decoded (JSON.stringify'd, so that entries compare as strings). */
  text: string;
  resend: boolean;
}

function storedEntry(payload: Uint8Array, resend: boolean): StoredEntry {
  const form = isBinaryEnvelope(payload) ? "binary" : "json";
  return { form, text: JSON.stringify(decodeEnvelope(payload)), resend };
}

/** Every message in the telemetry stream: its subject and, for packs, the entries. */
async function streamContents(): Promise<{ subject: string; entries: StoredEntry[] }[]> {
  const jsm = await jetstreamManager(nats);
  const { state } = await jsm.streams.info(TELEMETRY_STREAM);
  const out = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(TELEMETRY_STREAM, { seq });
    if (m === null) continue;
    const entries = isPackSubject(m.subject)
      ? decodePack(m.data).map((e) => storedEntry(e.payload, e.resend))
      : [storedEntry(m.data, false)];
    out.push({ subject: m.subject, entries });
  }
  return out;
}

describe("the gateway packs many MQTT messages into one JetStream message", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ nats, port: 0, profiles: false, pack: { maxBytes: 4_096 } });
  });
  afterAll(async () => gateway?.close());

  it("stores every envelope once, in packs and in the binary form, and acknowledges each publish", async () => {
    const clients = await Promise.all(
      [0, 1, 2, 3].map((c) => mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: `meter-${c}` })),
    );
    try {
      const sent: string[] = [];
      const acks: Promise<unknown>[] = [];
      for (let seq = 0; seq < 50; seq++) {
        for (const [c, client] of clients.entries()) {
          const e = envelope(`meter-${c}`, seq);
          sent.push(JSON.stringify(e));
          acks.push(client.publishAsync(telemetryTopic(e), JSON.stringify(e), { qos: 1 }));
        }
      }
      await Promise.all(acks);
      const contents = await streamContents();
      const stats = gateway.stats();
      expect(stats.stored).toBe(200);
      expect(stats.packs).toBe(contents.length);
      // Fewer messages than envelopes, and no pack over the byte limit's worth of envelopes.
      expect(contents.length).toBeLessThan(200);
      expect(contents.every((m) => m.subject === "tlm._pack.water-1")).toBe(true);
      const packed = contents.flatMap((m) => m.entries.map((e) => e.text));
      expect(packed.sort()).toEqual([...sent].sort());
      expect(contents.flatMap((m) => m.entries).every((e) => !e.resend && e.form === "binary")).toBe(true);
    } finally {
      await Promise.all(clients.map((c) => c.endAsync()));
    }
  });

  it("marks an envelope sent with the MQTT DUP flag as a possible resend", async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: "agent-dup" });
    try {
      const e = envelope("pump-1", 7);
      await client.publishAsync(telemetryTopic(e), JSON.stringify(e), { qos: 1, dup: true });
      expect(await streamContents()).toEqual([
        { subject: "tlm._pack.water-1", entries: [{ form: "binary", text: JSON.stringify(e), resend: true }] },
      ]);
    } finally {
      await client.endAsync();
    }
  });

  it("packs an envelope sent in the binary form as it came", async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: "agent-bin" });
    try {
      const e = envelope("pump-3", 4);
      const sent = encodeBinaryEnvelope(e);
      await client.publishAsync(telemetryTopic(e), sent, { qos: 1 });
      const jsm = await jetstreamManager(nats);
      const m = await jsm.streams.getMessage(TELEMETRY_STREAM, {
        seq: (await jsm.streams.info(TELEMETRY_STREAM)).state.last_seq,
      });
      expect(decodePack(m?.data ?? new Uint8Array()).map((entry) => Buffer.from(entry.payload))).toEqual([sent]);
    } finally {
      await client.endAsync();
    }
  });

  it("publishes an envelope too large for a pack alone, under its own message id, as it came", async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: "agent-big" });
    try {
      const big = envelope("pump-2", 1, 200); // over the 4 kB pack limit in either form
      expect(encodeBinaryEnvelope(big).byteLength).toBeGreaterThan(4_096);
      await client.publishAsync(telemetryTopic(big), JSON.stringify(big), { qos: 1 });
      await client.publishAsync(telemetryTopic(big), JSON.stringify(big), { qos: 1 });
      const contents = await streamContents();
      expect(contents.map((m) => m.subject)).toEqual(["tlm.water-1.gw-w.pump-2"]);
      expect(contents[0]?.entries).toEqual([{ form: "json", text: JSON.stringify(big), resend: false }]);
      expect(gateway.stats().duplicates).toBe(1);
    } finally {
      await client.endAsync();
    }
  });
});

describe("a gateway whose packs keep JSON (pack.binary false)", () => {
  it("packs each envelope with the bytes its device sent", async () => {
    const gateway = await startGateway({ nats, port: 0, profiles: false, pack: { binary: false } });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: "meter-json" });
    try {
      const e = envelope("meter-j", 2);
      await client.publishAsync(telemetryTopic(e), JSON.stringify(e), { qos: 1 });
      expect(await streamContents()).toEqual([
        { subject: "tlm._pack.water-1", entries: [{ form: "json", text: JSON.stringify(e), resend: false }] },
      ]);
    } finally {
      await client.endAsync();
      await gateway.close();
    }
  });
});

/** Adds an envelope of site water-1; settles when its pack was stored, or could not be. */
function added(packer: TelemetryPacker, e: Envelope): Promise<void> {
  return new Promise((resolve, reject) =>
    packer.add("water-1", Buffer.from(JSON.stringify(e)), false, (error) => (error ? reject(error) : resolve())),
  );
}

describe("a pack whose PubAck is lost", () => {
  it("is published again under the same message id and stored once", async () => {
    const publisher = new JetStreamPublisher(nats, 300);
    const packer = new TelemetryPacker({ publisher, instance: "gw-test", attempts: 8, isConnected: () => true });
    try {
      // The server stops reading until the pack has gone out twice more without a PubAck; it then
      // takes all three copies, the later ones as duplicates of the first. (Waiting for the retries
      // rather than a fixed time: on a loaded machine a fixed second may not cover the deadline.)
      await stopServer();
      const done = Promise.all([0, 1, 2].map((seq) => added(packer, envelope("v-1", seq))));
      for (const until = Date.now() + 20_000; packer.stats().retries < 2 && Date.now() < until; )
        await new Promise((r) => setTimeout(r, 20));
      process.kill(server.pid, "SIGCONT");
      await done;
      const stats = packer.stats();
      expect(stats.packs).toBe(1);
      expect(stats.packed).toBe(3);
      expect(stats.retries).toBeGreaterThanOrEqual(2);
      expect(stats.duplicatePacks).toBe(1);
      const contents = await streamContents();
      expect(contents.length).toBe(1);
      expect(contents[0]?.entries.length).toBe(3);
    } finally {
      process.kill(server.pid, "SIGCONT");
      publisher.close();
    }
  });

  it("is published again while no stream answers (a leader election), and stored once it does", async () => {
    const publisher = new JetStreamPublisher(nats, 2_000);
    const packer = new TelemetryPacker({ publisher, instance: "gw-test3", attempts: 5, isConnected: () => true });
    const jsm = await jetstreamManager(nats);
    try {
      await jsm.streams.delete(TELEMETRY_STREAM); // 503 no responders, as while a stream has no leader
      const done = added(packer, envelope("v-3", 0));
      await new Promise((r) => setTimeout(r, 250));
      await ensureStreams(jsm);
      await done;
      expect(packer.stats().retries).toBeGreaterThanOrEqual(1);
      expect(packer.stats().packs).toBe(1);
      expect((await streamContents()).map((m) => m.entries.length)).toEqual([1]);
    } finally {
      await ensureStreams(jsm);
      publisher.close();
    }
  });

  it("fails every envelope of the pack when the attempts run out", async () => {
    const publisher = new JetStreamPublisher(nats, 200);
    const packer = new TelemetryPacker({ publisher, instance: "gw-test2", attempts: 2, isConnected: () => true });
    try {
      await stopServer();
      const results = await Promise.allSettled([0, 1].map((seq) => added(packer, envelope("v-2", seq))));
      expect(results.map((r) => (r.status === "rejected" ? (r.reason as { code: string }).code : "ok"))).toEqual([
        "GATEWAY_JETSTREAM_NO_PUBACK",
        "GATEWAY_JETSTREAM_NO_PUBACK",
      ]);
      expect(packer.stats().retries).toBe(1);
    } finally {
      process.kill(server.pid, "SIGCONT");
      publisher.close();
    }
  });
});
