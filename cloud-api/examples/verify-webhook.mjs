// A receiver of Lifeline webhooks, with no dependencies: copy it, replace `onEvent`.
//
//   WEBHOOK_SECRETS='{"command-center":"<the secret you gave Lifeline>"}' PORT=8080 node verify-webhook.mjs
//
// Every request is checked before its body is parsed: the subscriber id must be known, the
// timestamp within 5 minutes of this clock (a captured request cannot be replayed later), and the
// HMAC-SHA256 signature of "<timestamp>.<raw body>" must match (compared in constant time).
// Lifeline delivers at least once: after a crash or a lost answer it sends an event again, with the
// same Idempotency-Key. Answer such a repeat 200 without processing it a second time.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";

export const TOLERANCE_SECONDS = 300;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Checks one request. `headers` as Node gives them (lower-case names), `rawBody` the bytes as
 * received, `secretOf(id)` the secret of a subscriber id or undefined.
 * Returns { ok: true, subscriberId, idempotencyKey } or { ok: false, reason }.
 */
export function verify(headers, rawBody, secretOf, { nowMs = Date.now(), toleranceSeconds = TOLERANCE_SECONDS } = {}) {
  const id = headers["lifeline-webhook-id"];
  const timestamp = headers["lifeline-timestamp"];
  const signature = headers["lifeline-signature"];
  const idempotencyKey = headers["idempotency-key"];
  if (!id || !timestamp || !signature || !idempotencyKey) return { ok: false, reason: "missing header" };
  const secret = secretOf(id);
  if (secret === undefined) return { ok: false, reason: "unknown subscriber" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "malformed timestamp" };
  const age = Math.floor(nowMs / 1000) - Number(timestamp);
  if (age > toleranceSeconds) return { ok: false, reason: "stale timestamp" };
  if (age < -toleranceSeconds) return { ok: false, reason: "timestamp in the future" };
  const hmac = createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest("hex");
  const expected = Buffer.from(`v1=${hmac}`);
  // Several "v1=" values (comma-separated) may come while a secret is being rotated.
  const matches = signature
    .split(",")
    .map((s) => Buffer.from(s.trim()))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  if (!matches) return { ok: false, reason: "bad signature" };
  return { ok: true, subscriberId: id, idempotencyKey };
}

/**
 * An http.Server that verifies each delivery and hands `{ version: 1, event }` (or the Alertmanager
 * body) to `onEvent` once per idempotency key. `processed` remembers the keys done; in production
 * keep them where your data is (a unique column), so that a restart does not forget them.
 */
export function createReceiver({ secrets, onEvent, processed = new Set(), log = () => {} }) {
  const secretOf = (id) => (Object.hasOwn(secrets, id) ? secrets[id] : undefined);
  const inProgress = new Set();
  return createServer(async (req, res) => {
    const answer = (status, text) => res.writeHead(status, { "content-type": "text/plain" }).end(text);
    if (req.method !== "POST") return answer(405, "POST only");
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return answer(413, "too large");
      chunks.push(chunk);
    }
    const rawBody = Buffer.concat(chunks);
    const checked = verify(req.headers, rawBody, secretOf);
    if (!checked.ok) {
      log(`refused: ${checked.reason}`);
      return answer(401, checked.reason);
    }
    // Per subscriber: one receiver may serve several subscriptions, each sent every event once.
    const key = `${checked.subscriberId} ${checked.idempotencyKey}`;
    if (processed.has(key)) return answer(200, "already processed");
    // The same event arriving twice at once (a retry racing the original): let the retry come back.
    if (inProgress.has(key)) return answer(409, "being processed");
    inProgress.add(key);
    try {
      await onEvent(JSON.parse(rawBody.toString("utf8")), checked);
      processed.add(key); // only after processing: a failure is retried by Lifeline
      return answer(200, "ok");
    } catch (error) {
      log(`processing ${key} failed: ${error.message}`);
      return answer(500, "processing failed");
    } finally {
      inProgress.delete(key);
    }
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secrets = JSON.parse(process.env.WEBHOOK_SECRETS ?? "{}");
  const port = Number(process.env.PORT ?? 8080);
  const server = createReceiver({
    secrets,
    log: (line) => console.log(line),
    onEvent: (body, { subscriberId }) => {
      const e = body.event ?? body.alerts?.[0];
      console.log(`${subscriberId}: ${JSON.stringify(e)}`);
    },
  });
  server.listen(port, () => console.log(`listening on :${port} for ${Object.keys(secrets).join(", ") || "nobody"}`));
}
