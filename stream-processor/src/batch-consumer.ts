import type { Logger } from "@lifeline/contracts";
import { AckPolicy, DeliverPolicy, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { JetStreamPuller, type StreamMessage } from "./jetstream-puller.ts";

/** A pull always has room for the largest message NATS carries (max_payload is 1 MiB by default). */
const MIN_PULL_BYTES = 2 * 1024 * 1024;

export interface BatchConsumerOptions<P = never> {
  nats: NatsConnection;
  jsm: JetStreamManager;
  stream: string;
  durable: string;
  /** Most messages in a batch handed to `handle`. */
  batchSize: number;
  /**
   * Most payload bytes in a batch: 5000 envelopes of one reading and 5000 of 100 readings are
   * very different inserts; this keeps a batch of large envelopes to an insert ClickHouse likes.
   */
  maxBatchBytes?: number;
  /**
   * How long a partial batch may wait for more messages before it is handled anyway, when nothing
   * is being stored; while a batch is being stored, the next one gathers until it is full or that
   * batch is stored (see {@link BatchConsumer}).
   */
  lingerMs: number;
  /** JetStream redelivers a message not acknowledged within this time. */
  ackWaitMs: number;
  /** How long JetStream waits before redelivering a batch whose handling failed. */
  retryDelayMs: number;
  /**
   * Where a durable consumer that does not exist yet starts: every message of the stream (default),
   * or only those published from now on (a consumer added to a running system that should not
   * act on the past, such as alert rules).
   */
  startAt?: "all" | "new";
  /**
   * Makes the batch durable; throws only when it could not (the batch is then redelivered). Gets
   * what `prepare` made of the batch, if anything.
   */
  handle: (batch: StreamMessage[], prepared?: P) => Promise<void>;
  /**
   * Work on a batch that can be done before the batches ahead of it are stored (decoding,
   * encoding): run as soon as the batch is gathered, so that it overlaps the insert before it
   * instead of leaving ClickHouse waiting. A throw only means the batch is handled unprepared.
   */
  prepare?: (batch: StreamMessage[]) => P | undefined;
  log: Logger;
}

export interface BatchConsumerStats {
  batches: number;
  messages: number;
  failedBatches: number;
  /** Time spent storing batches (handle + ack), ms: against wall time, how busy the sink is. */
  busyMs: number;
  /** Messages whose ack wait was extended because their batch waited (a sign of overload). */
  extended: number;
}

/**
 * A durable pull consumer that hands messages to `handle` in batches and acknowledges a batch
 * only after `handle` resolved, i.e. after the next hop made it durable. A failed batch is
 * negatively acknowledged with a delay and comes back; nothing is acknowledged on hope.
 *
 * A batch is handed over when it is full, or when it has waited `lingerMs` and nothing is being
 * stored; while a batch is being stored, the next keeps gathering until that one is stored. Why:
 * a ClickHouse insert has a fixed cost (its parts in four tables, each synced: ~100 ms here, the
 * store README) besides its rows, so a batch handed over after `lingerMs` behind an insert in
 * progress — the first way — held what 100 ms brought, and under load the inserts were small,
 * the fixed cost paid again and again (agents paced at 70 % of the store alone were not kept up
 * with, though the processor drained the same stream at 90 % on its own).
 */
export class BatchConsumer<P = never> {
  readonly #o: BatchConsumerOptions<P>;
  readonly #stats: BatchConsumerStats = { batches: 0, messages: 0, failedBatches: 0, busyMs: 0, extended: 0 };
  #pending: StreamMessage[] = [];
  #pendingBytes = 0;
  #pendingSince = 0;
  /** The batch being gathered has waited `lingerMs`: handed over as soon as nothing is being stored. */
  #lingered = false;
  /** Batches handed over and not yet stored, oldest first: one inserts while the next is gathered. */
  #inHand: Promise<void>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #puller: JetStreamPuller | undefined;
  #stopping = false;
  #loop: Promise<void> | undefined;

  constructor(options: BatchConsumerOptions<P>) {
    this.#o = options;
  }

  stats(): BatchConsumerStats {
    return { ...this.#stats };
  }

  async start(): Promise<void> {
    const { jsm, stream, durable } = this.#o;
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: this.#o.startAt === "new" ? DeliverPolicy.New : DeliverPolicy.All,
      ack_wait: this.#o.ackWaitMs * 1_000_000,
      // Above what the pulls can hold (a batch gathering, two being stored), so that it never
      // holds a pull back; the pulls are what bound memory and waiting time here.
      max_ack_pending: this.#o.batchSize * 4,
      max_deliver: -1,
    };
    try {
      await jsm.consumers.info(stream, durable);
      await jsm.consumers.update(stream, durable, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
      });
    } catch (error) {
      if (!(error instanceof Error && /consumer not found/i.test(error.message))) throw error;
      await jsm.consumers.add(stream, config);
    }
    this.#puller = new JetStreamPuller(this.#o.nats, stream, durable, (m) => this.#take(m));
    this.#loop = this.#run(this.#puller);
  }

  /** Stops pulling, handles what was already received, and waits for the last acknowledgement. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#puller?.cancel();
    await this.#loop;
    await this.#flush();
    this.#puller?.close();
  }

  /**
   * One pull at a time, for what the batch being gathered still has room for — in messages and
   * in bytes — and only while fewer than two batches wait to be stored: JetStream sends only what
   * this process can take. (A continuous `consume` by message count had no byte bound: a count of
   * packs can be hundreds of MB, past nats-server's 64 MB slow-consumer limit; by bytes it
   * stalled whenever the next message did not fit.) A pull returns what is there at once and
   * stays open up to a second for more.
   */
  async #run(puller: JetStreamPuller): Promise<void> {
    while (!this.#stopping) {
      if (this.#inHand.length >= 2) {
        await this.#inHand[0];
        continue;
      }
      const started = performance.now();
      const result = await puller.pull({
        batch: Math.max(1, this.#o.batchSize - this.#pending.length),
        maxBytes: Math.max(this.#maxBytes() - this.#pendingBytes, MIN_PULL_BYTES),
        expiresMs: 1_000,
      });
      // A pull that ended at once with nothing and a status other than its expiry (e.g. a 409
      // for a consumer limit) is not repeated in a tight loop.
      if (result.received === 0 && result.status !== 408 && performance.now() - started < 500 && !this.#stopping) {
        if (result.status !== undefined) {
          this.#o.log.warn("pull refused by JetStream; pulling again shortly", {
            stream: this.#o.stream,
            status: result.status,
          });
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Adds a message to the batch being gathered, and hands the batch over when it is full. */
  #take(m: StreamMessage): void {
    if (this.#pending.length === 0) this.#pendingSince = performance.now();
    this.#pending.push(m);
    this.#pendingBytes += m.data.length;
    if (this.#pending.length >= this.#o.batchSize || this.#pendingBytes >= this.#maxBytes()) {
      void this.#flush();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#lingered = true;
      if (this.#inHand.length === 0) void this.#flush();
    }, this.#o.lingerMs);
  }

  #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lingered = false;
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (batch.length === 0) return this.#chain;
    const since = this.#pendingSince;
    const prepared = this.#prepare(batch);
    const stored = this.#chain.then(() => this.#handle(batch, since, prepared));
    this.#chain = stored;
    this.#inHand.push(stored);
    void stored.finally(() => {
      this.#inHand.splice(this.#inHand.indexOf(stored), 1);
      if (this.#lingered && this.#inHand.length === 0) void this.#flush();
    });
    return stored;
  }

  #maxBytes(): number {
    return this.#o.maxBatchBytes ?? 8 * 1024 * 1024;
  }

  #prepare(batch: StreamMessage[]): P | undefined {
    try {
      return this.#o.prepare?.(batch);
    } catch (error) {
      this.#o.log.warn("batch not prepared ahead; handled unprepared", {
        stream: this.#o.stream,
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
  }

  async #handle(batch: StreamMessage[], receivedAt: number, prepared: P | undefined): Promise<void> {
    const started = performance.now();
    // A batch that waited a third of the ack wait tells JetStream it is being worked on, so that
    // a busy processor is not sent copies of what it holds (an in-progress ack, +WPI).
    if (started - receivedAt > this.#o.ackWaitMs / 3) {
      for (const m of batch) m.working();
      this.#stats.extended += batch.length;
    }
    try {
      await this.#o.handle(batch, prepared);
    } catch (error) {
      this.#stats.failedBatches++;
      this.#o.log.error("batch not stored; JetStream will redeliver it", {
        stream: this.#o.stream,
        messages: batch.length,
        error: error instanceof Error ? error.message : String(error),
      });
      for (const m of batch) m.nak(this.#o.retryDelayMs);
      return;
    }
    for (const m of batch) m.ack();
    this.#stats.busyMs += performance.now() - started;
    this.#stats.batches++;
    this.#stats.messages += batch.length;
  }
}
