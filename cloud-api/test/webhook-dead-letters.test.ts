import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AlertEvent, alertSubject } from "@lifeline/contracts";
import { ensureStreams, type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeadLetter, DeadLetters, deadLetterKey } from "../src/webhooks/dead-letters.ts";
import type { DeliveryClock } from "../src/webhooks/retry-backoff.ts";
import { SubscriberRegistry } from "../src/webhooks/subscriber-registry.ts";
import { WebhookDispatcher } from "../src/webhooks/webhook-dispatcher.ts";
import { WebhookError } from "../src/webhooks/webhook-error.ts";
import { verifyWebhook } from "../src/webhooks/webhook-signature.ts";

const SECRET = "dead-letter-secret-0123456";
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), "lifeline-dead-letters-"));
let server: NatsServerProcess;
let nats: NatsConnection;
let registry: SubscriberRegistry;
let deadLetters: DeadLetters;
let receiver: Server;
let url: string;
const requests: Array<{ headers: IncomingHttpHeaders; body: string; id: string }> = [];
/** The status the receiver answers for an event id. */
let answer: (id: string) => number = () => 503;

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nats = await connect({ servers: server.url, noAsyncTraces: true });
  await ensureStreams(await jetstreamManager(nats));
  registry = await SubscriberRegistry.open(nats);
  deadLetters = await DeadLetters.open(nats);
  receiver = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const id = JSON.parse(body).event.id as string;
    requests.push({ headers: req.headers, body, id });
    const status = answer(id);
    res.writeHead(status).end(status === 503 ? "down for maintenance" : "");
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  await nats?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function event(site: string, device: string, seq: number): AlertEvent {
  return {
    v: 1,
    id: `${site}-${device}-${seq}`,
    alertId: `${site}-${device}`,
    key: `water-level/${site}/${device}`,
    seq,
    rule: "water-level",
    site,
    device,
    kind: "threshold",
    metric: "level",
    transition: seq === 1 ? "fired" : "escalated",
    state: "firing",
    level: seq === 1 ? "III" : "II",
    at: T0 + seq * 60_000,
    firedAt: T0 + 60_000,
    value: 4 + seq,
    summary: `level ${4 + seq} m`,
    evidence: { threshold: 4 },
    silenced: false,
    flapping: false,
  };
}

/** An hour passes in no time: sleeping moves the clock; the waits are recorded. */
function fakeClock(start: number): DeliveryClock & { waits: number[] } {
  let now = start;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms, signal) => {
      if (signal.aborted) return;
      waits.push(ms);
      now += ms;
    },
  };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("dead letters", () => {
  it("keep an event its receiver refused for deadLetterAfterMs (1 h); a replay delivers it and empties the list", async () => {
    requests.length = 0;
    answer = () => 503;
    const subscriber = await registry.put({ id: "hourly", url, secret: SECRET, filter: { sites: ["dl-site"] } });
    expect(subscriber.deadLetterAfterMs).toBe(HOUR);
    const clock = fakeClock(T0);
    // random() = 1: every wait is the full backoff ceiling, 1 s doubling up to the 60 s cap.
    const dispatcher = await WebhookDispatcher.start({ nats, registry, deadLetters, clock, random: () => 1 });
    const e = event("dl-site", "gauge-1", 1);
    try {
      await jetstream(nats).publish(alertSubject(e), JSON.stringify(e), { msgID: e.id });
      await until("dead-lettered", () => dispatcher.stats("hourly")?.deadLettered === 1);
      expect(clock.waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, ...Array(58).fill(60_000), 57_000]);
      expect(requests.length).toBe(66);
      expect(await deadLetters.list("hourly")).toEqual<DeadLetter[]>([
        {
          subscriber: "hourly",
          event: e,
          attempts: 66,
          firstAttemptAt: T0,
          lastAttemptAt: T0 + HOUR,
          lastError: "HTTP 503: down for maintenance",
          lastStatus: 503,
        },
      ]);
      expect(dispatcher.stats("hourly")).toMatchObject({
        delivered: 0,
        retried: 65,
        deadLettered: 1,
        inFlight: 0,
        lastError: "HTTP 503: down for maintenance",
        lastStatus: 503,
      });

      answer = () => 200;
      requests.length = 0;
      expect(await deadLetters.replay(subscriber)).toEqual({ replayed: [e.id], failed: [] });
      expect(requests.map((r) => r.id)).toEqual([e.id]);
      const replayed = requests[0];
      expect(
        replayed && verifyWebhook({ headers: replayed.headers, body: replayed.body, secretOf: () => SECRET }),
      ).toMatchObject({ ok: true, idempotencyKey: e.id, duplicate: false });
      expect(await deadLetters.list("hourly")).toEqual([]);
      expect(await deadLetters.list()).toEqual([]);
    } finally {
      await dispatcher.stop();
      await registry.delete("hourly");
    }
  });

  it("replays oldest first, keeps what fails (counting the attempt), and holds back later events of its key", async () => {
    requests.length = 0;
    const subscriber = await registry.put({ id: "replayer", url, secret: SECRET });
    const k1 = event("r-site", "gauge-1", 1);
    const k2 = event("r-site", "gauge-1", 2);
    const other = { ...event("r-site", "gauge-2", 1), at: T0 + 90_000 };
    const letter = (e: AlertEvent): DeadLetter => ({
      subscriber: "replayer",
      event: e,
      attempts: 3,
      firstAttemptAt: T0,
      lastAttemptAt: T0 + 1_000,
      lastError: "HTTP 503: down for maintenance",
      lastStatus: 503,
    });
    for (const e of [k2, other, k1]) await deadLetters.put(letter(e));
    expect((await deadLetters.list("replayer")).map((l) => l.event.id)).toEqual([k1.id, other.id, k2.id]);

    answer = (id) => (id === k1.id ? 500 : 200);
    const before = Date.now();
    expect(await deadLetters.replay(subscriber)).toEqual({
      replayed: [other.id],
      failed: [
        { eventId: k1.id, status: 500, error: "HTTP 500" },
        { eventId: k2.id, status: null, error: "not sent: an earlier event of its alert key failed" },
      ],
    });
    expect(requests.map((r) => r.id)).toEqual([k1.id, other.id]);
    const [kept1, kept2] = await deadLetters.list("replayer");
    expect(kept1).toMatchObject({ attempts: 4, lastError: "HTTP 500", lastStatus: 500 });
    expect(kept1?.lastAttemptAt).toBeGreaterThanOrEqual(before);
    expect(kept2).toEqual(letter(k2));

    answer = () => 200;
    expect(await deadLetters.replay(subscriber, k1.id)).toEqual({ replayed: [k1.id], failed: [] });
    expect(await deadLetters.replay(subscriber, k2.id)).toEqual({ replayed: [k2.id], failed: [] });
    expect(await deadLetters.list("replayer")).toEqual([]);
    await expect(deadLetters.replay(subscriber, k2.id)).rejects.toThrow(WebhookError);
    await registry.delete("replayer");
  });

  it("map any event id to a safe, distinct KV key", async () => {
    expect(deadLetterKey("cc", "5f0c1e2d-3")).toBe("cc.5f0c1e2d-3");
    expect(deadLetterKey("cc", "a.b/c")).toBe("cc.=YS5iL2M");
    expect(deadLetterKey("cc", "a b")).not.toBe(deadLetterKey("cc", "a_b"));
    const odd = { ...event("k-site", "gauge-9", 1), id: "urn:alert/x.1 ü" };
    const letter: DeadLetter = {
      subscriber: "cc",
      event: odd,
      attempts: 1,
      firstAttemptAt: T0,
      lastAttemptAt: T0,
      lastError: "no answer within 10000 ms",
      lastStatus: null,
    };
    await deadLetters.put(letter);
    expect(await deadLetters.get("cc", odd.id)).toEqual(letter);
    expect(await deadLetters.remove("cc", odd.id)).toBe(true);
    expect(await deadLetters.list("cc")).toEqual([]);
  });
});
