import { type Logger, silentLogger } from "@lifeline/contracts";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import type { DeadLetters } from "./dead-letters.ts";
import { DEFAULT_RETRY_POLICY, type DeliveryClock, type RetryPolicy, systemClock } from "./retry-backoff.ts";
import {
  type DeliverySettings,
  emptySubscriberStats,
  SubscriberDelivery,
  type SubscriberStats,
  subscriberStatsSchema,
} from "./subscriber-delivery.ts";
import type { SubscriberChange, SubscriberRegistry, SubscriberWatch } from "./subscriber-registry.ts";
import { deleteWebhookConsumer } from "./webhook-consumer.ts";
import { supportsMultipleFilterSubjects } from "./webhook-filter.ts";
import type { StoredSubscriber } from "./webhook-subscriber.ts";

export interface WebhookDispatcherOptions {
  nats: NatsConnection;
  registry: SubscriberRegistry;
  deadLetters: DeadLetters;
  log?: Logger;
  /** Requests in flight at once per subscriber, each for a different alert key (default 8). */
  concurrency?: number;
  /** Backoff between attempts (default base 1 s, cap 60 s, full jitter). */
  retry?: Partial<RetryPolicy>;
  /**
   * JetStream's ack wait for the webhook consumers (default 30 s): after a crash, the events the
   * process held come back after this long. Held events are kept alive every third of it.
   */
  ackWaitMs?: number;
  /** Events one subscriber holds unacknowledged at most (default 1000). */
  maxAckPending?: number;
  /** Where receivers reach Lifeline's API, for links in the Alertmanager format. */
  externalUrl?: string;
  clock?: DeliveryClock;
  random?: () => number;
  fetch?: typeof fetch;
}

/** A subscriber's counters with the state of its delivery (`GET /v1/webhooks/:id/stats`). */
export const webhookStatsSchema = subscriberStatsSchema.extend({
  state: z
    .enum(["running", "stopped", "failed"])
    .describe("running; stopped (disabled); failed (its consumer could not be started; tried again shortly)"),
});
export type WebhookStats = z.output<typeof webhookStatsSchema>;
export type WebhookState = WebhookStats["state"];

export const DEFAULT_WEBHOOK_CONCURRENCY = 8;
const RESTART_AFTER_FAILURE_MS = 5_000;

/**
 * Delivers alert events to every enabled subscriber of the registry, each from its own durable
 * consumer on ALERTS, and follows the registry as it changes: a new or re-enabled subscriber starts
 * (re-enabled: where it stopped), a disabled one stops and keeps its consumer, a deleted one stops
 * and its consumer is deleted. Delivery is at-least-once: an event is acknowledged only after a
 * 2xx (or its dead letter), so a crash at the wrong moment sends it again with the same
 * Idempotency-Key. Run one dispatcher per deployment: two would share each consumer and could
 * send the events of a key out of order.
 */
export class WebhookDispatcher {
  readonly #o: WebhookDispatcherOptions;
  readonly #log: Logger;
  readonly #runners = new Map<string, SubscriberDelivery>();
  readonly #stats = new Map<string, SubscriberStats>();
  readonly #failed = new Map<string, NodeJS.Timeout>();
  readonly #revisions = new Map<string, number>();
  #settings!: DeliverySettings;
  #jsm!: JetStreamManager;
  #watch: SubscriberWatch | undefined;
  #loop: Promise<void> | undefined;
  #queue: Promise<void> = Promise.resolve();
  #stopping = false;

  private constructor(options: WebhookDispatcherOptions) {
    this.#o = options;
    this.#log = options.log ?? silentLogger;
  }

  /** Starts delivering to the subscribers there are now; resolves once each has started (or failed to). */
  static async start(options: WebhookDispatcherOptions): Promise<WebhookDispatcher> {
    const dispatcher = new WebhookDispatcher(options);
    await dispatcher.#begin();
    return dispatcher;
  }

  async #begin(): Promise<void> {
    const o = this.#o;
    this.#jsm = await jetstreamManager(o.nats);
    this.#settings = {
      concurrency: o.concurrency ?? DEFAULT_WEBHOOK_CONCURRENCY,
      retry: { ...DEFAULT_RETRY_POLICY, ...o.retry },
      ackWaitMs: o.ackWaitMs ?? 30_000,
      maxAckPending: o.maxAckPending ?? 1_000,
      multipleSubjects: supportsMultipleFilterSubjects(o.nats.info?.version),
      clock: o.clock ?? systemClock,
      random: o.random ?? Math.random,
      externalUrl: o.externalUrl,
      fetch: o.fetch,
    };
    // The current state first (so that start() means started), then every change after it; the
    // watch repeats the current state, which the revisions make a no-op.
    for (const change of await o.registry.current()) await this.#apply(change);
    const watch = await o.registry.watch();
    this.#watch = watch;
    this.#loop = (async () => {
      for await (const change of watch.changes) this.#enqueue(change);
    })();
  }

  /** Counters of one subscriber since this process started; undefined for one it never saw. */
  stats(id: string): WebhookStats | undefined {
    const stats = this.#stats.get(id);
    if (stats === undefined) return undefined;
    const state: WebhookState = this.#runners.has(id) ? "running" : this.#failed.has(id) ? "failed" : "stopped";
    return { ...stats, state };
  }

  allStats(): Record<string, WebhookStats> {
    return Object.fromEntries([...this.#stats.keys()].map((id) => [id, this.stats(id) as WebhookStats]));
  }

  /** Stops every delivery (held events are given back to JetStream) and the registry watch. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#watch?.stop();
    await this.#loop?.catch(() => undefined);
    await this.#queue;
    for (const timer of this.#failed.values()) clearTimeout(timer);
    this.#failed.clear();
    await Promise.all([...this.#runners.values()].map((r) => r.stop()));
    this.#runners.clear();
  }

  #enqueue(change: SubscriberChange): void {
    this.#queue = this.#queue.then(() =>
      this.#apply(change).catch((error: unknown) =>
        this.#log.error("webhook subscriber change not applied", {
          subscriber: change.id,
          error: error instanceof Error ? error.message : String(error),
        }),
      ),
    );
  }

  async #apply(change: SubscriberChange): Promise<void> {
    if (this.#stopping || change.revision <= (this.#revisions.get(change.id) ?? 0)) return;
    this.#revisions.set(change.id, change.revision);
    const id = change.id;
    clearTimeout(this.#failed.get(id));
    this.#failed.delete(id);
    if (change.op === "invalid") {
      this.#log.error("webhook subscriber in the bucket is not valid; nothing is sent to it", {
        subscriber: id,
        error: change.error,
      });
      await this.#stopRunner(id);
      return;
    }
    if (change.op === "delete") {
      await this.#stopRunner(id);
      await deleteWebhookConsumer(this.#jsm, id);
      this.#stats.delete(id);
      return;
    }
    const subscriber = change.subscriber;
    if (!this.#stats.has(id)) this.#stats.set(id, emptySubscriberStats());
    const running = this.#runners.get(id);
    if (!subscriber.enabled) {
      await this.#stopRunner(id);
      return;
    }
    if (running !== undefined && sameFilter(running.subscriber, subscriber)) {
      running.update(subscriber);
      return;
    }
    await this.#stopRunner(id);
    await this.#startRunner(subscriber, change.revision);
  }

  async #startRunner(subscriber: StoredSubscriber, revision: number): Promise<void> {
    const id = subscriber.id;
    const runner = new SubscriberDelivery({
      js: jetstream(this.#o.nats),
      jsm: this.#jsm,
      subscriber,
      stats: this.#stats.get(id) ?? emptySubscriberStats(),
      deadLetters: this.#o.deadLetters,
      settings: this.#settings,
      log: this.#log,
    });
    try {
      await runner.start();
      this.#runners.set(id, runner);
    } catch (error) {
      await runner.stop();
      this.#log.error("webhook delivery could not start; trying again shortly", {
        subscriber: id,
        error: error instanceof Error ? error.message : String(error),
      });
      const timer = setTimeout(() => {
        this.#failed.delete(id);
        if (this.#revisions.get(id) !== revision || this.#stopping) return;
        this.#queue = this.#queue.then(() => this.#startRunner(subscriber, revision));
      }, RESTART_AFTER_FAILURE_MS);
      timer.unref();
      this.#failed.set(id, timer);
    }
  }

  async #stopRunner(id: string): Promise<void> {
    const runner = this.#runners.get(id);
    if (runner === undefined) return;
    this.#runners.delete(id);
    await runner.stop();
  }
}

function sameFilter(a: StoredSubscriber, b: StoredSubscriber): boolean {
  return JSON.stringify(a.filter) === JSON.stringify(b.filter) && a.createdAt === b.createdAt;
}
