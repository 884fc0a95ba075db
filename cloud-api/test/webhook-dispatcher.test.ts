import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALERT_STREAM, type AlertEvent, alertSubject } from "@lifeline/contracts";
import { ensureStreams, type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetters } from "../src/webhooks/dead-letters.ts";
import { SubscriberRegistry } from "../src/webhooks/subscriber-registry.ts";
import { webhookConsumerName } from "../src/webhooks/webhook-consumer.ts";
import { WebhookDispatcher, type WebhookDispatcherOptions } from "../src/webhooks/webhook-dispatcher.ts";
import { verifyWebhook } from "../src/webhooks/webhook-signature.ts";

const SECRET = "dispatcher-test-secret-0123";
const OUTAGE_MS = Number(process.env.LIFELINE_WEBHOOK_OUTAGE_MS ?? 8_000);
const dir = mkdtempSync(join(tmpdir(), "lifeline-webhooks-"));
let server: NatsServerProcess;
let nats: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let registry: SubscriberRegistry;
let deadLetters: DeadLetters;

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nats = await connect({ servers: server.url, noAsyncTraces: true });
  jsm = await jetstreamManager(nats);
  js = jetstream(nats);
  await ensureStreams(jsm);
  registry = await SubscriberRegistry.open(nats);
  deadLetters = await DeadLetters.open(nats);
});
afterAll(async () => {
  await nats?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `keys` alert keys at `site`, `perKey` transitions each, published interleaved (k1#1, k2#1, …, k1#2, …). */
function alertEvents(site: string, keys: number, perKey: number): AlertEvent[] {
  const out: AlertEvent[] = [];
  for (let seq = 1; seq <= perKey; seq++) {
    for (let k = 1; k <= keys; k++) {
      const device = `dev-${k}`;
      const alertId = `${site}-a${k}`;
      out.push({
        v: 1,
        id: `${alertId}-${seq}`,
        alertId,
        key: `dust-high/${site}/${device}`,
        seq,
        rule: "dust-high",
        site,
        device,
        kind: "threshold",
        metric: "pm10",
        transition: seq === 1 ? "fired" : "renotified",
        state: "firing",
        level: "III",
        at: 1_767_600_000_000 + seq * 1000 + k,
        firedAt: 1_767_600_000_000 + 1000 + k,
        value: seq,
        summary: `pm10 ${seq}`,
        evidence: {},
        silenced: false,
        flapping: false,
      });
    }
  }
  return out;
}

async function publish(events: readonly AlertEvent[]): Promise<void> {
  for (const e of events) await js.publish(alertSubject(e), JSON.stringify(e), { msgID: e.id });
}

interface Request {
  headers: IncomingHttpHeaders;
  body: string;
  event: AlertEvent;
  status: number | "held";
}

/** A command center on 127.0.0.1 that records every request; `answer` decides each status (or holds it). */
async function startReceiver(port = 0) {
  const requests: Request[] = [];
  const held: ServerResponse[] = [];
  const receiver = {
    port,
    requests,
    answer: (_r: Request): number | "held" => 200,
    server: undefined as Server | undefined,
    /** Status 2xx requests, in arrival order. */
    accepted: () => requests.filter((r) => r.status === 200),
    release() {
      for (const res of held.splice(0)) res.writeHead(200).end("ok");
    },
    async listen() {
      const s = createServer(async (req, res) => {
        let body = "";
        for await (const chunk of req) body += chunk;
        const r: Request = { headers: req.headers, body, event: JSON.parse(body).event, status: 200 };
        r.status = receiver.answer(r);
        requests.push(r);
        if (r.status === "held") held.push(res);
        else res.writeHead(r.status).end(r.status === 200 ? "ok" : "down for maintenance");
      });
      await new Promise<void>((resolve) => s.listen(receiver.port, "127.0.0.1", resolve));
      receiver.port = (s.address() as AddressInfo).port;
      receiver.server = s;
    },
    async close() {
      const s = receiver.server;
      receiver.server = undefined;
      if (s === undefined) return;
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    },
  };
  await receiver.listen();
  return receiver;
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startDispatcher(options: Partial<WebhookDispatcherOptions> = {}): Promise<WebhookDispatcher> {
  return WebhookDispatcher.start({
    nats,
    registry,
    deadLetters,
    retry: { baseMs: 100, capMs: 1_000 },
    ackWaitMs: 2_000,
    ...options,
  });
}

/** Seqs per key in arrival order. */
function seqsByKey(requests: readonly Request[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const r of requests) out[r.event.key] = [...(out[r.event.key] ?? []), r.event.seq];
  return out;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("webhook dispatcher", () => {
  it(
    `delivers every event exactly once, in order per key, to a receiver down for ${OUTAGE_MS} ms`,
    async () => {
      const receiver = await startReceiver();
      const port = receiver.port;
      await receiver.close(); // port closed: connection refused
      await registry.put({
        id: "outage",
        url: `http://127.0.0.1:${port}/hook`,
        secret: SECRET,
        filter: { sites: ["outage-site"] },
      });
      const dispatcher = await startDispatcher();
      const events = alertEvents("outage-site", 3, 20);
      const started = Date.now();
      try {
        await publish(events);
        await sleep(OUTAGE_MS / 2);
        receiver.answer = () => 503; // up, but refusing
        await receiver.listen();
        await sleep(OUTAGE_MS / 2);
        receiver.answer = () => 200;
        await until("60 events accepted", () => receiver.accepted().length >= 60, OUTAGE_MS + 30_000);
        await until("nothing in flight", () => dispatcher.stats("outage")?.inFlight === 0);
        await sleep(300); // nothing more arrives
        const accepted = receiver.accepted();
        const keys = accepted.map((r) => r.headers["idempotency-key"]);
        expect(accepted.length).toBe(60);
        expect(new Set(keys).size).toBe(60);
        expect([...keys].sort()).toEqual(events.map((e) => e.id).sort());
        expect(seqsByKey(accepted)).toEqual({
          "dust-high/outage-site/dev-1": range(20),
          "dust-high/outage-site/dev-2": range(20),
          "dust-high/outage-site/dev-3": range(20),
        });
        for (const r of receiver.requests) {
          const checked = verifyWebhook({ headers: r.headers, body: r.body, secretOf: () => SECRET });
          expect(checked).toMatchObject({ ok: true, subscriberId: "outage", idempotencyKey: r.event.id });
        }
        const refused = receiver.requests.filter((r) => r.status === 503).length;
        expect(refused).toBeGreaterThan(0);
        const stats = dispatcher.stats("outage");
        expect(stats).toMatchObject({ state: "running", delivered: 60, deadLettered: 0, inFlight: 0 });
        expect(stats?.retried).toBeGreaterThanOrEqual(refused);
        console.info(
          `outage ${OUTAGE_MS} ms: 60 events delivered ${Date.now() - started} ms after publishing; ${stats?.retried} retries (${refused} answered 503)`,
        );
      } finally {
        await dispatcher.stop();
        await registry.delete("outage");
        await receiver.close();
      }
    },
    OUTAGE_MS + 60_000,
  );

  it("loses nothing when the dispatcher dies mid-delivery; repeats carry the same Idempotency-Key", async () => {
    const receiver = await startReceiver();
    // 15 answered, then every request hangs: one in flight per key when the dispatcher dies.
    receiver.answer = () => (receiver.requests.length < 15 ? 200 : "held");
    await registry.put({
      id: "crash",
      url: `http://127.0.0.1:${receiver.port}/hook`,
      secret: SECRET,
      filter: { sites: ["crash-site"] },
    });
    const doomed = await connect({ servers: server.url, noAsyncTraces: true });
    const first = await startDispatcher({ nats: doomed });
    const events = alertEvents("crash-site", 3, 21);
    const logged: string[] = [];
    const log = { info: () => undefined, warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
    let second: WebhookDispatcher | undefined;
    try {
      await publish(events.slice(0, 60));
      await until("3 requests in flight", () => receiver.requests.filter((r) => r.status === "held").length === 3);
      const inFlight = receiver.requests.filter((r) => r.status === "held").map((r) => r.event.id);
      // The crash: JetStream hears nothing more from this process (no ack, no nak, no +WPI).
      await doomed.close();
      await first.stop();
      receiver.release();
      receiver.answer = () => 200;
      // Newer events of the same keys, there before what the dead process held comes back.
      await publish(events.slice(60));

      second = await startDispatcher({ log });
      await until("every event received", () => new Set(receiver.requests.map((r) => r.event.id)).size === 63);
      await until("nothing in flight", () => second?.stats("crash")?.inFlight === 0);
      await sleep(300);

      for (const r of receiver.requests) expect(r.headers["idempotency-key"]).toBe(r.event.id);
      const counts = new Map<string, number>();
      for (const r of receiver.requests) counts.set(r.event.id, (counts.get(r.event.id) ?? 0) + 1);
      expect([...counts.keys()].sort()).toEqual(events.map((e) => e.id).sort());
      const repeated = [...counts].filter(([, n]) => n > 1);
      expect(repeated.map(([id]) => id).sort()).toEqual([...inFlight].sort());
      expect(repeated.every(([, n]) => n === 2)).toBe(true);
      // Per key: 1…21 in order, the event in flight at the crash sent again right after itself.
      const expected: Record<string, number[]> = {};
      for (const k of [1, 2, 3]) {
        const key = `dust-high/crash-site/dev-${k}`;
        const repeatedSeq = receiver.requests.find((r) => r.status === "held" && r.event.key === key)?.event.seq;
        expected[key] = range(21).flatMap((s) => (s === repeatedSeq ? [s, s] : [s]));
      }
      expect(seqsByKey(receiver.requests)).toEqual(expected);
      expect(second.stats("crash")).toMatchObject({ delivered: 63 - 15, deadLettered: 0, inFlight: 0 });
      expect(logged).toEqual([]); // every held event came back before the newer ones were sent
    } finally {
      await second?.stop();
      await registry.delete("crash");
      await receiver.close();
    }
  });

  it("stops a disabled subscriber where it is, resumes it there, and forgets a deleted one", async () => {
    const receiver = await startReceiver();
    const subscriber = {
      id: "toggle",
      url: `http://127.0.0.1:${receiver.port}/hook`,
      secret: SECRET,
      filter: { sites: ["toggle-site"] },
    };
    await registry.put(subscriber);
    const dispatcher = await startDispatcher();
    const events = alertEvents("toggle-site", 1, 5);
    try {
      await publish(events.slice(0, 2));
      await until("2 delivered", () => dispatcher.stats("toggle")?.delivered === 2);

      await registry.put({ ...subscriber, enabled: false });
      await until("stopped", () => dispatcher.stats("toggle")?.state === "stopped");
      await publish(events.slice(2));
      await sleep(500);
      expect(receiver.requests.length).toBe(2);
      const info = await jsm.consumers.info(ALERT_STREAM, webhookConsumerName("toggle"));
      expect(info.num_pending).toBe(3);

      await registry.put(subscriber);
      await until("5 received", () => receiver.requests.length === 5);
      // The receiver records a request before its response reaches the dispatcher, which counts it then.
      await until("5 delivered", () => dispatcher.stats("toggle")?.delivered === 5);
      expect(receiver.requests.map((r) => r.event.id)).toEqual(events.map((e) => e.id));
      expect(dispatcher.stats("toggle")).toMatchObject({ state: "running", delivered: 5 });

      await registry.delete("toggle");
      await until("forgotten", () => dispatcher.stats("toggle") === undefined);
      await expect(jsm.consumers.info(ALERT_STREAM, webhookConsumerName("toggle"))).rejects.toThrow(
        /consumer not found/i,
      );
    } finally {
      await dispatcher.stop();
      await receiver.close();
    }
  });

  it("applies a URL fixed during the retries to the next attempt, without a restart", async () => {
    const receiver = await startReceiver();
    const wrong = await startReceiver();
    const wrongPort = wrong.port;
    await wrong.close();
    const subscriber = {
      id: "moved",
      url: `http://127.0.0.1:${wrongPort}/hook`,
      secret: SECRET,
      filter: { sites: ["moved-site"] },
    };
    await registry.put(subscriber);
    const dispatcher = await startDispatcher();
    try {
      await publish(alertEvents("moved-site", 1, 2));
      await until("a failed attempt", () => (dispatcher.stats("moved")?.retried ?? 0) >= 1);
      expect(dispatcher.stats("moved")?.lastError).toBe(`connect ECONNREFUSED 127.0.0.1:${wrongPort}`);
      expect(dispatcher.stats("moved")?.lastStatus).toBe(null);
      await registry.put({ ...subscriber, url: `http://127.0.0.1:${receiver.port}/hook` });
      await until("2 received", () => receiver.requests.length === 2);
      // The receiver records a request before its response reaches the dispatcher, which counts it then.
      await until("2 delivered", () => dispatcher.stats("moved")?.delivered === 2);
      expect(receiver.requests.map((r) => r.event.seq)).toEqual([1, 2]);
      expect(dispatcher.stats("moved")).toMatchObject({ state: "running", delivered: 2, inFlight: 0 });
    } finally {
      await dispatcher.stop();
      await registry.delete("moved");
      await receiver.close();
    }
  });
});
