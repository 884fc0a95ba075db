import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALERT_STREAM, type AlertEvent, type AlertKind, type AlertLevel, alertSubject } from "@lifeline/contracts";
import { ensureStreams, type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetters } from "../src/webhooks/dead-letters.ts";
import { SubscriberRegistry } from "../src/webhooks/subscriber-registry.ts";
import { webhookConsumerName } from "../src/webhooks/webhook-consumer.ts";
import { WebhookDispatcher } from "../src/webhooks/webhook-dispatcher.ts";
import { filterSubjects, matchesFilter, supportsMultipleFilterSubjects } from "../src/webhooks/webhook-filter.ts";
import type { WebhookFilter } from "../src/webhooks/webhook-subscriber.ts";

describe("filter subjects", () => {
  const multi = { multipleSubjects: true };
  const single = { multipleSubjects: false };

  it("selects everything with no filter, one subject per combination otherwise", () => {
    expect(filterSubjects({}, multi)).toEqual({ subjects: ["alert.>"], exact: true });
    expect(filterSubjects({ sites: ["s1"] }, single)).toEqual({ subjects: ["alert.s1.*.*.*"], exact: true });
    expect(filterSubjects({ minLevel: "II" }, multi)).toEqual({
      subjects: ["alert.*.II.*.*", "alert.*.I.*.*"],
      exact: true,
    });
    expect(
      filterSubjects({ sites: ["s1", "s2"], levels: ["I", "IV"], minLevel: "III", kinds: ["video"] }, multi),
    ).toEqual({
      subjects: ["alert.s1.I.video.*", "alert.s2.I.video.*"],
      exact: true,
    });
  });

  it("widens to one subject without filter_subjects (nats-server < 2.10) or past 64 subjects", () => {
    expect(filterSubjects({ sites: ["s1"], minLevel: "II", kinds: ["rate"] }, single)).toEqual({
      subjects: ["alert.s1.*.rate.*"],
      exact: false,
    });
    const sites = Array.from({ length: 17 }, (_, i) => `s${i}`);
    expect(filterSubjects({ sites, kinds: ["rate"] }, multi).subjects).toHaveLength(17);
    expect(filterSubjects({ sites, levels: ["I", "II", "III", "IV"], kinds: ["rate"] }, multi)).toEqual({
      subjects: ["alert.*.*.rate.*"],
      exact: false,
    });
  });

  it("checks payloads the same way", () => {
    const f: WebhookFilter = { sites: ["s1"], minLevel: "III", kinds: ["threshold"] };
    expect(matchesFilter(f, { site: "s1", level: "II", kind: "threshold" })).toBe(true);
    expect(matchesFilter(f, { site: "s1", level: "IV", kind: "threshold" })).toBe(false);
    expect(matchesFilter(f, { site: "s2", level: "I", kind: "threshold" })).toBe(false);
    expect(matchesFilter(f, { site: "s1", level: "I", kind: "rate" })).toBe(false);
    expect(supportsMultipleFilterSubjects("2.9.10")).toBe(false);
    expect(supportsMultipleFilterSubjects("2.10.0")).toBe(true);
    expect(supportsMultipleFilterSubjects("3.0.1")).toBe(true);
  });
});

const dir = mkdtempSync(join(tmpdir(), "lifeline-webhook-filter-"));
let server: NatsServerProcess;
let nats: NatsConnection;
let receiver: Server;

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nats = await connect({ servers: server.url, noAsyncTraces: true });
  await ensureStreams(await jetstreamManager(nats));
});
afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  await nats?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function event(
  id: string,
  site: string,
  level: AlertLevel,
  kind: AlertKind,
  flags: Partial<AlertEvent> = {},
): AlertEvent {
  return {
    v: 1,
    id,
    alertId: `${id}-alert`,
    key: `r/${site}/${id}`,
    seq: 1,
    rule: "r",
    site,
    device: id,
    kind,
    transition: "fired",
    state: "firing",
    level,
    at: 1_767_600_000_000,
    firedAt: 1_767_600_000_000,
    summary: id,
    evidence: {},
    silenced: false,
    flapping: false,
    ...flags,
  };
}

describe("subscriber filters", () => {
  it("deliver exactly the events of their sites, levels, kinds and minimum level", async () => {
    const received: Record<string, string[]> = {};
    receiver = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      const id = (req.url ?? "").slice(1);
      received[id] = [...(received[id] ?? []), JSON.parse(body).event.id];
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const registry = await SubscriberRegistry.open(nats);
    const filters: Record<string, WebhookFilter> = {
      "by-site": { sites: ["f-a"] },
      "by-levels": { levels: ["I", "IV"] },
      "by-kind": { kinds: ["video"] },
      "by-min": { minLevel: "II" },
      combined: { sites: ["f-a", "f-b"], minLevel: "III", kinds: ["threshold", "rate"] },
      everything: {},
    };
    for (const [id, filter] of Object.entries(filters)) {
      await registry.put({ id, url: `${base}/${id}`, secret: "filter-test-secret-0123", filter });
    }
    const dispatcher = await WebhookDispatcher.start({ nats, registry, deadLetters: await DeadLetters.open(nats) });
    try {
      const events = [
        event("e1", "f-a", "IV", "threshold"),
        event("e2", "f-a", "III", "rate"),
        event("e3", "f-b", "II", "threshold"),
        event("e4", "f-b", "I", "video"),
        event("e5", "f-c", "I", "threshold"),
        event("e6", "f-c", "III", "video"),
        event("e7", "f-a", "II", "model"),
        event("e8", "f-b", "IV", "rate"),
        event("e9", "f-a", "I", "threshold", { silenced: true }),
        event("e10", "f-a", "I", "threshold", { flapping: true }),
      ];
      const js = jetstream(nats);
      for (const e of events) await js.publish(alertSubject(e), JSON.stringify(e), { msgID: e.id });
      const expected = {
        "by-site": ["e1", "e2", "e7"],
        "by-levels": ["e1", "e4", "e5", "e8"],
        "by-kind": ["e4", "e6"],
        "by-min": ["e3", "e4", "e5", "e7"],
        combined: ["e2", "e3"],
        everything: ["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"],
      };
      const total = Object.values(expected).flat().length;
      const count = () => Object.values(received).flat().length;
      const deadline = Date.now() + 15_000;
      while (count() < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 300));
      for (const list of Object.values(received)) list.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
      expect(received).toEqual(expected);
      expect(dispatcher.stats("by-site")).toMatchObject({ delivered: 3, skipped: 2, inFlight: 0 });
      expect(dispatcher.stats("everything")).toMatchObject({ delivered: 8, skipped: 2, inFlight: 0 });

      const jsm = await jetstreamManager(nats);
      const config = async (id: string) => (await jsm.consumers.info(ALERT_STREAM, webhookConsumerName(id))).config;
      expect((await config("by-site")).filter_subject).toBe("alert.f-a.*.*.*");
      if (supportsMultipleFilterSubjects(nats.info?.version)) {
        expect((await config("by-min")).filter_subjects).toEqual(["alert.*.II.*.*", "alert.*.I.*.*"]);
      } else {
        expect((await config("by-min")).filter_subject).toBe("alert.*.*.*.*");
      }
    } finally {
      await dispatcher.stop();
    }
  });
});
