import { createHmac, timingSafeEqual } from "node:crypto";

/** Header names, lower case as Node's http module presents them. */
export const WEBHOOK_ID_HEADER = "lifeline-webhook-id";
export const WEBHOOK_TIMESTAMP_HEADER = "lifeline-timestamp";
export const WEBHOOK_SIGNATURE_HEADER = "lifeline-signature";
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** How far a request's timestamp may be from the receiver's clock, either way, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * `v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. The timestamp is signed with the body
 * so that a captured request cannot be replayed later with a fresh timestamp.
 */
export function signWebhook(secret: string, timestampSeconds: number, rawBody: string | Uint8Array): string {
  const hmac = createHmac("sha256", secret);
  hmac.update(`${timestampSeconds}.`);
  hmac.update(rawBody);
  return `v1=${hmac.digest("hex")}`;
}

/** The headers of one delivery attempt; each attempt is signed afresh with its own timestamp. */
export function webhookHeaders(o: {
  subscriberId: string;
  secret: string;
  eventId: string;
  timestampSeconds: number;
  body: string;
}): Record<string, string> {
  return {
    "content-type": "application/json",
    [WEBHOOK_ID_HEADER]: o.subscriberId,
    [WEBHOOK_TIMESTAMP_HEADER]: String(o.timestampSeconds),
    [WEBHOOK_SIGNATURE_HEADER]: signWebhook(o.secret, o.timestampSeconds, o.body),
    [IDEMPOTENCY_KEY_HEADER]: o.eventId,
  };
}

export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export type WebhookRejection =
  | "missing-header"
  | "unknown-subscriber"
  | "malformed-timestamp"
  | "stale-timestamp"
  | "future-timestamp"
  | "bad-signature";

export type WebhookVerification =
  | {
      ok: true;
      subscriberId: string;
      timestampSeconds: number;
      idempotencyKey: string;
      /** The `seen` check knew the key: answer 2xx and do not process the event again. */
      duplicate: boolean;
    }
  | { ok: false; reason: WebhookRejection; message: string };

export interface VerifyWebhookOptions {
  headers: HeaderSource;
  /** The body exactly as received, before any JSON parsing. */
  body: string | Uint8Array;
  /** The secret of a subscriber id; undefined for an id this receiver does not know. */
  secretOf: (subscriberId: string) => string | undefined;
  toleranceSeconds?: number;
  /** The receiver's clock, ms since the epoch (default now). */
  nowMs?: number;
  /**
   * Whether an idempotency key was processed already. Asked only for an authentic request; record a
   * key after the event was processed, not here, so that a failed processing is retried.
   */
  seen?: (idempotencyKey: string) => boolean;
}

/**
 * Checks a delivery the way a receiver should: a known subscriber, a timestamp within the
 * tolerance (against replay), and a signature compared in constant time; then, optionally, the
 * idempotency key. Several `v1=` values separated by commas are accepted (one per secret while
 * a secret is being rotated).
 */
export function verifyWebhook(o: VerifyWebhookOptions): WebhookVerification {
  const id = headerOf(o.headers, WEBHOOK_ID_HEADER);
  const timestamp = headerOf(o.headers, WEBHOOK_TIMESTAMP_HEADER);
  const signature = headerOf(o.headers, WEBHOOK_SIGNATURE_HEADER);
  const key = headerOf(o.headers, IDEMPOTENCY_KEY_HEADER);
  const missing = [
    [WEBHOOK_ID_HEADER, id],
    [WEBHOOK_TIMESTAMP_HEADER, timestamp],
    [WEBHOOK_SIGNATURE_HEADER, signature],
    [IDEMPOTENCY_KEY_HEADER, key],
  ].find(([, value]) => value === undefined || value === "");
  if (missing !== undefined) return reject("missing-header", `no ${missing[0]} header`);
  const secret = o.secretOf(id as string);
  if (secret === undefined) return reject("unknown-subscriber", `unknown subscriber ${id}`);
  if (!/^\d{1,12}$/.test(timestamp as string)) return reject("malformed-timestamp", "timestamp is not unix seconds");
  const ts = Number(timestamp);
  const now = Math.floor((o.nowMs ?? Date.now()) / 1000);
  const tolerance = o.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (ts < now - tolerance) return reject("stale-timestamp", `timestamp ${now - ts} s old (tolerance ${tolerance} s)`);
  if (ts > now + tolerance)
    return reject("future-timestamp", `timestamp ${ts - now} s ahead (tolerance ${tolerance} s)`);
  const expected = Buffer.from(signWebhook(secret, ts, o.body));
  const matches = (signature as string)
    .split(",")
    .map((s) => Buffer.from(s.trim()))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  if (!matches) return reject("bad-signature", "signature does not match");
  const idempotencyKey = key as string;
  return {
    ok: true,
    subscriberId: id as string,
    timestampSeconds: ts,
    idempotencyKey,
    duplicate: o.seen?.(idempotencyKey) ?? false,
  };
}

function reject(reason: WebhookRejection, message: string): WebhookVerification {
  return { ok: false, reason, message };
}

function headerOf(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return typeof value === "string" ? value : value?.[0];
}
