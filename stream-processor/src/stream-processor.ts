import type { ModelRegistry } from "@lifeline/analytics";
import {
  CLICKHOUSE_SINK_CONSUMER,
  type Logger,
  QUARANTINE_SINK_CONSUMER,
  QUARANTINE_STREAM,
  silentLogger,
  TELEMETRY_STREAM,
} from "@lifeline/contracts";
import type { TelemetryStore } from "@lifeline/store";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { AlertRulesConsumer, type AlertRulesStats } from "./alert-rules-consumer.ts";
import { BatchConsumer, type BatchConsumerStats } from "./batch-consumer.ts";
import { InferenceRunner, type InferenceStats } from "./inference/inference-runner.ts";
import { loadOnnxScorer } from "./inference/onnx-scorer-loader.ts";
import { PendingInserts } from "./pending-inserts.ts";
import { quarantineSink } from "./quarantine-sink.ts";
import { emptyTelemetrySinkStats, type TelemetrySinkStats, telemetrySink } from "./telemetry-sink.ts";

export interface StreamProcessorOptions {
  nats: NatsConnection;
  store: TelemetryStore;
  /** Messages per ClickHouse insert. Larger batches insert faster; ClickHouse likes ≥ 1000 rows. */
  batchSize?: number;
  /** Longest time a reading waits in a partial batch. */
  lingerMs?: number;
  /**
   * JetStream redelivers what was not acknowledged within this time: how fast a batch held by a
   * crashed processor comes back, and how long a message may wait here under load (default 15 s).
   */
  ackWaitMs?: number;
  retryDelayMs?: number;
  /**
   * Readings older than this are checked against ClickHouse before they are written, because
   * JetStream's duplicate window no longer drops a replay that old (default: 2 h, the stream's window).
   */
  replayCheckAfterMs?: number;
  /**
   * A folder where each telemetry insert is kept until ClickHouse committed it, so that an insert a
   * crash cut off between the raw table and the rollups is completed at the next start. Without it
   * the rollups can miss such a batch (raw never does).
   */
  pendingDir?: string | undefined;
  /**
   * Runs the alert rule engine on the telemetry stream (its own durable consumer), with its state
   * kept in `stateFile`. Off when absent.
   */
  alertRules?:
    | { stateFile?: string | undefined; tickMs?: number; graceMs?: number; inference?: InferenceRunner | undefined }
    | undefined;
  /**
   * Serve the active versions of the models in this registry on the live stream (with the rule
   * engine's consumer: needs `alertRules`).
   */
  models?: ModelRegistry | undefined;
  log?: Logger;
}

export interface StreamProcessorStats {
  telemetry: TelemetrySinkStats & BatchConsumerStats;
  quarantine: { quarantined: number } & BatchConsumerStats;
  alertRules?: AlertRulesStats;
  models?: InferenceStats;
}

export interface StreamProcessor {
  stats(): StreamProcessorStats;
  /** The rule engine's consumer, when `alertRules` was given. */
  readonly alertRules: AlertRulesConsumer | undefined;
  /** Stops pulling, stores and acknowledges what was received. */
  stop(): Promise<void>;
}

/** Starts the durable consumers that write telemetry and quarantined payloads into ClickHouse. */
export async function startStreamProcessor(options: StreamProcessorOptions): Promise<StreamProcessor> {
  const log = options.log ?? silentLogger;
  const jsm = await jetstreamManager(options.nats);
  const common = {
    nats: options.nats,
    jsm,
    batchSize: options.batchSize ?? 5_000,
    lingerMs: options.lingerMs ?? 250,
    ackWaitMs: options.ackWaitMs ?? 15_000,
    retryDelayMs: options.retryDelayMs ?? 1_000,
    log,
  };
  const tlmStats: TelemetrySinkStats = emptyTelemetrySinkStats();
  const qrnStats = { quarantined: 0 };
  const sink = telemetrySink(options.store, tlmStats, {
    replayCheckAfterMs: options.replayCheckAfterMs ?? 2 * 60 * 60 * 1000,
    pending: options.pendingDir === undefined ? undefined : new PendingInserts(options.pendingDir),
    log,
  });
  const telemetry = new BatchConsumer({
    ...common,
    stream: TELEMETRY_STREAM,
    durable: CLICKHOUSE_SINK_CONSUMER,
    handle: sink,
    // Decoding and encoding the next batch overlaps the insert of the one before.
    prepare: sink.prepare,
  });
  const quarantine = new BatchConsumer({
    ...common,
    stream: QUARANTINE_STREAM,
    durable: QUARANTINE_SINK_CONSUMER,
    handle: quarantineSink(options.store, qrnStats),
  });
  const inference =
    options.models === undefined || options.alertRules === undefined
      ? undefined
      : new InferenceRunner({ registry: options.models, loadScorer: loadOnnxScorer, log });
  await inference?.start();
  const alertRules =
    options.alertRules === undefined
      ? undefined
      : new AlertRulesConsumer({ nats: options.nats, jsm, log, inference, ...options.alertRules });
  await telemetry.start();
  await quarantine.start();
  await alertRules?.start();
  log.info("stream processor consuming", {
    streams: [TELEMETRY_STREAM, QUARANTINE_STREAM],
    alertRules: alertRules?.rules().length ?? "off",
  });
  return {
    alertRules,
    stats: () => ({
      telemetry: { ...tlmStats, ...telemetry.stats() },
      quarantine: { ...qrnStats, ...quarantine.stats() },
      ...(alertRules === undefined ? {} : { alertRules: alertRules.stats() }),
      ...(inference === undefined ? {} : { models: inference.stats() }),
    }),
    async stop() {
      await Promise.all([telemetry.stop(), quarantine.stop(), alertRules?.stop()]);
      await inference?.stop();
    },
  };
}
