import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CLICKHOUSE_SINK_CONSUMER, type Logger, silentLogger, TELEMETRY_STREAM } from "@lifeline/contracts";
import { type AgentConfigInput, type EdgeAgent, startEdgeAgent } from "@lifeline/edge-agent";
import { type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { ModbusTcpServer } from "@lifeline/simulators";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { freePort } from "../src/free-port.ts";
import { LifelineProcess } from "./lifeline-process.ts";

export interface ChaosRigOptions {
  dir: string;
  /** Simulated Modbus devices, each polled every `pollMs`, each poll one envelope of `points` readings. */
  devices: number;
  points: number;
  pollMs: number;
  /** The agent's journal budget (bytes); the smallest allowed is 1 MiB. */
  journalBytes?: number;
  /** NATS URLs of an external cluster; without, the rig runs one nats-server itself. */
  natsUrls?: string[];
  replicas?: number;
  log?: Logger;
}

/**
 * A whole Lifeline pipeline as separate processes, so that each can be killed on its own:
 * simulated Modbus devices → edge agent (in this process, with its journal) → `lifeline gateway`
 * (child) → nats-server (child) → `lifeline processor` (child, embedded ClickHouse).
 */
export class ChaosRig {
  readonly o: ChaosRigOptions;
  readonly devices: ModbusTcpServer[] = [];
  nats: NatsServerProcess | undefined;
  natsPort = 0;
  natsUrls: string[] = [];
  gateway!: LifelineProcess;
  processor!: LifelineProcess;
  agent!: EdgeAgent;
  mqttPort = 0;
  #client: NatsConnection | undefined;

  constructor(options: ChaosRigOptions) {
    this.o = options;
  }

  get clickhouseDir(): string {
    return join(this.o.dir, "clickhouse");
  }

  async start(): Promise<void> {
    mkdirSync(this.o.dir, { recursive: true });
    if (this.o.natsUrls === undefined) await this.startNats();
    else this.natsUrls = this.o.natsUrls;
    const nats = this.natsUrls.join(",");
    // A fixed port: a restarted gateway comes back where the agent reconnects.
    this.mqttPort = await freePort("127.0.0.1");
    const replicas = String(this.o.replicas ?? 1);
    this.gateway = new LifelineProcess("gateway", [
      ...["gateway", "--nats", nats, "--mqtt-port", String(this.mqttPort), "--replicas", replicas],
    ]);
    await this.gateway.start();
    this.processor = new LifelineProcess(
      "processor",
      ["processor", "--nats", nats, "--data", this.clickhouseDir, "--linger", "100"],
      // Inserts a kill cut off, completed at the next start (stream-processor's PendingInserts), and
      // the readings their tables lacked and were given then.
      {
        counts: {
          resent: /inserts not seen committed completed inserts=(\d+)/,
          repaired: /an insert cut off by a crash completed .*\breadings=(\d+)/,
        },
      },
    );
    await this.processor.start();
    for (let i = 0; i < this.o.devices; i++) {
      const device = new ModbusTcpServer();
      for (let p = 0; p < this.o.points; p++) device.bank(1).setFloat32("holding", p * 2, i * 100 + p);
      await device.listen();
      this.devices.push(device);
    }
    this.agent = await startEdgeAgent(this.agentConfig(), {
      dataDir: join(this.o.dir, "agent"),
      log: this.o.log ?? silentLogger,
      stopDrainMs: 120_000,
    });
  }

  agentConfig(): AgentConfigInput {
    return {
      site: "chaos",
      gateway: "gw-chaos",
      uplink: { mqtt: { url: `mqtt://127.0.0.1:${this.mqttPort}`, clientId: "gw-chaos" } },
      devices: this.devices.map((d, i) => ({
        id: `dev-${String(i).padStart(3, "0")}`,
        type: "modbus" as const,
        connection: { host: "127.0.0.1", port: d.port },
        pollIntervalMs: this.o.pollMs,
        points: Array.from({ length: this.o.points }, (_, p) => ({
          name: `p${p}`,
          metric: `m${p}`,
          address: p * 2,
          datatype: "float32" as const,
        })),
      })),
      journal: { maxBytes: this.o.journalBytes ?? 64 * 1024 ** 2, fsync: "interval", fsyncIntervalMs: 200 },
    };
  }

  async startNats(): Promise<void> {
    // As `lifeline up` runs it: every message on disk before JetStream acknowledges it.
    this.nats = await startNatsServer({ storeDir: join(this.o.dir, "nats"), port: this.natsPort, sync: "always" });
    this.natsPort = this.nats.port;
    this.natsUrls = [this.nats.url];
  }

  /** A NATS client of the harness itself, to watch the consumer. */
  async client(): Promise<NatsConnection> {
    this.#client ??= await connect({ servers: this.natsUrls, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    return this.#client;
  }

  /** Waits until the ClickHouse sink consumer has nothing pending or unacknowledged. */
  async processorCaughtUp(timeoutMs = 120_000): Promise<void> {
    // No account check up front: right after a cluster node died it can time out, and the loop
    // below retries what fails until the deadline.
    const jsm = await jetstreamManager(await this.client(), { checkAPI: false });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await jsm.consumers.info(TELEMETRY_STREAM, CLICKHOUSE_SINK_CONSUMER).catch(() => undefined);
      if (info !== undefined && info.num_pending === 0 && info.num_ack_pending === 0) return;
      if (Date.now() > deadline) {
        const state =
          info === undefined
            ? "no consumer info"
            : `${info.num_pending} pending, ${info.num_ack_pending} unacknowledged`;
        throw new Error(`the stream processor did not catch up: ${state}; its log ends:\n${this.processor?.log ?? ""}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    await this.#client?.close().catch(() => undefined);
    await this.processor?.stop();
    await this.gateway?.stop();
    await this.nats?.stop();
    for (const d of this.devices) await d.close();
  }
}
