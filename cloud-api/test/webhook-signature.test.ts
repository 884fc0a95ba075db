import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook, webhookHeaders } from "../src/webhooks/webhook-signature.ts";

const SECRET = "cc-secret-0123456789abcdef";
const NOW = 1_767_600_000_000; // 2026-01-05T08:00:00Z
const TS = NOW / 1000;
const BODY = '{"version":1,"event":{"id":"e-1"}}';
// printf '%s' '1767600000.{"version":1,"event":{"id":"e-1"}}' | openssl dgst -sha256 -hmac 'cc-secret-0123456789abcdef'
const OPENSSL = "v1=8c05c4b3b0545b40e2d15280fcd217a9d8e173a7fda76cc8989c604cf007934c";

const headersFor = (body: string, o: { ts?: number; id?: string; secret?: string; key?: string } = {}) =>
  webhookHeaders({
    subscriberId: o.id ?? "command-center",
    secret: o.secret ?? SECRET,
    eventId: o.key ?? "e-1",
    timestampSeconds: o.ts ?? TS,
    body,
  });

describe("webhook signature", () => {
  it("is HMAC-SHA256 of '<timestamp>.<body>' as openssl computes it", () => {
    expect(signWebhook(SECRET, TS, BODY)).toBe(OPENSSL);
    expect(headersFor(BODY)).toEqual({
      "content-type": "application/json",
      "lifeline-webhook-id": "command-center",
      "lifeline-timestamp": "1767600000",
      "lifeline-signature": OPENSSL,
      "idempotency-key": "e-1",
    });
  });

  it("verifies a good request and refuses each kind of bad one", () => {
    const secretOf = (id: string) => (id === "command-center" ? SECRET : undefined);
    const check = (headers: Record<string, string>, body = BODY, nowMs = NOW) =>
      verifyWebhook({ headers, body, secretOf, nowMs });
    expect(check(headersFor(BODY))).toEqual({
      ok: true,
      subscriberId: "command-center",
      timestampSeconds: TS,
      idempotencyKey: "e-1",
      duplicate: false,
    });
    expect(check(headersFor(BODY), BODY, NOW + 300_000).ok).toBe(true);
    const reason = (r: ReturnType<typeof check>) => (r.ok ? "accepted" : r.reason);
    expect(reason(check(headersFor(BODY, { secret: "another-secret-0123456789" })))).toBe("bad-signature");
    expect(reason(check(headersFor(BODY), BODY.replace("e-1", "e-2")))).toBe("bad-signature");
    expect(reason(check(headersFor(BODY), BODY, NOW + 301_000))).toBe("stale-timestamp");
    expect(reason(check(headersFor(BODY, { ts: TS + 301 })))).toBe("future-timestamp");
    expect(reason(check(headersFor(BODY, { id: "someone-else" })))).toBe("unknown-subscriber");
    expect(reason(check({ ...headersFor(BODY), "lifeline-timestamp": "1.7e9" }))).toBe("malformed-timestamp");
    const { "idempotency-key": _drop, ...noKey } = headersFor(BODY);
    expect(reason(check(noKey))).toBe("missing-header");
    // a rotated secret: either signature is accepted
    const both = { ...headersFor(BODY), "lifeline-signature": `v1=${"0".repeat(64)}, ${OPENSSL}` };
    expect(reason(check(both))).toBe("accepted");
    // seen is asked only for an authentic request
    const asked: string[] = [];
    const seen = (key: string) => asked.push(key) > 0;
    expect(verifyWebhook({ headers: headersFor(BODY), body: BODY, secretOf, nowMs: NOW, seen })).toMatchObject({
      ok: true,
      duplicate: true,
    });
    verifyWebhook({ headers: headersFor(BODY), body: "tampered", secretOf, nowMs: NOW, seen });
    expect(asked).toEqual(["e-1"]);
  });
});

interface ExampleModule {
  verify(
    headers: Record<string, string>,
    rawBody: Buffer | string,
    secretOf: (id: string) => string | undefined,
    options?: { nowMs?: number; toleranceSeconds?: number },
  ): { ok: boolean; reason?: string; idempotencyKey?: string };
  createReceiver(o: { secrets: Record<string, string>; onEvent: (body: unknown) => Promise<void> | void }): Server;
}

describe("example receiver (examples/verify-webhook.mjs)", () => {
  let example: ExampleModule;
  let server: Server;
  let url: string;
  const processed: unknown[] = [];
  let failNext = false;

  beforeAll(async () => {
    // A path in a variable: the example is plain JavaScript without types.
    const path = new URL("../examples/verify-webhook.mjs", import.meta.url).href;
    example = (await import(path)) as ExampleModule;
    server = example.createReceiver({
      secrets: { "command-center": SECRET },
      onEvent: (body) => {
        if (failNext) {
          failNext = false;
          throw new Error("database down");
        }
        processed.push(body);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = async (headers: Record<string, string>, body: string) => {
    const res = await fetch(url, { method: "POST", headers, body });
    return { status: res.status, text: await res.text() };
  };
  const now = () => Math.floor(Date.now() / 1000);

  it("refuses a wrong signature, an old or future timestamp, an unknown subscriber and a tampered body", async () => {
    const body = JSON.stringify({ version: 1, event: { id: "e-10" } });
    expect(await post(headersFor(body, { ts: now(), key: "e-10", secret: "wrong-secret-0123456789" }), body)).toEqual({
      status: 401,
      text: "bad signature",
    });
    expect(await post(headersFor(body, { ts: now() - 301, key: "e-10" }), body)).toEqual({
      status: 401,
      text: "stale timestamp",
    });
    expect(await post(headersFor(body, { ts: now() + 3_600, key: "e-10" }), body)).toEqual({
      status: 401,
      text: "timestamp in the future",
    });
    expect(await post(headersFor(body, { ts: now(), key: "e-10", id: "intruder" }), body)).toEqual({
      status: 401,
      text: "unknown subscriber",
    });
    expect(await post(headersFor(body, { ts: now(), key: "e-10" }), body.replace("e-10", "e-11"))).toEqual({
      status: 401,
      text: "bad signature",
    });
    expect(processed).toEqual([]);
  });

  it("accepts a correct request once per idempotency key; a failed processing is taken again", async () => {
    const body = JSON.stringify({ version: 1, event: { id: "e-20" } });
    failNext = true;
    expect(await post(headersFor(body, { ts: now(), key: "e-20" }), body)).toEqual({
      status: 500,
      text: "processing failed",
    });
    expect(await post(headersFor(body, { ts: now(), key: "e-20" }), body)).toEqual({ status: 200, text: "ok" });
    // the repeat, signed afresh as Lifeline does: answered 200, not processed again
    expect(await post(headersFor(body, { ts: now() + 1, key: "e-20" }), body)).toEqual({
      status: 200,
      text: "already processed",
    });
    expect(processed).toEqual([{ version: 1, event: { id: "e-20" } }]);
  });

  it("exports verify, which agrees with verifyWebhook", () => {
    const headers = headersFor(BODY);
    const secretOf = (id: string) => (id === "command-center" ? SECRET : undefined);
    expect(example.verify(headers, BODY, secretOf, { nowMs: NOW })).toEqual({
      ok: true,
      subscriberId: "command-center",
      idempotencyKey: "e-1",
    });
    expect(example.verify(headers, BODY, secretOf, { nowMs: NOW + 301_000 })).toEqual({
      ok: false,
      reason: "stale timestamp",
    });
    expect(example.verify(headers, BODY, () => undefined)).toEqual({ ok: false, reason: "unknown subscriber" });
  });
});
