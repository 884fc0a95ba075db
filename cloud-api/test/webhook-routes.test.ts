import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlertEvent } from "@lifeline/contracts";
import { ensureStreams, type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkAnswers } from "../src/answer-check.ts";
import { answerErrors } from "../src/error-handler.ts";
import { ROUTE_DOCS } from "../src/route-docs.ts";
import { DeadLetters } from "../src/webhooks/dead-letters.ts";
import { SubscriberRegistry } from "../src/webhooks/subscriber-registry.ts";
import { WebhookDispatcher } from "../src/webhooks/webhook-dispatcher.ts";
import { webhookRoutes } from "../src/webhooks/webhook-routes.ts";

const SECRET = "routes-secret-0123456789";
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const dir = mkdtempSync(join(tmpdir(), "lifeline-webhook-routes-"));
let server: NatsServerProcess;
let nats: NatsConnection;
let registry: SubscriberRegistry;
let deadLetters: DeadLetters;
let dispatcher: WebhookDispatcher;
let app: FastifyInstance;
let receiver: Server;
let hookUrl: string;
const received: string[] = [];

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nats = await connect({ servers: server.url, noAsyncTraces: true });
  await ensureStreams(await jetstreamManager(nats));
  registry = await SubscriberRegistry.open(nats, { now: () => T0 });
  deadLetters = await DeadLetters.open(nats);
  dispatcher = await WebhookDispatcher.start({ nats, registry, deadLetters });
  app = Fastify({ logger: false });
  answerErrors(app);
  checkAnswers(app, ROUTE_DOCS);
  await app.register(webhookRoutes(registry, deadLetters, dispatcher));
  receiver = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    received.push(JSON.parse(body).event.id);
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await app?.close();
  await dispatcher?.stop();
  receiver?.closeAllConnections();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  await nats?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (method: "GET" | "PUT" | "POST" | "DELETE", url: string, payload?: unknown) => {
  const res = await app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, text: res.body, body: res.body === "" ? undefined : res.json() };
};

const until = async (condition: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
};

const STATS = {
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

describe("webhook routes", () => {
  it("create, read, update and delete subscribers; no answer contains a secret", async () => {
    const body = { url: hookUrl, secret: SECRET, format: "alertmanager", filter: { sites: ["s1"], minLevel: "II" } };
    const created = await call("PUT", "/v1/webhooks/cc", body);
    expect(created.status).toBe(201);
    const view = {
      id: "cc",
      url: hookUrl,
      format: "alertmanager",
      filter: { sites: ["s1"], minLevel: "II" },
      deadLetterAfterMs: 3_600_000,
      timeoutMs: 10_000,
      enabled: true,
      createdAt: T0,
      updatedAt: T0,
    };
    const { stats: _stats, ...rest } = created.body;
    expect(rest).toEqual(view);
    await until(() => dispatcher.stats("cc")?.state === "running");
    expect((await call("GET", "/v1/webhooks/cc")).body).toEqual({ ...view, stats: { ...STATS, state: "running" } });
    expect((await call("GET", "/v1/webhooks/cc/stats")).body).toEqual({ ...STATS, state: "running" });

    // An update without the secret keeps it.
    const updated = await call("PUT", "/v1/webhooks/cc", { url: hookUrl, timeoutMs: 5_000 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: "cc", format: "lifeline", filter: {}, timeoutMs: 5_000 });
    expect((await registry.get("cc"))?.secret).toBe(SECRET);
    const listing = await call("GET", "/v1/webhooks");
    expect(listing.body.webhooks.map((w: { id: string }) => w.id)).toEqual(["cc"]);
    for (const answer of [created, updated, listing, await call("GET", "/v1/webhooks/cc")]) {
      expect(answer.text).not.toContain(SECRET);
      expect(answer.text).not.toContain('"secret"');
    }

    expect(await call("DELETE", "/v1/webhooks/cc")).toEqual({ status: 204, text: "", body: undefined });
    expect((await call("GET", "/v1/webhooks/cc")).status).toBe(404);
    expect((await call("DELETE", "/v1/webhooks/cc")).body.error).toMatchObject({
      code: "API_NOT_FOUND",
      parameter: "id",
    });
  });

  it("refuse bad bodies with a 400 naming the field", async () => {
    const good = { url: hookUrl, secret: SECRET };
    const refused = async (url: string, payload: unknown) => {
      const res = await call("PUT", url, payload);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("API_BAD_PARAMETER");
      return res.body.error.parameter as string;
    };
    expect(await refused("/v1/webhooks/w1", { url: hookUrl })).toBe("secret");
    expect(await refused("/v1/webhooks/w1", { ...good, url: "ftp://cc.example.org/hook" })).toBe("url");
    expect(await refused("/v1/webhooks/w1", { ...good, secret: "short" })).toBe("secret");
    expect(await refused("/v1/webhooks/w1", { ...good, format: "slack" })).toBe("format");
    expect(await refused("/v1/webhooks/w1", { ...good, filter: { minLevel: "V" } })).toBe("filter.minLevel");
    expect(await refused("/v1/webhooks/w1", { ...good, filter: { levels: ["IV"], minLevel: "I" } })).toBe(
      "filter.minLevel",
    );
    expect(await refused("/v1/webhooks/w1", { ...good, filter: { site: ["s1"] } })).toBe("filter.site");
    expect(await refused("/v1/webhooks/w1", { ...good, filter: { sites: ["a.b"] } })).toBe("filter.sites.0");
    expect(await refused("/v1/webhooks/w1", { ...good, filter: { kinds: [] } })).toBe("filter.kinds");
    expect(await refused("/v1/webhooks/w1", { ...good, deadLetterAfterMs: 10 })).toBe("deadLetterAfterMs");
    expect(await refused("/v1/webhooks/w1", { ...good, colour: "red" })).toBe("colour");
    expect(await refused("/v1/webhooks/a.b", good)).toBe("id");
    expect(await refused("/v1/webhooks/dead-letters", good)).toBe("id");
    expect((await call("GET", "/v1/webhooks")).body).toEqual({ webhooks: [] });
  });

  it("list dead letters and replay them", async () => {
    await call("PUT", "/v1/webhooks/cc2", { url: hookUrl, secret: SECRET });
    const event = (seq: number): AlertEvent => ({
      v: 1,
      id: `alert-9-${seq}`,
      alertId: "alert-9",
      key: "r/s1/d1",
      seq,
      rule: "r",
      site: "s1",
      device: "d1",
      kind: "stale",
      transition: seq === 1 ? "fired" : "resolved",
      state: seq === 1 ? "firing" : "resolved",
      level: "IV",
      at: T0 + seq,
      firedAt: T0 + 1,
      summary: "no data",
      evidence: {},
      silenced: false,
      flapping: false,
    });
    const letter = (seq: number) => ({
      subscriber: "cc2",
      event: event(seq),
      attempts: 12,
      firstAttemptAt: T0,
      lastAttemptAt: T0 + 3_600_000,
      lastError: "no answer within 10000 ms",
      lastStatus: null,
    });
    await deadLetters.put(letter(2));
    await deadLetters.put(letter(1));
    expect((await call("GET", "/v1/webhooks/dead-letters?subscriber=cc2")).body).toEqual({
      truncated: false,
      deadLetters: [letter(1), letter(2)],
    });
    expect((await call("GET", "/v1/webhooks/dead-letters?subscriber=cc2&limit=1")).body).toEqual({
      truncated: true,
      deadLetters: [letter(1)],
    });
    expect((await call("GET", "/v1/webhooks/dead-letters?subscriber=a.b")).body.error.parameter).toBe("subscriber");
    expect((await call("GET", "/v1/webhooks/dead-letters?colour=red")).body.error.parameter).toBe("colour");

    const replay = (payload: unknown) => call("POST", "/v1/webhooks/dead-letters/replay", payload);
    expect((await replay({})).body.error).toMatchObject({ code: "API_BAD_PARAMETER", parameter: "subscriber" });
    expect((await replay({ subscriber: "cc2", more: 1 })).body.error.parameter).toBe("more");
    expect((await replay({ subscriber: "nobody" })).body.error).toMatchObject({
      code: "API_NOT_FOUND",
      parameter: "subscriber",
    });
    expect((await replay({ subscriber: "cc2", eventId: "alert-0-1" })).body.error).toMatchObject({
      code: "API_NOT_FOUND",
      parameter: "eventId",
    });
    expect(await replay({ subscriber: "cc2", eventId: "alert-9-1" })).toMatchObject({
      status: 200,
      body: { replayed: ["alert-9-1"], failed: [] },
    });
    expect((await replay({ subscriber: "cc2" })).body).toEqual({ replayed: ["alert-9-2"], failed: [] });
    expect(received).toEqual(["alert-9-1", "alert-9-2"]);
    expect((await call("GET", "/v1/webhooks/dead-letters")).body).toEqual({ truncated: false, deadLetters: [] });
  });
});
