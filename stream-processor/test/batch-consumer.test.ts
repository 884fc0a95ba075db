import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@lifeline/contracts";
import { type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchConsumer } from "../src/batch-consumer.ts";
import type { StreamMessage } from "../src/jetstream-puller.ts";

// When a batch is handed over decides how large the inserts are: ClickHouse pays a fixed cost per
// insert besides its rows, so a batch must not be cut short behind an insert still in progress.

const dir = mkdtempSync(join(tmpdir(), "lifeline-batches-"));
let server: NatsServerProcess;
let nc: NatsConnection;
const LINGER_MS = 100;

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nc = await connect({ servers: server.url });
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A stream of its own, and a consumer on it whose first batch is held until `release` is called;
 * stopped when the test ends, or by `acknowledged`.
 */
async function consumerOn(stream: string, batchSize: number, onTestFinished: (stop: () => Promise<void>) => void) {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  const batches: { seqs: number[]; preparedWhileHeld: boolean }[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding = true;
  const consumer = new BatchConsumer<boolean>({
    nats: nc,
    jsm,
    stream,
    durable: "sink",
    batchSize,
    lingerMs: LINGER_MS,
    ackWaitMs: 30_000,
    retryDelayMs: 1_000,
    prepare: () => holding && batches.length > 0,
    handle: async (batch: StreamMessage[], preparedWhileHeld?: boolean) => {
      batches.push({ seqs: batch.map((m) => m.seq), preparedWhileHeld: preparedWhileHeld ?? false });
      if (batches.length === 1) {
        await held;
        holding = false;
      }
    },
    log: silentLogger,
  });
  await consumer.start();
  const publish = (n: number) => jetstream(nc).publish(`${stream}.m`, new Uint8Array([n]));
  const until = async (count: number) => {
    for (const started = Date.now(); batches.length < count; await sleep(10)) {
      if (Date.now() - started > 10_000) throw new Error(`${count} batches not handled: ${JSON.stringify(batches)}`);
    }
  };
  let stopped: Promise<void> | undefined;
  const stop = () => {
    release();
    stopped ??= consumer.stop();
    return stopped;
  };
  onTestFinished(stop);
  /** The stream sequence acknowledged up to, once the consumer stopped (and acked what it held). */
  const acknowledged = async () => {
    await stop();
    await nc.flush(); // the acks are published without waiting: the server has them after a round trip
    return (await jsm.consumers.info(stream, "sink")).ack_floor.stream_seq;
  };
  return { batches, publish, until, acknowledged, release: () => release() };
}

describe("BatchConsumer hands a batch over", () => {
  it("after lingerMs when nothing is being stored", async ({ onTestFinished }) => {
    const c = await consumerOn("LINGER", 100, onTestFinished);
    const started = Date.now();
    for (let i = 1; i <= 3; i++) await c.publish(i);
    await c.until(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LINGER_MS);
    expect(c.batches).toEqual([{ seqs: [1, 2, 3], preparedWhileHeld: false }]);
    expect(await c.acknowledged()).toBe(3);
  });

  it("only once the batch ahead is stored, while that one is being stored: one insert, not one per lingerMs", async ({
    onTestFinished,
  }) => {
    const c = await consumerOn("GATHER", 100, onTestFinished);
    await c.publish(1);
    await c.until(1); // held: being stored
    // Seven messages over five times lingerMs: handed over after lingerMs, the first would have
    // made a batch of what came in the first 100 ms, and the rest a third batch.
    for (let i = 2; i <= 8; i++) {
      await c.publish(i);
      await sleep(LINGER_MS * 0.7);
    }
    expect(c.batches).toHaveLength(1);
    c.release();
    await c.until(2);
    await sleep(3 * LINGER_MS);
    expect(c.batches).toEqual([
      { seqs: [1], preparedWhileHeld: false },
      { seqs: [2, 3, 4, 5, 6, 7, 8], preparedWhileHeld: false },
    ]);
    expect(await c.acknowledged()).toBe(8);
  });

  it("at once when it is full, and prepares it while the batch ahead is still being stored", async ({
    onTestFinished,
  }) => {
    const c = await consumerOn("FULL", 4, onTestFinished);
    await c.publish(1);
    await c.until(1);
    for (let i = 2; i <= 9; i++) await c.publish(i);
    await sleep(3 * LINGER_MS);
    expect(c.batches).toHaveLength(1); // the full batches wait for the one ahead
    c.release();
    await c.until(3);
    expect(c.batches).toEqual([
      { seqs: [1], preparedWhileHeld: false },
      { seqs: [2, 3, 4, 5], preparedWhileHeld: true },
      { seqs: [6, 7, 8, 9], preparedWhileHeld: false }, // gathered once the first was stored
    ]);
    expect(await c.acknowledged()).toBe(9);
  });
});
