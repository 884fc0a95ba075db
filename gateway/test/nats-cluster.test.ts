import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TELEMETRY_STREAM } from "@lifeline/contracts";
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type PubAck,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { type NatsCluster, startNatsCluster } from "../src/nats-cluster.ts";
import { DEFAULT_STREAM_LIMITS, ensureStreams } from "../src/streams.ts";

const N = 3_000;
const IN_FLIGHT = 20;
const KILL_AFTER = 1_000;
const R3 = { ...DEFAULT_STREAM_LIMITS, replicas: 3 };

/** A cluster may take up to startNatsCluster's 120 s to start (it starts afresh when stuck). */
const CLUSTER_TEST_MS = 150_000;

const SCENARIOS = [
  { title: "the stream leader dies and the client's node stays up", kill: "leader", clientOn: "follower" },
  { title: "a follower dies", kill: "follower", clientOn: "leader" },
  { title: "the client's own node dies, and it is the stream leader", kill: "leader", clientOn: "leader" },
] as const;

type OnFinished = (fn: () => Promise<void>) => void;

/** A fresh cluster in its own temp dir, stopped and removed when the test finishes. */
async function cluster(onTestFinished: OnFinished): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), "lifeline-cluster-"));
  const started = await startNatsCluster({ dir, size: 3 });
  onTestFinished(async () => {
    await started.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return started;
}

/** One client with all URLs, `first` tried first so the test knows which node it is on. */
async function client(nodes: NatsCluster, first: number, onTestFinished: OnFinished): Promise<NatsConnection> {
  const servers = [nodes.urls[first] as string, ...nodes.urls.filter((_, i) => i !== first)];
  const nc = await connect({ servers, noRandomize: true, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  onTestFinished(() => nc.close()); // runs before the cluster stops: hooks run in reverse
  return nc;
}

async function streamLeader(jsm: JetStreamManager, nodes: NatsCluster): Promise<number> {
  const leader = (await jsm.streams.info(TELEMETRY_STREAM)).cluster?.leader;
  const index = nodes.servers.findIndex((s) => s.serverName === leader);
  if (index < 0) throw new Error(`no leader for ${TELEMETRY_STREAM}: ${leader}`);
  return index;
}

function publish(js: JetStreamClient, i: number): Promise<PubAck> {
  return js.publish(`tlm.heat-2.gw-h.dev-${i % 7}`, JSON.stringify({ i }), {
    msgID: `heat-2.gw-h.boot-a.${i}`,
    timeout: 1_000,
  });
}

interface Run {
  /** Final ack per message index. */
  acks: { seq: number; duplicate: boolean }[];
  /** Publish attempts that threw, and the distinct readings they were for. */
  retries: number;
  retriedReadings: number;
  /** What the failed attempts threw, by error message. */
  failures: Map<string, number>;
  /** Longest time without any ack, around the kill. */
  stallMs: number;
}

/** Publishes N readings IN_FLIGHT at a time, retrying each failed publish with its msgID. */
async function publishWhileKilling(js: JetStreamClient, kill: () => Promise<void>): Promise<Run> {
  const acks: Run["acks"] = [];
  const ackTimes: number[] = [];
  let next = 0;
  let retries = 0;
  const retried = new Set<number>();
  const failures = new Map<string, number>();
  let killing: Promise<void> | undefined;
  const deadline = Date.now() + 25_000;
  const worker = async () => {
    for (let i = next++; i < N; i = next++) {
      if (i === KILL_AFTER) killing = kill();
      for (;;) {
        try {
          const ack = await publish(js, i);
          acks[i] = { seq: ack.seq, duplicate: ack.duplicate };
          ackTimes.push(Date.now());
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          retries++;
          retried.add(i);
          const message = error instanceof Error ? error.message : String(error);
          failures.set(message, (failures.get(message) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await killing;
  const stallMs = Math.max(...ackTimes.slice(1).map((t, k) => t - (ackTimes[k] as number)));
  return { acks, retries, retriedReadings: retried.size, failures, stallMs };
}

function report(what: string, run: Run): void {
  const duplicates = run.acks.filter((a) => a.duplicate).length;
  const failures = [...run.failures].map(([message, count]) => `${count}× ${message}`).join(", ");
  console.info(
    `${what}: acks stalled ${run.stallMs} ms; ${run.retries} failed attempts for ${run.retriedReadings} readings ` +
      `(${failures}); ${duplicates} retries answered as duplicates`,
  );
}

async function eventually<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function storedMsgIds(js: JetStreamClient): Promise<string[]> {
  // Creating a consumer needs the meta leader; if it was on the killed node, it is elected 4–6 s
  // later, possibly after the stream's own leader. Short request timeouts retry soon after.
  const consumer = await eventually(() => js.consumers.get(TELEMETRY_STREAM), 20_000);
  const ids: string[] = [];
  for await (const m of await consumer.consume()) {
    ids.push(m.headers?.get("Nats-Msg-Id") ?? "");
    if (ids.length === N) break;
  }
  return ids;
}

/** Polls until both followers of the stream are current, i.e. the restarted node caught up. */
async function waitForFollowers(jsm: JetStreamManager, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const replicas = (await jsm.streams.info(TELEMETRY_STREAM).catch(() => undefined))?.cluster?.replicas ?? [];
    const current = replicas.filter((r) => r.current && !r.offline).map((r) => r.name);
    if (current.length === 2 || Date.now() > deadline) return current.sort();
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function expectExactlyOnce(nc: NatsConnection, run: Run, killed: string): Promise<void> {
  const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 1_000 });
  const info = await eventually(() => jsm.streams.info(TELEMETRY_STREAM), 20_000);
  expect(info.state.messages).toBe(N);
  expect(info.state.first_seq).toBe(1);
  expect(info.state.last_seq).toBe(N);
  // Every reading was acknowledged under its own sequence; a retry JetStream had already stored
  // came back as a duplicate of that sequence instead of adding a message.
  expect(run.acks.filter(Boolean)).toHaveLength(N);
  expect(new Set(run.acks.map((a) => a.seq)).size).toBe(N);
  expect(run.acks.filter((a) => a.duplicate).length).toBeLessThanOrEqual(run.retries);
  expect(info.cluster?.leader).toBeDefined();
  expect(info.cluster?.leader).not.toBe(killed);
  const js = jetstream(nc, { timeout: 1_000 });
  const ids = await storedMsgIds(js);
  expect(ids.map((id) => Number(id.split(".").at(-1))).sort((a, b) => a - b)).toEqual([...Array(N).keys()]);
  // Readings stored before the kill are still recognised after it, whichever node now leads:
  // a late replay from the edge is answered as a duplicate and adds nothing.
  for (const i of [0, KILL_AFTER - 1, N - 1]) {
    expect(await publish(js, i)).toEqual({ stream: TELEMETRY_STREAM, seq: run.acks[i]?.seq, duplicate: true });
  }
  expect((await jsm.streams.info(TELEMETRY_STREAM)).state.messages).toBe(N);
}

describe.concurrent("an R3 stream on a 3-node cluster stores every reading exactly once when a node dies", () => {
  it(
    "ensureStreams scales existing R1 streams to R3",
    async ({ onTestFinished }) => {
      const nodes = await cluster(onTestFinished);
      const jsm = await jetstreamManager(await client(nodes, 0, onTestFinished));
      await ensureStreams(jsm);
      expect((await jsm.streams.info(TELEMETRY_STREAM)).config.num_replicas).toBe(1);
      await ensureStreams(jsm, R3);
      expect((await jsm.streams.info(TELEMETRY_STREAM)).config.num_replicas).toBe(3);
      expect(await waitForFollowers(jsm, 10_000)).toHaveLength(2);
    },
    CLUSTER_TEST_MS,
  );

  for (const scenario of SCENARIOS) {
    it(`when ${scenario.title}`, { timeout: CLUSTER_TEST_MS + 60_000 }, async ({ onTestFinished }) => {
      const nodes = await cluster(onTestFinished);
      const setup = await jetstreamManager(await client(nodes, 0, onTestFinished));
      await ensureStreams(setup, R3);
      const leader = await streamLeader(setup, nodes);
      const follower = (leader + 1) % 3;
      const victim = scenario.kill === "leader" ? leader : follower;
      const nc = await client(nodes, scenario.clientOn === "leader" ? leader : follower, onTestFinished);
      const clientNode = nc.info?.server_name;
      const killed = nodes.servers[victim]?.serverName as string;

      const run = await publishWhileKilling(jetstream(nc, { timeout: 1_000 }), () => nodes.kill(victim));
      report(`${scenario.title} (${killed} killed, client on ${clientNode})`, run);

      if (clientNode === killed) expect(nc.info?.server_name).not.toBe(killed);
      else expect(nc.info?.server_name).toBe(clientNode);
      // The publishes in flight to a dead leader time out and are retried; a follower's death goes unnoticed.
      if (victim === leader) expect(run.retries).toBeGreaterThan(0);
      await expectExactlyOnce(nc, run, killed);

      const restarting = Date.now();
      await nodes.restart(victim);
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      let followers = await waitForFollowers(jsm, 10_000);
      let restarts = 1;
      // Usually current again within ~2 s. Under load (one run in five here with two busy cores; half
      // of CI's runs) nats-server 2.10.27 can leave the restarted node asking for catch-up every 3 s
      // ("Catchup may be stalled, will request again" in its debug log) while the leaders log no
      // request, for as long as it runs, after duplicate routes between them were resolved — likely
      // the lost pooled route fixed upstream in nats-server#8454 and #8527. A restart gives the node
      // fresh routes.
      while (!followers.includes(killed) && restarts < 3) {
        await nodes.restart(victim);
        restarts++;
        followers = await waitForFollowers(jsm, 15_000);
      }
      const took = Date.now() - restarting;
      console.info(`${scenario.title}: ${killed} current again after ${took} ms and ${restarts} restart(s)`);
      expect(followers).toHaveLength(2);
      expect(followers).toContain(killed);
    });
  }
});

describe("startNatsCluster", () => {
  it("starts the nodes afresh while JetStream cannot place a stream, and names the starts when time runs out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lifeline-cluster-"));
    try {
      // 1 ms per start: the probe is tried once, before any meta leader exists, so every start fails.
      const error = await startNatsCluster({ dir, size: 3, placementAttemptMs: 1, readyTimeoutMs: 4_000 }).catch(
        (e) => e,
      );
      expect(error.code).toBe("GATEWAY_NATS_SERVER_FAILED");
      expect(error.message).toMatch(
        /^JetStream cluster lifeline-\w{8} could not place a stream on all 3 nodes within /,
      );
      const starts = Number(/within \d+ ms \(start (\d+) of those tried within 4000 ms\) /.exec(error.message)?.[1]);
      expect(starts).toBeGreaterThanOrEqual(2);
      // Every node of every start was killed: none is left running from this folder.
      expect(spawnSync("pgrep", ["-f", dir], { encoding: "utf8" }).stdout).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
