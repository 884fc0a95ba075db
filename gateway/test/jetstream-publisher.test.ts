import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TELEMETRY_STREAM } from "@lifeline/contracts";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JetStreamPublisher } from "../src/jetstream-publisher.ts";
import { type NatsServerProcess, startNatsServer } from "../src/nats-server-process.ts";
import { ensureStreams } from "../src/streams.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-jspub-"));
let server: NatsServerProcess;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  await ensureStreams(await jetstreamManager(nc));
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("JetStreamPublisher", () => {
  it("stores each message id once and says when a publish was a duplicate", async () => {
    const publisher = new JetStreamPublisher(nc, 2_000);
    const data = new TextEncoder().encode("{}");
    const acks = await Promise.all(
      ["a", "b", "a", "c"].map((id) => publisher.publish("tlm.s.g.d", data, `jspub-${id}`)),
    );
    expect(acks.map((a) => a.duplicate)).toEqual([false, false, true, false]);
    expect(acks[2]?.seq).toBe(acks[0]?.seq);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(TELEMETRY_STREAM)).state.messages).toBe(3);
    expect(publisher.inflight).toBe(0);
    publisher.close();
  });

  it("rejects a subject no stream takes, naming the answer", async () => {
    const publisher = new JetStreamPublisher(nc, 2_000);
    await expect(publisher.publish("nostream.x", new Uint8Array(), "x-1")).rejects.toThrow("JetStream answered 503");
    publisher.close();
  });

  it("rejects what is not answered in time, and everything in flight when closed", async () => {
    const publisher = new JetStreamPublisher(nc, 300);
    await server.stop();
    const late = publisher.publish("tlm.s.g.d", new Uint8Array(), "late-1");
    await expect(late).rejects.toThrow("no PubAck from JetStream in 300 ms");
    const open = publisher.publish("tlm.s.g.d", new Uint8Array(), "late-2");
    publisher.close();
    await expect(open).rejects.toThrow("the gateway is closing");
    server = await startNatsServer({ storeDir: join(dir, "nats"), port: server.port });
  });
});
