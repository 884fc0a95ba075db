import { encodePack, type PackEntry, packSize, packSubject } from "@lifeline/contracts";
import { GatewayError } from "./gateway-error.ts";
import type { JetStreamPublisher } from "./jetstream-publisher.ts";

export interface TelemetryPackerOptions {
  publisher: JetStreamPublisher;
  /** Names this gateway process in the packs' message ids (unique per start). */
  instance: string;
  /** Most envelopes in one pack. */
  maxEnvelopes?: number;
  /** Most bytes in one pack (NATS refuses messages over its max_payload, 1 MiB by default). */
  maxBytes?: number;
  /**
   * Packs published and not yet acknowledged. While this many wait, envelopes gather into the
   * next pack instead of going out one pack per event-loop turn: packs grow with the load.
   */
  maxPacksInflight?: number;
  /**
   * Publishes of one pack (same message id) when no PubAck came back or no stream answered (a
   * leader election); JetStream drops the copies. Each envelope of a pack that failed them all
   * gets no PUBACK, and aedes closes its client's connection: one pack failing disconnects every
   * client in it, so it is worth a few tries first.
   */
  attempts?: number;
  isConnected: () => boolean;
}

export interface TelemetryPackerStats {
  packs: number;
  /** Envelopes in packs JetStream acknowledged. */
  packed: number;
  /** Packs published again after a missing PubAck. */
  retries: number;
  /** Of the packs acknowledged, those JetStream recognised as a copy (a retry whose first try was stored). */
  duplicatePacks: number;
}

/** Called once the envelope's pack was stored (no error) or could not be. */
export type PackedCallback = (error?: Error) => void;

interface OpenPack {
  entries: PackEntry[];
  bytes: number;
  waiters: PackedCallback[];
}

/**
 * Gathers the envelopes of many MQTT messages into packs (see contracts' envelope-pack.ts), one
 * JetStream publish per pack, and calls each envelope back with its pack's PubAck: the gateway
 * still sends a PUBACK only for what JetStream stored. Callbacks, not a promise per envelope: at
 * tens of thousands of MQTT messages a second the promises and their microtasks were a tenth of
 * the gateway's time. A pack whose PubAck did not come
 * is published again under the same message id, so JetStream stores it once.
 */
export class TelemetryPacker {
  readonly #o: Required<Omit<TelemetryPackerOptions, "publisher" | "isConnected" | "instance">> &
    TelemetryPackerOptions;
  readonly #open = new Map<string, OpenPack>();
  readonly #stats: TelemetryPackerStats = { packs: 0, packed: 0, retries: 0, duplicatePacks: 0 };
  readonly #inflight = new Set<Promise<void>>();
  #next = 0;
  #scheduled = false;

  constructor(options: TelemetryPackerOptions) {
    this.#o = { maxEnvelopes: 1_000, maxBytes: 512 * 1024, maxPacksInflight: 8, attempts: 5, ...options };
  }

  stats(): TelemetryPackerStats {
    return { ...this.#stats };
  }

  /** Whether an envelope of this size goes into a pack (larger ones are published alone). */
  fits(payloadBytes: number): boolean {
    return packSize(payloadBytes, 1) <= this.#o.maxBytes;
  }

  /** `done` is called when JetStream stored the pack holding this envelope, or with why it did not. */
  add(site: string, payload: Uint8Array, resend: boolean, done: PackedCallback): void {
    let pack = this.#open.get(site);
    if (pack !== undefined && packSize(pack.bytes + payload.byteLength, pack.entries.length + 1) > this.#o.maxBytes) {
      this.#publish(site, pack);
      pack = undefined;
    }
    if (pack === undefined) {
      pack = { entries: [], bytes: 0, waiters: [] };
      this.#open.set(site, pack);
    }
    pack.waiters.push(done);
    pack.entries.push({ payload, resend });
    pack.bytes += payload.byteLength;
    if (pack.entries.length >= this.#o.maxEnvelopes) this.#publish(site, pack);
    else this.#schedule();
  }

  /** Publishes what is gathered and waits for every pack in flight. */
  async flush(): Promise<void> {
    this.#flushAll();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  #schedule(): void {
    if (this.#scheduled || this.#inflight.size >= this.#o.maxPacksInflight) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#inflight.size < this.#o.maxPacksInflight) this.#flushAll();
    });
  }

  #flushAll(): void {
    for (const [site, pack] of this.#open) this.#publish(site, pack);
  }

  #publish(site: string, pack: OpenPack): void {
    this.#open.delete(site);
    const work = this.#send(site, pack);
    this.#inflight.add(work);
    void work.finally(() => {
      this.#inflight.delete(work);
      if (this.#open.size > 0) this.#schedule();
    });
  }

  async #send(site: string, pack: OpenPack): Promise<void> {
    const msgId = `${this.#o.instance}.${(this.#next++).toString(36)}`;
    const data = encodePack(pack.entries);
    for (let attempt = 1; ; attempt++) {
      try {
        const ack = await this.#o.publisher.publish(packSubject(site), data, msgId);
        this.#stats.packs++;
        this.#stats.packed += pack.entries.length;
        if (ack.duplicate) this.#stats.duplicatePacks++;
        for (const done of pack.waiters) done();
        return;
      } catch (cause) {
        // A lost PubAck or a stream leader election: the same message id makes a retry safe.
        const code = cause instanceof GatewayError ? cause.code : undefined;
        const transient = code === "GATEWAY_JETSTREAM_NO_PUBACK" || code === "GATEWAY_JETSTREAM_NO_RESPONDERS";
        if (transient && attempt < this.#o.attempts && this.#o.isConnected()) {
          this.#stats.retries++;
          // No responders answers at once: wait for the election (100, 200, 400 ms …).
          if (code === "GATEWAY_JETSTREAM_NO_RESPONDERS")
            await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
          continue;
        }
        const error = cause instanceof Error ? cause : new Error(String(cause));
        for (const done of pack.waiters) done(error);
        return;
      }
    }
  }
}
