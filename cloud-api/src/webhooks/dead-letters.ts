import { type AlertEvent, isId } from "@lifeline/contracts";
import { type KV, type KvEntry, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { WebhookError } from "./webhook-error.ts";
import { sendWebhook } from "./webhook-sender.ts";
import type { WebhookSubscriber } from "./webhook-subscriber.ts";

export const WEBHOOK_DEAD_LETTER_BUCKET = "WEBHOOK_DEAD_LETTERS";

/** An event a subscriber did not take within its `deadLetterAfterMs`, with how the attempts went. */
export interface DeadLetter {
  subscriber: string;
  event: AlertEvent;
  attempts: number;
  firstAttemptAt: number;
  lastAttemptAt: number;
  lastError: string;
  /** HTTP status of the last attempt; null when there was no answer (refused, timed out). */
  lastStatus: number | null;
}

export interface ReplayResult {
  /** Event ids delivered (2xx) and removed from the dead letters, in the order sent. */
  replayed: string[];
  /** Event ids still dead letters, with why. */
  failed: Array<{ eventId: string; status: number | null; error: string }>;
}

export interface DeadLettersOptions {
  now?: () => number;
  externalUrl?: string;
  fetch?: typeof fetch;
}

const SAFE_TOKEN = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * The KV key of a dead letter: `<subscriber>.<event id>`. KV keys allow `[-/_=.A-Za-z0-9]` and `.`
 * separates tokens, so an event id of anything but `[A-Za-z0-9_-]` is written as `=` followed by
 * its base64url — `=` never occurs in the first form, so two ids never share a key.
 */
export function deadLetterKey(subscriber: string, eventId: string): string {
  const token = SAFE_TOKEN.test(eventId) ? eventId : `=${Buffer.from(eventId, "utf8").toString("base64url")}`;
  return `${subscriber}.${token}`;
}

/**
 * Dead letters in the NATS KV bucket WEBHOOK_DEAD_LETTERS, kept until replayed: a replay sends the
 * event again at once (a fresh timestamp and signature, the same Idempotency-Key) and removes the
 * record only after a 2xx.
 */
export class DeadLetters {
  readonly #kv: KV;
  readonly #o: DeadLettersOptions;

  private constructor(kv: KV, options: DeadLettersOptions) {
    this.#kv = kv;
    this.#o = options;
  }

  static async open(nats: NatsConnection, options: DeadLettersOptions = {}): Promise<DeadLetters> {
    const kv = await new Kvm(nats).create(WEBHOOK_DEAD_LETTER_BUCKET, { history: 1 });
    return new DeadLetters(kv, options);
  }

  async put(letter: DeadLetter): Promise<void> {
    await this.#kv.put(deadLetterKey(letter.subscriber, letter.event.id), JSON.stringify(letter));
  }

  async get(subscriber: string, eventId: string): Promise<DeadLetter | undefined> {
    if (!isId(subscriber)) return undefined;
    const entry = await this.#kv.get(deadLetterKey(subscriber, eventId));
    return entry === null ? undefined : decode(entry);
  }

  /** The dead letters of one subscriber, or of all; oldest event first (by time, then seq). */
  async list(subscriber?: string): Promise<DeadLetter[]> {
    if (subscriber !== undefined && !isId(subscriber)) return [];
    const letters: DeadLetter[] = [];
    for await (const key of await this.#kv.keys(subscriber === undefined ? ">" : `${subscriber}.*`)) {
      const entry = await this.#kv.get(key);
      const letter = entry === null ? undefined : decode(entry);
      if (letter !== undefined) letters.push(letter);
    }
    return letters.sort(
      (a, b) =>
        a.event.at - b.event.at ||
        a.event.seq - b.event.seq ||
        (a.subscriber < b.subscriber ? -1 : a.subscriber > b.subscriber ? 1 : 0),
    );
  }

  async remove(subscriber: string, eventId: string): Promise<boolean> {
    if ((await this.get(subscriber, eventId)) === undefined) return false;
    await this.#kv.delete(deadLetterKey(subscriber, eventId));
    return true;
  }

  /**
   * Sends one dead letter of a subscriber, or all of them oldest first, once each, to the
   * subscriber as it is configured now. An event whose alert key had an earlier event fail in
   * this replay is not sent, so that a receiver never gets the events of a key out of order.
   */
  async replay(subscriber: WebhookSubscriber, eventId?: string): Promise<ReplayResult> {
    let letters: DeadLetter[];
    if (eventId === undefined) letters = await this.list(subscriber.id);
    else {
      const letter = await this.get(subscriber.id, eventId);
      if (letter === undefined) {
        throw new WebhookError(
          "WEBHOOK_DEAD_LETTER_NOT_FOUND",
          `no dead letter of event ${eventId} for subscriber ${subscriber.id}`,
          { subscriber: subscriber.id, eventId },
        );
      }
      letters = [letter];
    }
    const result: ReplayResult = { replayed: [], failed: [] };
    const blockedKeys = new Set<string>();
    for (const letter of letters) {
      const id = letter.event.id;
      if (blockedKeys.has(letter.event.key)) {
        result.failed.push({ eventId: id, status: null, error: "not sent: an earlier event of its alert key failed" });
        continue;
      }
      const now = (this.#o.now ?? Date.now)();
      const sent = await sendWebhook(subscriber, letter.event, {
        nowMs: now,
        externalUrl: this.#o.externalUrl,
        fetch: this.#o.fetch,
      });
      if (sent.ok) {
        await this.#kv.delete(deadLetterKey(subscriber.id, id));
        result.replayed.push(id);
        continue;
      }
      blockedKeys.add(letter.event.key);
      result.failed.push({ eventId: id, status: sent.status, error: sent.error });
      await this.put({
        ...letter,
        attempts: letter.attempts + 1,
        lastAttemptAt: now,
        lastError: sent.error,
        lastStatus: sent.status,
      });
    }
    return result;
  }
}

/** A record as this module wrote it; anything else in the bucket is left out. */
function decode(entry: KvEntry): DeadLetter | undefined {
  if (entry.operation !== "PUT") return undefined;
  let v: Partial<DeadLetter> | null;
  try {
    v = entry.json<Partial<DeadLetter> | null>();
  } catch {
    return undefined;
  }
  if (typeof v?.subscriber !== "string" || typeof v.event?.id !== "string" || typeof v.attempts !== "number") {
    return undefined;
  }
  return v as DeadLetter;
}
