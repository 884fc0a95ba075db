import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { GatewayError } from "./gateway-error.ts";
import { type JetStreamSync, type NatsServerProcess, pickFreePorts, startNatsServer } from "./nats-server-process.ts";

export interface NatsClusterOptions {
  /** Each node keeps its JetStream store in `<dir>/<name>/` and its pid in `<dir>/<name>.pid`. */
  dir: string;
  /** Number of nodes; 3 tolerates losing one with R3 streams. */
  size?: number;
  host?: string;
  /** Random by default, so that clusters started side by side never join each other by a stray route. */
  clusterName?: string;
  binary?: string;
  /**
   * How long every node may take to listen and JetStream to accept a stream replicated on all of
   * them; default 120 s (up to six starts of `placementAttemptMs`).
   */
  readyTimeoutMs?: number;
  /**
   * How long one start may wait for JetStream to place a stream on every node before the nodes
   * are killed and started afresh (see `startNatsCluster`); default 20 s.
   */
  placementAttemptMs?: number;
  /**
   * Each node's JetStream sync (`NatsServerOptions.sync`). Unset: nats-server's default — the
   * replicas, on machines of their own in production, are a cluster's durability.
   */
  sync?: JetStreamSync;
}

export interface NatsCluster {
  /** Node `i` is named `n<i+1>`; `restart(i)` replaces its entry. */
  readonly servers: readonly NatsServerProcess[];
  /** Client URLs of all nodes, for `connect({ servers: urls })`; they survive restarts. */
  readonly urls: readonly string[];
  stop(): Promise<void>;
  /** SIGKILL node `i`, for fault injection. */
  kill(index: number): Promise<void>;
  /** Starts node `i` again on its ports and store; it catches up with the others by itself. */
  restart(index: number): Promise<NatsServerProcess>;
}

const PROBE_STREAM = "LIFELINE_CLUSTER_PROBE";

/**
 * Starts `size` JetStream nodes on `host` that route to each other, and resolves once the
 * cluster can place a stream with one replica on every node — i.e. a meta leader was elected
 * and every node joined.
 *
 * A fresh cluster normally takes 2.5–4 s here. About one start in forty (nats-server 2.10.27,
 * seen in CI and reproduced by starting clusters in a loop) never gets there: every node names
 * the same meta leader, and the leader answers "no suitable peers for placement" for as long as
 * it runs (120 s tried). Waiting does not help and a new start does, so a start that cannot place
 * the probe within `placementAttemptMs` is killed, its empty stores removed, and the nodes
 * started again on fresh ports until `readyTimeoutMs` has passed. Under a loaded CI machine three
 * starts in a row stayed stuck once (2026-12-02, when 60 s allowed three): hence 120 s.
 */
export async function startNatsCluster(options: NatsClusterOptions): Promise<NatsCluster> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const attemptMs = options.placementAttemptMs ?? 20_000;
  const deadline = Date.now() + readyTimeoutMs;
  const size = options.size ?? 3;
  for (let attempt = 1; ; attempt++) {
    const clusterName = options.clusterName ?? `lifeline-${randomUUID().slice(0, 8)}`;
    const servers = await startNodes(options, clusterName, readyTimeoutMs);
    const left = deadline - Date.now();
    try {
      const start = `start ${attempt} of those tried within ${readyTimeoutMs} ms`;
      await waitForJetStream(servers, clusterName, Math.max(0, Math.min(attemptMs, left)), start);
      return clusterOf(servers);
    } catch (error) {
      await Promise.all(servers.map((s) => s.kill()));
      if (Date.now() >= deadline) throw error;
      // Nothing was stored: the probe is all a start writes, and it was never placed.
      for (let i = 0; i < size; i++) rmSync(join(options.dir, `n${i + 1}`), { recursive: true, force: true });
    }
  }
}

function clusterOf(servers: NatsServerProcess[]): NatsCluster {
  const urls = servers.map((s) => s.url);
  return {
    servers,
    urls,
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
    },
    async kill(index) {
      await node(servers, index).kill();
    },
    async restart(index) {
      const restarted = await node(servers, index).restart();
      servers[index] = restarted;
      return restarted;
    },
  };
}

const START_ATTEMPTS = 3;

/**
 * Ports are picked up front because each node's routes name the others. Another process can
 * take a picked port before its node binds it; the nodes then start again on fresh ports.
 */
async function startNodes(
  options: NatsClusterOptions,
  clusterName: string,
  readyTimeoutMs: number,
): Promise<NatsServerProcess[]> {
  const host = options.host ?? "127.0.0.1";
  const size = options.size ?? 3;
  for (let attempt = 1; ; attempt++) {
    const ports = await pickFreePorts(2 * size, host);
    const routePorts = ports.slice(size);
    const started = await Promise.allSettled(
      routePorts.map((routePort, i) =>
        startNatsServer({
          storeDir: join(options.dir, `n${i + 1}`),
          pidFile: join(options.dir, `n${i + 1}.pid`),
          port: ports[i] as number,
          host,
          ...(options.binary !== undefined && { binary: options.binary }),
          ...(options.sync !== undefined && { sync: options.sync }),
          startTimeoutMs: readyTimeoutMs,
          serverName: `n${i + 1}`,
          cluster: {
            name: clusterName,
            port: routePort,
            routes: routePorts.filter((_, j) => j !== i).map((p) => `nats://${host}:${p}`),
          },
        }),
      ),
    );
    const servers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const failed = started.find((s) => s.status === "rejected");
    if (failed === undefined) return servers;
    await Promise.all(servers.map((s) => s.kill()));
    const portTaken = /address already in use/.test(String(failed.reason?.message));
    if (!portTaken || attempt === START_ATTEMPTS) throw failed.reason;
  }
}

function node(servers: readonly NatsServerProcess[], index: number): NatsServerProcess {
  const server = servers[index];
  if (server === undefined) throw new RangeError(`no node ${index} in a cluster of ${servers.length}`);
  return server;
}

/** Adds and deletes a probe stream with one replica per node until that succeeds. */
async function waitForJetStream(
  servers: readonly NatsServerProcess[],
  clusterName: string,
  timeoutMs: number,
  start: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const nc = await connect({ servers: servers.map((s) => s.url), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  let lastError: unknown = new Error("not tried");
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2_000, checkAPI: false });
    do {
      try {
        await jsm.streams.add({
          name: PROBE_STREAM,
          subjects: ["_lifeline.cluster.probe"],
          storage: StorageType.Memory,
          num_replicas: servers.length,
        });
        await jsm.streams.delete(PROBE_STREAM);
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } while (Date.now() < deadline);
  } finally {
    await nc.close();
  }
  const nodes = servers.map((s) => `${s.serverName} (${s.url}) ${metaLeaderSeen(s.logTail())}`).join("; ");
  const logs = servers.map((s) => `--- ${s.serverName} ---\n${lastLines(s.logTail(), 8)}`).join("\n");
  const answer = lastError instanceof Error ? lastError.message : String(lastError);
  throw new GatewayError(
    "GATEWAY_NATS_SERVER_FAILED",
    `JetStream cluster ${clusterName} could not place a stream on all ${servers.length} nodes within ${timeoutMs} ms (${start}) ` +
      `(that needs a meta leader and every node joined): ${nodes}; last answer: ${answer}\n${logs}`,
    lastError,
  );
}

/** What a node's log says about the JetStream meta leader, for the start-up error. */
function metaLeaderSeen(log: string): string {
  const seen = [...log.matchAll(/(Self is new JetStream cluster metadata leader|new metadata leader: (\S+))/g)].at(-1);
  if (seen === undefined) return "has seen no meta leader";
  return seen[2] === undefined ? "is the meta leader" : `follows meta leader ${seen[2]}`;
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}
