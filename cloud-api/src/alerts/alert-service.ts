import { randomUUID } from "node:crypto";
import {
  ALERT_CONDITION_STREAM,
  ALERT_LIFECYCLE_CONSUMER,
  type AlertCondition,
  type AlertEvent,
  alertSubject,
  type Logger,
  silentLogger,
} from "@lifeline/contracts";
import type { AlertSilence, AlertStore } from "@lifeline/store";
import { BatchConsumer, type StreamMessage } from "@lifeline/stream-processor";
import { type JetStreamClient, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { AlertError } from "./alert-error.ts";
import { AlertLifecycle, type LifecycleOutput, type LifecyclePolicy } from "./alert-lifecycle.ts";

export interface AlertServiceOptions {
  nats: NatsConnection;
  store: AlertStore;
  policy?: Partial<LifecyclePolicy>;
  /** How often re-notification, flap settling and silence ends are looked at (default 1 s). */
  tickMs?: number;
  now?: () => number;
  log?: Logger;
}

export interface AlertServiceStats {
  conditions: number;
  /** Conditions that were not valid JSON conditions (kept in the stream, skipped here). */
  invalid: number;
  transitions: number;
  notified: number;
  failures: number;
}

export interface SilenceInput {
  site: string;
  device?: string | undefined;
  rule?: string | undefined;
  startsAt: number;
  endsAt: number;
  by: string;
  comment: string;
}

/**
 * The single writer of alert state. It consumes the rule engine's conditions, runs them through
 * the lifecycle, and makes each transition durable twice before acknowledging the conditions:
 * published to the ALERTS stream (the webhook outbox, message id = event id) and stored in
 * ClickHouse. Ids are deterministic, so a batch redelivered after a crash produces the same
 * events, which both hops drop as duplicates. Operator commands and clock work go through the
 * same queue, one at a time.
 */
export class AlertService {
  readonly #o: Required<Omit<AlertServiceOptions, "policy">> & { policy: Partial<LifecyclePolicy> };
  readonly #js: JetStreamClient;
  readonly #stats: AlertServiceStats = { conditions: 0, invalid: 0, transitions: 0, notified: 0, failures: 0 };
  #lifecycle: AlertLifecycle;
  #silences: AlertSilence[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #consumer: BatchConsumer | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(options: AlertServiceOptions, lifecycle: AlertLifecycle) {
    this.#o = {
      tickMs: 1_000,
      now: Date.now,
      log: silentLogger,
      policy: {},
      ...options,
    };
    this.#js = jetstream(options.nats);
    this.#lifecycle = lifecycle;
  }

  static async start(options: AlertServiceOptions): Promise<AlertService> {
    const lifecycle = new AlertLifecycle(options.policy, await options.store.latestPerKey());
    const service = new AlertService(options, lifecycle);
    await service.#reloadSilences();
    service.#consumer = new BatchConsumer({
      nats: options.nats,
      jsm: await jetstreamManager(options.nats),
      stream: ALERT_CONDITION_STREAM,
      durable: ALERT_LIFECYCLE_CONSUMER,
      batchSize: 500,
      lingerMs: 5,
      ackWaitMs: 30_000,
      retryDelayMs: 1_000,
      handle: (batch) => service.#enqueue(() => service.#conditions(batch)),
      log: service.#o.log,
    });
    await service.#consumer.start();
    service.#ticker = setInterval(() => {
      void service.#enqueue(() => service.#tick()).catch(() => undefined);
    }, service.#o.tickMs);
    return service;
  }

  stats(): AlertServiceStats {
    return { ...this.#stats };
  }

  /** Open alerts as this service holds them (newest first). */
  open(): AlertEvent[] {
    return this.#lifecycle.open();
  }

  acknowledge(alertId: string, by: string, note: string): Promise<AlertEvent> {
    return this.#command((l, now) => l.acknowledge(alertId, by, note, now));
  }

  resolve(alertId: string, by: string, note: string): Promise<AlertEvent> {
    return this.#command((l, now) => l.resolve(alertId, by, note, now));
  }

  close(alertId: string, by: string, note: string): Promise<AlertEvent> {
    return this.#command((l, now) => l.close(alertId, by, note, now));
  }

  silences(): AlertSilence[] {
    return [...this.#silences];
  }

  /** Adds a silence (maintenance window); alerts it covers are stored but not sent. */
  addSilence(input: SilenceInput): Promise<AlertSilence> {
    return this.#enqueue(async () => {
      const now = this.#o.now();
      const silence: AlertSilence = {
        id: randomUUID(),
        site: input.site,
        device: input.device ?? "",
        rule: input.rule ?? "",
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        by: input.by,
        comment: input.comment,
        createdAt: now,
      };
      await this.#o.store.putSilence(silence, now);
      await this.#reloadSilences();
      return silence;
    });
  }

  /** Ends a silence now; what it held back is sent at the next tick. */
  expireSilence(id: string): Promise<AlertSilence> {
    return this.#enqueue(async () => {
      const s = this.#silences.find((x) => x.id === id);
      if (s === undefined) throw new AlertError("ALERT_NOT_FOUND", `no active silence ${id}`, { silence: id });
      const now = this.#o.now();
      const ended = { ...s, endsAt: Math.max(s.startsAt, now) };
      await this.#o.store.putSilence(ended, Math.max(now, s.createdAt + 1));
      await this.#reloadSilences();
      return ended;
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#ticker);
    await this.#consumer?.stop();
    await this.#queue.catch(() => undefined);
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #conditions(batch: StreamMessage[]): Promise<void> {
    const outputs: LifecycleOutput[] = [];
    for (const m of batch) {
      const condition = parseCondition(m.data);
      if (condition === undefined) {
        this.#stats.invalid++;
        this.#o.log.warn("alert condition skipped: not a condition", { seq: m.seq, subject: m.subject });
        continue;
      }
      this.#stats.conditions++;
      outputs.push(...this.#lifecycle.applyCondition(condition));
    }
    await this.#persist(outputs);
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const now = this.#o.now();
    if (this.#silences.some((s) => s.endsAt <= now)) await this.#reloadSilences();
    await this.#persist(this.#lifecycle.tick(now));
  }

  #command(apply: (l: AlertLifecycle, now: number) => LifecycleOutput): Promise<AlertEvent> {
    return this.#enqueue(async () => {
      if (this.#stopped) throw new AlertError("ALERT_SERVICE_STOPPED", "the alert service is stopping");
      const output = apply(this.#lifecycle, this.#o.now());
      await this.#persist([output]);
      return output.event;
    });
  }

  /**
   * Outbox first, then ClickHouse: a crash in between leaves events that the replay produces
   * again with the same ids (JetStream drops them by message id; ClickHouse keeps one row per
   * transition however often it is written, see `AlertStore.insertEvents`). On a failure the
   * lifecycle is rebuilt from what ClickHouse holds, so that the retried work starts from there.
   */
  async #persist(outputs: readonly LifecycleOutput[]): Promise<void> {
    if (outputs.length === 0) return;
    try {
      // Sent together, not one round trip each: one connection keeps them in order in the stream.
      const notified = outputs.filter((o) => o.notify);
      await Promise.all(
        notified.map((o) => this.#js.publish(alertSubject(o.event), JSON.stringify(o.event), { msgID: o.event.id })),
      );
      this.#stats.notified += notified.length;
      await this.#o.store.insertEvents(outputs);
      this.#stats.transitions += outputs.length;
    } catch (error) {
      this.#stats.failures++;
      this.#o.log.error("alert transitions not stored; rebuilding state from ClickHouse", {
        transitions: outputs.length,
        error: error instanceof Error ? error.message : String(error),
      });
      await this.#rebuild().catch(() => undefined);
      throw error;
    }
  }

  async #rebuild(): Promise<void> {
    this.#lifecycle = new AlertLifecycle(this.#o.policy, await this.#o.store.latestPerKey());
    this.#lifecycle.setSilences(this.#silences);
  }

  async #reloadSilences(): Promise<void> {
    this.#silences = await this.#o.store.listSilences(this.#o.now());
    this.#lifecycle.setSilences(this.#silences);
  }
}

function parseCondition(data: Uint8Array): AlertCondition | undefined {
  try {
    const c = JSON.parse(Buffer.from(data).toString("utf8")) as AlertCondition;
    const ok =
      typeof c.rule === "string" &&
      typeof c.site === "string" &&
      typeof c.device === "string" &&
      typeof c.kind === "string" &&
      typeof c.at === "number" &&
      (c.level === null || typeof c.level === "string");
    return ok ? { ...c, evidence: c.evidence ?? {}, summary: c.summary ?? "" } : undefined;
  } catch {
    return undefined;
  }
}
