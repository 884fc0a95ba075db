import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JetStreamPuller, parseAckSubject, type StreamMessage } from "../src/jetstream-puller.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-puller-"));
let server: NatsServerProcess;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "P", subjects: ["p.>"] });
  await jsm.consumers.add("P", { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 30_000_000_000 });
  const js = jetstream(nc);
  for (let i = 0; i < 10; i++) await js.publish(`p.${i}`, new Uint8Array(1_000).fill(i));
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("JetStreamPuller", () => {
  it("takes no more messages than asked, nor more bytes, and says what ended the pull", async () => {
    const got: StreamMessage[] = [];
    const puller = new JetStreamPuller(nc, "P", "c", (m) => got.push(m));
    try {
      expect(await puller.pull({ batch: 2, maxBytes: 1_000_000, expiresMs: 1_000 })).toEqual({
        received: 2,
        status: undefined,
      });
      expect(got.map((m) => [m.seq, m.subject, m.data.length, m.redelivered])).toEqual([
        [1, "p.0", 1_000, false],
        [2, "p.1", 1_000, false],
      ]);
      // 3,500 bytes hold three 1,000-byte messages (with their subjects and headers), not four.
      expect(await puller.pull({ batch: 100, maxBytes: 3_500, expiresMs: 1_000 })).toEqual({
        received: 3,
        status: 409,
      });
      expect(await puller.pull({ batch: 100, maxBytes: 1_000_000, expiresMs: 1_000 })).toEqual({
        received: 5,
        status: 408,
      });
      expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      for (const m of got) m.ack();
    } finally {
      puller.close();
    }
  });

  it("gets a message again after a negative ack, marked as redelivered", async () => {
    await jetstream(nc).publish("p.x", new Uint8Array([1, 2, 3]));
    const got: StreamMessage[] = [];
    const puller = new JetStreamPuller(nc, "P", "c", (m) => got.push(m));
    try {
      await puller.pull({ batch: 1, maxBytes: 1_000_000, expiresMs: 1_000 });
      got[0]?.nak(0);
      await puller.pull({ batch: 1, maxBytes: 1_000_000, expiresMs: 1_000 });
      expect(got.map((m) => [m.seq, m.redelivered])).toEqual([
        [11, false],
        [11, true],
      ]);
      got[1]?.ack();
    } finally {
      puller.close();
    }
  });

  it("ends at once, empty, with 503 for a consumer that does not exist (nats-server's no responders)", async () => {
    const puller = new JetStreamPuller(nc, "P", "nobody", () => undefined);
    try {
      const started = performance.now();
      // An expiry far above the bound, so that a loaded machine's slow answer is not mistaken for waiting.
      const result = await puller.pull({ batch: 1, maxBytes: 1_000_000, expiresMs: 10_000 });
      expect(result).toEqual({ received: 0, status: 503 });
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      puller.close();
    }
  });

  it("ends on its own side, empty, when the request is taken and never answered", async () => {
    // Something that takes pull requests and never answers them, as a server that lost one would.
    const silent = nc.subscribe("$JS.API.CONSUMER.MSG.NEXT.P.silent");
    await nc.flush();
    const puller = new JetStreamPuller(nc, "P", "silent", () => undefined);
    try {
      const started = performance.now();
      const result = await puller.pull({ batch: 1, maxBytes: 1_000_000, expiresMs: 1_000 });
      expect(result).toEqual({ received: 0, status: undefined });
      expect(performance.now() - started).toBeGreaterThanOrEqual(1_150); // the expiry and 200 ms
      expect(silent.getReceived()).toBe(1);
    } finally {
      puller.close();
      silent.unsubscribe();
    }
  });

  it("reads the delivery facts from both ack subject forms", () => {
    expect(parseAckSubject("$JS.ACK.TLM.sink.3.1042.977.1732890000000000000.12")).toEqual({
      deliveryCount: 3,
      streamSeq: 1042,
    });
    expect(parseAckSubject("$JS.ACK.hub.ACCHASH.TLM.sink.1.7.7.1732890000000000000.0.rnd")).toEqual({
      deliveryCount: 1,
      streamSeq: 7,
    });
  });
});
