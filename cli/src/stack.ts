import { join } from "node:path";
import { NatsModelRegistry } from "@lifeline/analytics";
import { type Alerting, buildApi, startAlerting } from "@lifeline/cloud-api";
import { alertRuleKey, type Logger } from "@lifeline/contracts";
import { type EdgeAgent, startEdgeAgent } from "@lifeline/edge-agent";
import {
  ensureStreams,
  type Gateway,
  type JetStreamSync,
  type NatsServerProcess,
  startGateway,
  startNatsServer,
} from "@lifeline/gateway";
import type { TelemetryStore } from "@lifeline/store";
import { type StreamProcessor, startStreamProcessor } from "@lifeline/stream-processor";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { FastifyInstance } from "fastify";
import { drainNats } from "./connect-nats.ts";
import { type DemoSite, startDemoSite } from "./demo-site.ts";
import { openStore, type StoreValues } from "./store-options.ts";

export interface StackOptions {
  /** NATS JetStream and ClickHouse data live below this folder. */
  dataDir: string;
  /** Store options (server, cluster, retention) as the command line gave them. */
  store?: StoreValues;
  host?: string;
  /** 0 picks free ports (tests). */
  natsPort?: number;
  /**
   * When JetStream forces its writes to disk (default `"always"`: before it acknowledges, so the
   * gateway's PUBACK survives a power cut); `"server"` leaves nats-server's default (every 2 minutes).
   */
  jetstreamSync?: JetStreamSync | "server";
  mqttPort?: number;
  apiPort?: number;
  demo?: boolean;
  demoPollIntervalMs?: number;
  batchSize?: number;
  lingerMs?: number;
  logger?: (component: string) => Logger;
  /** Check the API's answers against its OpenAPI document (tests; see `checkAnswers`). */
  checkAnswers?: boolean;
}

export interface Stack {
  natsUrl: string;
  mqttUrl: string;
  apiUrl: string;
  nats: NatsConnection;
  natsServer: NatsServerProcess;
  store: TelemetryStore;
  gateway: Gateway;
  processor: StreamProcessor;
  alerting: Alerting;
  api: FastifyInstance;
  demo: DemoSite | undefined;
  agent: EdgeAgent | undefined;
  /** Drains in order: the site stops producing, the gateway forwards what it has, the stream
   * processor stores and acknowledges it, then NATS and ClickHouse close. */
  stop(): Promise<void>;
}

/**
 * The single-node stack in one process: nats-server as a child, then the gateway, the stream
 * processor and the API around one embedded ClickHouse (chdb allows one process per data folder,
 * so the process that writes also answers queries).
 */
/**
 * Alert rules for the demo mine, so that `npm start` shows alerts: the 15-minute PM10 average
 * against limits in mg/m³ (the demo monitors report 0.10–0.21 over the day) and devices offline.
 * Put only when absent: an operator's edit through the API is kept across restarts.
 */
async function putDemoRules(alerting: Alerting, site: string): Promise<void> {
  const rules = [
    {
      id: "pm10-15min",
      device: "*",
      kind: "window",
      metric: "pm10",
      windowMs: 900_000,
      minSamples: 10,
      direction: "above",
      levels: { IV: 0.15, III: 0.2, II: 0.3, I: 0.5 },
      description: "PM10 15-minute average against the site limits (mg/m³)",
    },
    { id: "offline", device: "*", kind: "stale", levels: { IV: 300_000, II: 1_800_000 }, description: "No reading" },
  ];
  for (const rule of rules) {
    await alerting.ruleBucket
      .create(alertRuleKey(site, rule.id), JSON.stringify({ site, ...rule }))
      .catch((error: unknown) => {
        // create() refuses a key that exists: the rule was put before (or edited), keep it.
        if (!/wrong last sequence|exists/i.test(String(error))) throw error;
      });
  }
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const host = options.host ?? "127.0.0.1";
  const logger = options.logger ?? (() => ({ info() {}, warn() {}, error() {} }));
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    // Each step runs even when one before it failed; a failure is logged, not swallowed.
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) =>
        logger("lifeline").warn("a step of stopping failed", {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    }
    cleanups.length = 0;
  };
  try {
    const natsServer = await startNatsServer({
      storeDir: join(options.dataDir, "nats"),
      pidFile: join(options.dataDir, "nats-server.pid"),
      port: options.natsPort ?? 4222,
      host,
      ...(options.jetstreamSync !== "server" && { sync: options.jetstreamSync ?? "always" }),
    });
    cleanups.push(() => natsServer.stop());
    logger("nats").info("nats-server with JetStream started", {
      url: natsServer.url,
      pid: natsServer.pid,
      sync: natsServer.options.sync ?? "server default (2 min)",
    });

    const nats = await connect({
      servers: natsServer.url,
      name: "lifeline-stack",
      noAsyncTraces: true,
      maxReconnectAttempts: -1,
    });
    cleanups.push(() => drainNats(nats));
    await ensureStreams(await jetstreamManager(nats));

    const store = await openStore(options.store ?? {}, join(options.dataDir, "clickhouse"));
    cleanups.push(() => store.close());

    const processor = await startStreamProcessor({
      nats,
      store,
      batchSize: options.batchSize,
      lingerMs: options.lingerMs,
      pendingDir: join(options.dataDir, "pending-inserts"),
      alertRules: { stateFile: join(options.dataDir, "alert-rules.json") },
      models: await NatsModelRegistry.open(nats),
      log: logger("stream-processor"),
    });
    cleanups.push(() => processor.stop());

    const alerting = await startAlerting({
      nats,
      driver: store.driver,
      rules: processor.alertRules?.source(),
      log: logger("alerts"),
    });
    cleanups.push(() => alerting.stop());

    const gateway = await startGateway({ nats, port: options.mqttPort ?? 1883, host, log: logger("gateway") });
    cleanups.push(() => gateway.close());
    const mqttUrl = `mqtt://${host}:${gateway.port}`;

    const api = await buildApi({
      store,
      log: logger("cloud-api"),
      alerting,
      checkAnswers: options.checkAnswers ?? false,
      status: () => ({
        gateway: gateway.stats(),
        streamProcessor: processor.stats(),
        alerts: alerting.service.stats(),
        webhooks: alerting.dispatcher.allStats(),
      }),
    });
    await api.listen({ port: options.apiPort ?? 8080, host });
    cleanups.push(() => api.close());
    const address = api.server.address();
    const apiUrl = `http://${host}:${typeof address === "object" && address ? address.port : options.apiPort}`;

    let demo: DemoSite | undefined;
    let agent: EdgeAgent | undefined;
    if (options.demo) {
      demo = await startDemoSite({ pollIntervalMs: options.demoPollIntervalMs });
      await putDemoRules(alerting, demo.site);
      cleanups.push(() => (demo as DemoSite).stop());
      agent = await startEdgeAgent(demo.agentConfig(mqttUrl), {
        dataDir: join(options.dataDir, "agent"),
        log: logger("edge-agent"),
        env: { ...process.env, ...demo.env },
        // The camera's evidence (alert conditions, snapshots) goes to NATS directly, not over MQTT.
        evidenceNatsUrl: natsServer.url,
      });
      cleanups.push(() => (agent as EdgeAgent).stop());
      await demo.connectDialIns();
    }
    return {
      natsUrl: natsServer.url,
      mqttUrl,
      apiUrl,
      nats,
      natsServer,
      store,
      gateway,
      processor,
      alerting,
      api,
      demo,
      agent,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
