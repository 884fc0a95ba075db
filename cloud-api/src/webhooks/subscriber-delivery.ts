import { ALERT_STREAM, type AlertEvent, type Logger } from "@lifeline/contracts";
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { z } from "zod";
import { epochMs } from "../answer-schemas.ts";
import type { DeadLetter, DeadLetters } from "./dead-letters.ts";
import { KeyedLanes } from "./keyed-lanes.ts";
import { type DeliveryClock, type RetryPolicy, retryDelay } from "./retry-backoff.ts";
import { Semaphore } from "./semaphore.ts";
import { ensureWebhookConsumer, webhookConsumerName } from "./webhook-consumer.ts";
import { matchesFilter } from "./webhook-filter.ts";
import { type DeliveryResult, sendWebhook } from "./webhook-sender.ts";
import type { StoredSubscriber } from "./webhook-subscriber.ts";

/** A subscriber's delivery counters: the type, and the schema the OpenAPI document gives them by. */
export const subscriberStatsSchema = z.strictObject({
  delivered: z.int().min(0).describe("Events the subscriber answered with a 2xx"),
  retried: z.int().min(0).describe("Failed attempts that were followed by another"),
  deadLettered: z.int().min(0),
  skipped: z
    .int()
    .min(0)
    .describe("Events acknowledged without sending: outside the filter (minLevel), silenced or flapping"),
  invalid: z.int().min(0).describe("Messages that were not alert events (terminated in JetStream, not sent)"),
  inFlight: z
    .int()
    .min(0)
    .describe("Events taken from JetStream and not yet acknowledged (waiting, being sent, or between retries)"),
  lastDeliveredAt: epochMs.nullable(),
  lastError: z.string().nullable(),
  lastStatus: z.int().nullable(),
});
export type SubscriberStats = z.output<typeof subscriberStatsSchema>;

export function emptySubscriberStats(): SubscriberStats {
  return {
    delivered: 0,
    retried: 0,
    deadLettered: 0,
    skipped: 0,
    invalid: 0,
    inFlight: 0,
    lastDeliveredAt: null,
    lastError: null,
    lastStatus: null,
  };
}

export interface DeliverySettings {
  /** Requests in flight at once for one subscriber (each to a different alert key). */
  concurrency: number;
  retry: RetryPolicy;
  ackWaitMs: number;
  maxAckPending: number;
  multipleSubjects: boolean;
  clock: DeliveryClock;
  random: () => number;
  externalUrl: string | undefined;
  fetch: typeof fetch | undefined;
}

export interface SubscriberDeliveryOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  subscriber: StoredSubscriber;
  /** Owned by the caller, so that counts survive a restart of the delivery. */
  stats: SubscriberStats;
  deadLetters: DeadLetters;
  settings: DeliverySettings;
  log: Logger;
}

/** An event taken from JetStream; `msg` is its latest delivery (acknowledging that one is what counts). */
interface Held {
  seq: number;
  msg: JsMsg;
  event: AlertEvent;
}

/**
 * After a restart, events the previous run held unacknowledged come back only when their ack wait
 * expires, after newer ones: they are waited for (up to a limit) and all sorted by stream sequence
 * before anything is sent, so that the events of a key still go out in order.
 */
interface Fence {
  lastSeq: number;
  awaiting: number;
  seen: Set<number>;
  parked: Held[];
  timer: NodeJS.Timeout;
}

const ACK_TIMEOUT_MS = 5_000;
/** Stream sequences acknowledged lately: a redelivery of one (its ack was lost) is acknowledged, not sent again. */
const RECENT_ACKS = 4_096;

/**
 * Delivers one subscriber's events from its durable consumer: one lane per alert key (in order,
 * one at a time), lanes in parallel up to `concurrency` requests. An event is acknowledged only
 * after a 2xx, or after it was written to the dead letters; while it waits or is retried it is
 * kept alive in JetStream (`+WPI`), so that it is never redelivered behind the next event of its key.
 */
export class SubscriberDelivery {
  readonly #o: SubscriberDeliveryOptions;
  #subscriber: StoredSubscriber;
  readonly #held = new Map<number, Held>();
  readonly #acked = new Set<number>();
  readonly #lanes: KeyedLanes<Held>;
  readonly #limit: Semaphore;
  readonly #abort = new AbortController();
  #messages: ConsumerMessages | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #fence: Fence | undefined;
  #stopped: Promise<void> | undefined;

  constructor(options: SubscriberDeliveryOptions) {
    this.#o = options;
    this.#subscriber = options.subscriber;
    this.#limit = new Semaphore(options.settings.concurrency);
    this.#lanes = new KeyedLanes(
      (h) => this.#deliver(h),
      (error, h) =>
        options.log.error("delivery failed unexpectedly; the event stays unacknowledged", {
          subscriber: this.#subscriber.id,
          event: h.event.id,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  }

  get subscriber(): StoredSubscriber {
    return this.#subscriber;
  }

  /** New URL, secret, format or limits: used from the next attempt on (a filter change needs a restart). */
  update(subscriber: StoredSubscriber): void {
    this.#subscriber = subscriber;
  }

  async start(): Promise<void> {
    const { js, jsm, settings } = this.#o;
    const info = await ensureWebhookConsumer(jsm, this.#subscriber, settings);
    if (info.num_ack_pending > 0) {
      this.#fence = {
        lastSeq: info.delivered.stream_seq,
        awaiting: info.num_ack_pending,
        seen: new Set(),
        parked: [],
        timer: setTimeout(() => this.#openFence(), settings.ackWaitMs * 2 + 5_000),
      };
    }
    const consumer = await js.consumers.get(ALERT_STREAM, webhookConsumerName(this.#subscriber.id));
    this.#messages = await consumer.consume({
      max_messages: Math.min(256, settings.maxAckPending),
      callback: (m) => this.#take(m),
    });
    void this.#reportStatus(this.#messages);
    this.#heartbeat = setInterval(() => this.#keepAlive(), Math.max(100, settings.ackWaitMs / 3));
    this.#heartbeat.unref();
  }

  /**
   * Stops taking events, aborts requests and waits in progress, and gives back (`-NAK`) what it
   * held, oldest first, so that the next run gets it at once. A request aborted after the receiver
   * took it is sent again by the next run: the receiver sees it twice, with the same Idempotency-Key.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#abort.abort();
    clearInterval(this.#heartbeat);
    clearTimeout(this.#fence?.timer);
    await this.#messages?.close().catch(() => undefined);
    await this.#lanes.idle();
    for (const h of [...this.#held.values()].sort((a, b) => a.seq - b.seq)) attempt(() => h.msg.nak());
    this.#held.clear();
    this.#o.stats.inFlight = 0;
  }

  #take(m: JsMsg): void {
    if (this.#abort.signal.aborted) {
      attempt(() => m.nak());
      return;
    }
    const seq = m.seq;
    const held = this.#held.get(seq);
    if (held !== undefined) {
      held.msg = m; // redelivered while still held (a reconnect outlasted the ack wait)
      return;
    }
    if (this.#acked.has(seq)) {
      attempt(() => m.ack());
      return;
    }
    const h = this.#admit(m);
    const fence = this.#fence;
    if (fence === undefined) {
      if (h !== undefined) this.#lanes.push(h.event.key, h);
      return;
    }
    if (seq <= fence.lastSeq) fence.seen.add(seq);
    if (h !== undefined) fence.parked.push(h);
    if (fence.seen.size >= fence.awaiting) this.#openFence();
  }

  /** Holds an event to send; acknowledges (or terminates) what is not to be sent. */
  #admit(m: JsMsg): Held | undefined {
    const { stats, log } = this.#o;
    const event = parseAlertEvent(m.data);
    if (event === undefined) {
      stats.invalid++;
      log.error("message on the alert stream is not an alert event; not delivered", {
        subscriber: this.#subscriber.id,
        subject: m.subject,
        seq: m.seq,
      });
      attempt(() => m.term());
      this.#remember(m.seq);
      return undefined;
    }
    if (event.silenced || event.flapping || !matchesFilter(this.#subscriber.filter, event)) {
      stats.skipped++;
      attempt(() => m.ack());
      this.#remember(m.seq);
      return undefined;
    }
    const h = { seq: m.seq, msg: m, event };
    this.#held.set(h.seq, h);
    stats.inFlight = this.#held.size;
    return h;
  }

  #openFence(): void {
    const fence = this.#fence;
    if (fence === undefined) return;
    this.#fence = undefined;
    clearTimeout(fence.timer);
    if (fence.seen.size < fence.awaiting) {
      this.#o.log.warn("not every event of the previous run came back in time; sending what is here", {
        subscriber: this.#subscriber.id,
        awaited: fence.awaiting,
        returned: fence.seen.size,
      });
    }
    for (const h of fence.parked.sort((a, b) => a.seq - b.seq)) this.#lanes.push(h.event.key, h);
  }

  /** Sends one event until a 2xx, or until its time is up and it is in the dead letters. */
  async #deliver(h: Held): Promise<void> {
    const { clock, retry, random, externalUrl, fetch } = this.#o.settings;
    const stats = this.#o.stats;
    const signal = this.#abort.signal;
    let attempts = 0;
    let firstAttemptAt = 0;
    while (!signal.aborted) {
      const release = await this.#limit.acquire();
      if (signal.aborted) return release();
      // The settings as they are now: a URL or secret fixed during the retries applies at once.
      const subscriber = this.#subscriber;
      const at = clock.now();
      if (attempts++ === 0) firstAttemptAt = at;
      let result: DeliveryResult;
      try {
        result = await sendWebhook(subscriber, h.event, { nowMs: at, signal, externalUrl, fetch });
      } finally {
        release();
      }
      if (signal.aborted) return;
      if (result.ok) {
        await this.#acknowledge(h);
        stats.delivered++;
        stats.lastDeliveredAt = clock.now();
        return;
      }
      stats.lastError = result.error;
      stats.lastStatus = result.status;
      const remaining = firstAttemptAt + subscriber.deadLetterAfterMs - clock.now();
      if (remaining <= 0) {
        const letter: DeadLetter = {
          subscriber: subscriber.id,
          event: h.event,
          attempts,
          firstAttemptAt,
          lastAttemptAt: at,
          lastError: result.error,
          lastStatus: result.status,
        };
        if (await this.#deadLetter(h, letter)) return;
      } else stats.retried++;
      const wait = retryDelay(attempts, result.retryAfterMs, retry, random);
      await clock.sleep(remaining > 0 ? Math.min(wait, remaining) : wait, signal);
    }
  }

  async #deadLetter(h: Held, letter: DeadLetter): Promise<boolean> {
    const { log, stats, deadLetters } = this.#o;
    try {
      await deadLetters.put(letter);
    } catch (error) {
      log.error("dead letter not stored; the event is kept and tried again", {
        subscriber: letter.subscriber,
        event: letter.event.id,
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
    await this.#acknowledge(h);
    stats.deadLettered++;
    log.warn("event moved to the dead letters", {
      subscriber: letter.subscriber,
      event: letter.event.id,
      attempts: letter.attempts,
      lastError: letter.lastError,
    });
    return true;
  }

  /** Waits for JetStream to confirm the acknowledgement, so that the next event of the key goes after it. */
  async #acknowledge(h: Held): Promise<void> {
    try {
      await h.msg.ackAck({ timeout: ACK_TIMEOUT_MS });
    } catch (error) {
      this.#o.log.warn("acknowledgement not confirmed; JetStream may send the event again (same Idempotency-Key)", {
        subscriber: this.#subscriber.id,
        event: h.event.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.#remember(h.seq);
    this.#held.delete(h.seq);
    this.#o.stats.inFlight = this.#held.size;
  }

  #remember(seq: number): void {
    this.#acked.add(seq);
    if (this.#acked.size > RECENT_ACKS) this.#acked.delete(this.#acked.values().next().value as number);
  }

  #keepAlive(): void {
    for (const h of this.#held.values()) attempt(() => h.msg.working());
  }

  async #reportStatus(messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      if (s.type === "consumer_deleted" || s.type === "consumer_not_found" || s.type === "heartbeats_missed") {
        this.#o.log.warn("webhook consumer problem", { subscriber: this.#subscriber.id, status: s.type });
      }
    }
  }
}

/** An alert event as the outbox carries it, or undefined for anything else. */
function parseAlertEvent(data: Uint8Array): AlertEvent | undefined {
  let v: Partial<AlertEvent> | null;
  try {
    v = JSON.parse(new TextDecoder().decode(data)) as Partial<AlertEvent> | null;
  } catch {
    return undefined;
  }
  const ok =
    typeof v?.id === "string" &&
    typeof v.key === "string" &&
    typeof v.seq === "number" &&
    typeof v.site === "string" &&
    typeof v.level === "string" &&
    typeof v.kind === "string" &&
    typeof v.transition === "string";
  return ok ? (v as AlertEvent) : undefined;
}

/** Acks, naks and progress notes are fire-and-forget: a closed connection must not break the loop. */
function attempt(send: () => void): void {
  try {
    send();
  } catch {
    // the connection is closed; JetStream redelivers whatever was not acknowledged
  }
}
