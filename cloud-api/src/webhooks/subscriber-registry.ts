import { type KV, type KvEntry, Kvm, KvWatchInclude } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { WebhookError } from "./webhook-error.ts";
import {
  type StoredSubscriber,
  storedSubscriberSchema,
  type WebhookSubscriberInput,
  webhookSubscriberSchema,
} from "./webhook-subscriber.ts";

export const WEBHOOK_SUBSCRIBER_BUCKET = "WEBHOOK_SUBSCRIBERS";

/**
 * A change of one subscriber as the bucket records it; `revision` orders the changes of a key
 * (a delete has a higher revision than the put it removes). `invalid`: the bucket holds something
 * that is not a subscriber (written by hand, or by an older version).
 */
export type SubscriberChange =
  | { op: "put"; id: string; revision: number; subscriber: StoredSubscriber }
  | { op: "delete"; id: string; revision: number }
  | { op: "invalid"; id: string; revision: number; error: string };

export interface SubscriberWatch {
  changes: AsyncIterable<SubscriberChange>;
  stop(): void;
}

/**
 * Webhook subscribers in the NATS KV bucket WEBHOOK_SUBSCRIBERS, one key per subscriber id (ids are
 * subject-safe, so valid keys). Secrets are stored with the subscriber — the dispatcher needs them to
 * sign — so access to the bucket is access to the secrets: restrict `$KV.WEBHOOK_SUBSCRIBERS.>`.
 */
export class SubscriberRegistry {
  readonly #kv: KV;
  readonly #now: () => number;

  private constructor(kv: KV, now: () => number) {
    this.#kv = kv;
    this.#now = now;
  }

  static async open(nats: NatsConnection, options: { now?: () => number } = {}): Promise<SubscriberRegistry> {
    const kv = await new Kvm(nats).create(WEBHOOK_SUBSCRIBER_BUCKET, { history: 1 });
    return new SubscriberRegistry(kv, options.now ?? Date.now);
  }

  /** Creates or replaces a subscriber; `createdAt` is kept across updates (its consumer starts there). */
  async put(input: WebhookSubscriberInput): Promise<StoredSubscriber> {
    const parsed = webhookSubscriberSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join(".") || "(subscriber)";
      throw new WebhookError("WEBHOOK_SUBSCRIBER_INVALID", `${field}: ${issue?.message ?? "invalid"}`, {
        subscriber: typeof input?.id === "string" ? input.id : undefined,
        field,
      });
    }
    const subscriber = parsed.data;
    // Create or compare-and-set, so that two writers cannot both think they created it.
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.#kv.get(subscriber.id);
      const now = this.#now();
      const previous = existing?.operation === "PUT" ? decode(existing) : undefined;
      const stored: StoredSubscriber = {
        ...subscriber,
        createdAt: previous?.ok ? previous.subscriber.createdAt : now,
        updatedAt: now,
      };
      try {
        if (existing === null) await this.#kv.create(subscriber.id, JSON.stringify(stored));
        else await this.#kv.update(subscriber.id, JSON.stringify(stored), existing.revision);
        return stored;
      } catch (error) {
        if (!isWrongLastSequence(error)) throw error;
      }
    }
    throw new WebhookError("WEBHOOK_REGISTRY_CONFLICT", `subscriber ${subscriber.id} kept changing; not written`, {
      subscriber: subscriber.id,
    });
  }

  async get(id: string): Promise<StoredSubscriber | undefined> {
    const entry = await this.#kv.get(id);
    if (entry === null || entry.operation !== "PUT") return undefined;
    const decoded = decode(entry);
    if (!decoded.ok) {
      throw new WebhookError("WEBHOOK_SUBSCRIBER_INVALID", `subscriber ${id} in the bucket: ${decoded.error}`, {
        subscriber: id,
      });
    }
    return decoded.subscriber;
  }

  /** Removes a subscriber; false if there was none. Its dead letters stay until replayed or removed. */
  async delete(id: string): Promise<boolean> {
    const entry = await this.#kv.get(id);
    if (entry === null || entry.operation !== "PUT") return false;
    await this.#kv.delete(id);
    return true;
  }

  /** Every subscriber, by id; entries that are not subscribers are left out (the watch reports them). */
  async list(): Promise<StoredSubscriber[]> {
    const changes = await this.current();
    return changes
      .flatMap((c) => (c.op === "put" ? [c.subscriber] : []))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The latest state of every key, as changes with their revisions. */
  async current(): Promise<SubscriberChange[]> {
    const out: SubscriberChange[] = [];
    for await (const key of await this.#kv.keys()) {
      const entry = await this.#kv.get(key);
      if (entry !== null) out.push(changeOf(entry));
    }
    return out;
  }

  /** Every key's latest state, then each change as it happens. */
  async watch(): Promise<SubscriberWatch> {
    const entries = await this.#kv.watch({ include: KvWatchInclude.LastValue });
    async function* changes(): AsyncGenerator<SubscriberChange> {
      for await (const entry of entries) yield changeOf(entry);
    }
    return { changes: changes(), stop: () => entries.stop() };
  }
}

function changeOf(entry: KvEntry): SubscriberChange {
  const base = { id: entry.key, revision: entry.revision };
  if (entry.operation !== "PUT") return { op: "delete", ...base };
  const decoded = decode(entry);
  return decoded.ok ? { op: "put", ...base, subscriber: decoded.subscriber } : { op: "invalid", ...base, ...decoded };
}

function decode(entry: KvEntry): { ok: true; subscriber: StoredSubscriber } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = entry.json();
  } catch {
    return { ok: false, error: "not JSON" };
  }
  const parsed = storedSubscriberSchema.safeParse(value);
  if (parsed.success && parsed.data.id === entry.key) return { ok: true, subscriber: parsed.data };
  const issue = parsed.error?.issues[0];
  return { ok: false, error: issue ? `${issue.path.join(".")}: ${issue.message}` : "id differs from its key" };
}

function isWrongLastSequence(error: unknown): boolean {
  return error instanceof Error && /wrong last sequence|key exists/i.test(error.message);
}
