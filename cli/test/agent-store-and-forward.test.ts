import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeEnvelope, type LifelineError, TELEMETRY_STREAM } from "@lifeline/contracts";
import { type AgentConfigInput, startEdgeAgent } from "@lifeline/edge-agent";
import { ensureStreams, type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { ModbusTcpServer } from "@lifeline/simulators";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/free-port.ts";

// The agent's journal and forwarder against a real nats-server (the NATS uplink): what is produced
// while the uplink is down waits on disk and arrives afterwards, once, also across an agent restart.

const dir = mkdtempSync(join(tmpdir(), "lifeline-saf-"));
let natsPort: number;
let server: NatsServerProcess | undefined;
let nc: NatsConnection;
const device = new ModbusTcpServer();

async function startNats() {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: natsPort });
}
beforeAll(async () => {
  natsPort = await freePort("127.0.0.1");
  await startNats();
  nc = await connect({ servers: `nats://127.0.0.1:${natsPort}`, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  await ensureStreams(await jetstreamManager(nc));
  device.bank(1).holding[0] = 42;
  await device.listen();
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
  await device.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const config = (gateway: string, url = `nats://127.0.0.1:${natsPort}`): AgentConfigInput => ({
  site: "flood-3",
  gateway,
  uplink: { nats: { url } },
  devices: [
    {
      id: `${gateway}-level`,
      type: "modbus",
      connection: { host: "127.0.0.1", port: device.port },
      pollIntervalMs: 50,
      points: [{ name: "Level", metric: "level", address: 0 }],
    },
  ],
});

/** Every envelope of `gateway` in the stream, as `bootId:seq`, in stream order. */
async function streamed(gateway: string): Promise<string[]> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(TELEMETRY_STREAM);
  const out: string[] = [];
  if (info.state.messages === 0) return out;
  const consumer = await js.consumers.get(TELEMETRY_STREAM, { filter_subjects: `tlm.flood-3.${gateway}.>` });
  const pending = (await consumer.info()).num_pending;
  if (pending === 0) return out;
  const messages = await consumer.fetch({ max_messages: pending, expires: 2_000 });
  for await (const m of messages) {
    const e = decodeEnvelope(m.data);
    out.push(`${e.bootId}:${e.seq}`);
    if (out.length === pending) break;
  }
  return out;
}

const expectAllOnce = (ids: string[], bootId: string, count: number) => {
  const mine = ids.filter((id) => id.startsWith(`${bootId}:`));
  expect(mine.length).toBe(count);
  expect(new Set(mine).size).toBe(count);
  expect(mine.map((id) => Number(id.split(":")[1])).sort((a, b) => a - b)).toEqual(
    Array.from({ length: count }, (_, i) => i),
  );
};

describe("store and forward", () => {
  it("keeps what is produced while NATS is down and delivers all of it, once, after", async () => {
    const agent = await startEdgeAgent(config("gw-outage"), { dataDir: join(dir, "a1"), bootId: "outage-boot" });
    await until("some envelopes delivered", () => agent.stats().uplink.acked >= 5);
    await server?.stop();
    const before = agent.stats().envelopes;
    await until("envelopes produced during the outage", () => agent.stats().envelopes >= before + 20);
    expect(agent.stats().journal.pending).toBeGreaterThanOrEqual(20);
    await startNats();
    await until("the journal drained", () => agent.stats().journal.pending === 0);
    await agent.stop();
    const stats = agent.stats();
    expect(stats.forwarder.backfilled).toBeGreaterThanOrEqual(20);
    expect(stats.journal.lostEnvelopes).toBe(0);
    expectAllOnce(await streamed("gw-outage"), "outage-boot", stats.envelopes);
  }, 60_000);

  it("delivers after a restart what an agent journaled but could not send", async () => {
    const deadPort = await freePort("127.0.0.1");
    const first = await startEdgeAgent(config("gw-restart", `nats://127.0.0.1:${deadPort}`), {
      dataDir: join(dir, "a2"),
      bootId: "boot-1",
      stopDrainMs: 100,
    });
    await until("envelopes journaled", () => first.stats().envelopes >= 10);
    await first.stop();
    const produced = first.stats().envelopes;
    expect(first.stats().uplink.acked).toBe(0);

    const second = await startEdgeAgent(config("gw-restart"), { dataDir: join(dir, "a2"), bootId: "boot-2" });
    await until("boot-1's envelopes forwarded", () => (second.stats().forwarder.forwarded.data ?? 0) >= produced);
    await second.stop();
    const ids = await streamed("gw-restart");
    expectAllOnce(ids, "boot-1", produced);
    expectAllOnce(ids, "boot-2", second.stats().envelopes);
    // The backlog is replayed in journal order (the live tail of boot-2 may go in between).
    const replayed = ids.filter((id) => id.startsWith("boot-1:")).map((id) => Number(id.split(":")[1]));
    expect(replayed).toEqual(Array.from({ length: produced }, (_, i) => i));
  }, 60_000);

  it("reads the uplink secret from a file: reference, and refuses to start when it is missing", async () => {
    const secret = join(dir, "nats-token");
    const withRef = (ref: string): AgentConfigInput => ({
      ...config("gw-secret"),
      uplink: { nats: { url: `nats://127.0.0.1:${natsPort}`, credentialsRef: ref } },
    });
    const error = await startEdgeAgent(withRef(`file:${secret}`), { dataDir: join(dir, "a3") }).catch((e) => e);
    expect((error as LifelineError).code).toBe("EDGE_SECRET_MISSING");
    expect((error as Error).message).toBe(`uplink.nats.credentialsRef: cannot read ${secret} (ENOENT)`);

    writeFileSync(secret, "s3cret-token\n");
    const agent = await startEdgeAgent(withRef(`file:${secret}`), { dataDir: join(dir, "a3") });
    await until("delivered with the token", () => agent.stats().uplink.acked >= 3);
    // A change whose secret cannot be read is refused as a whole; the running configuration stays.
    await expect(agent.apply(withRef("env:LIFELINE_TEST_UNSET_SECRET"))).rejects.toThrow(
      "uplink.nats.credentialsRef: environment variable LIFELINE_TEST_UNSET_SECRET is not set",
    );
    expect(agent.config().uplink.nats?.credentialsRef).toBe(`file:${secret}`);
    await agent.stop();
  }, 30_000);
});
