import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ALERT_STREAM,
  type AlertCondition,
  type AlertEvent,
  type AlertLevel,
  alertConditionSubject,
} from "@lifeline/contracts";
import { ensureStreams, type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { AlertStore, ChdbDriver, TelemetryStore } from "@lifeline/store";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertService } from "../src/alerts/alert-service.ts";
import { buildApi } from "../src/api-server.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-alert-service-"));
const T0 = Date.UTC(2026, 10, 30, 2, 0, 0);
const MIN = 60_000;
let server: NatsServerProcess;
let nats: NatsConnection;
let telemetry: TelemetryStore;
let store: AlertStore;
let clock = T0;

const cond = (at: number, level: AlertLevel | null, device = "wl-1"): AlertCondition => ({
  rule: "water-level",
  site: "flood-2",
  device,
  kind: "threshold",
  level,
  at,
  metric: "level",
  value: level === null ? 1.2 : 2.6,
  summary: `level ${level ?? "normal"}`,
  evidence: { values: { level: level === null ? 1.2 : 2.6 }, threshold: 2.5 },
});

async function publishConditions(conditions: readonly AlertCondition[]) {
  const js = jetstream(nats);
  for (const c of conditions) await js.publish(alertConditionSubject(c), JSON.stringify(c));
}

/** Every event in the ALERTS stream (the outbox), in stream order. */
async function outbox(): Promise<AlertEvent[]> {
  const jsm = await jetstreamManager(nats);
  const info = await jsm.streams.info(ALERT_STREAM);
  const events: AlertEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(ALERT_STREAM, { seq });
    if (m !== null) events.push(m.json<AlertEvent>());
  }
  return events;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every stored transition of every alert. */
async function stored(): Promise<AlertEvent[]> {
  const alerts = await store.listAlerts({ limit: 100 });
  return (await Promise.all(alerts.map((a) => store.alertHistory(a.alertId)))).flat();
}

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats") });
  nats = await connect({ servers: server.url });
  await ensureStreams(await jetstreamManager(nats));
  telemetry = await TelemetryStore.open(new ChdbDriver(join(dir, "ch")));
  store = new AlertStore(telemetry.driver);
}, 60_000);

afterAll(async () => {
  await nats?.close();
  await server?.stop();
  await telemetry?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("alert service", () => {
  let service: AlertService;
  let api: FastifyInstance;

  it("turns conditions into stored and published transitions, once, across a restart", async () => {
    service = await AlertService.start({ nats, store, now: () => clock, tickMs: 60_000 });
    await publishConditions([cond(T0, "III"), cond(T0 + MIN, "I"), cond(T0 + MIN, "I")]);
    const sent = await until("two events in the outbox", async () => {
      const e = await outbox();
      return e.length >= 2 ? e : undefined;
    });
    expect(sent.map((e) => `${e.transition}:${e.level}:${e.seq}`)).toEqual(["fired:III:1", "escalated:I:2"]);
    await until("stored", async () => ((await stored()).length === 2 ? true : undefined));
    await service.stop();

    // A new service restores from ClickHouse: the same conditions again change nothing.
    service = await AlertService.start({ nats, store, now: () => clock, tickMs: 60_000 });
    expect(service.open().map((e) => `${e.state}:${e.level}`)).toEqual(["firing:I"]);
    await publishConditions([cond(T0 + MIN, "I"), cond(T0 + 2 * MIN, null)]);
    await until("resolved", async () => ((await outbox()).length === 3 ? true : undefined));
    const events = await outbox();
    expect(events.map((e) => e.transition)).toEqual(["fired", "escalated", "resolved"]);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3].map((n) => `${events[0]?.alertId}-${n}`));
    // The outbox comes first, ClickHouse second: the transition counts once it is stored there too.
    await until("the transition stored", async () => (service.stats().transitions === 1 ? true : undefined));
    expect(service.stats()).toMatchObject({ conditions: 2, transitions: 1, notified: 1, invalid: 0, failures: 0 });
  }, 60_000);

  it("acknowledges and closes through the API; refuses what the state does not allow", async () => {
    api = await buildApi({ store: telemetry, now: () => clock, alerting: { store, service }, checkAnswers: true });
    const [alert] = (await api.inject({ url: "/v1/alerts?site=flood-2&state=resolved" })).json().alerts as AlertEvent[];
    expect(alert).toMatchObject({ device: "wl-1", level: "I", state: "resolved", seq: 3, firedAt: T0 });
    const id = alert?.alertId as string;
    const ack = await api.inject({ method: "POST", url: `/v1/alerts/${id}/acknowledge`, payload: { by: "ops" } });
    expect(ack.statusCode).toBe(409);
    expect(ack.json().error).toMatchObject({ code: "API_CONFLICT", parameter: "id" });
    const bad = await api.inject({ method: "POST", url: `/v1/alerts/${id}/close`, payload: { note: "x" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: "API_BAD_PARAMETER", parameter: "by" });
    clock = T0 + 10 * MIN;
    const closed = await api.inject({
      method: "POST",
      url: `/v1/alerts/${id}/close`,
      payload: { by: "duty-officer", note: "pumps restored" },
    });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ transition: "closed", state: "closed", seq: 4, at: T0 + 10 * MIN });
    const one = (await api.inject({ url: `/v1/alerts/${id}` })).json();
    expect(one.history.map((e: AlertEvent) => `${e.transition}:${e.by ?? ""}`)).toEqual([
      "fired:",
      "escalated:",
      "resolved:",
      "closed:duty-officer",
    ]);
    expect((await api.inject({ url: "/v1/alerts/0123456789abcdef01234567" })).statusCode).toBe(404);
    expect((await api.inject({ url: "/v1/alerts/nope" })).json().error.parameter).toBe("id");
    expect((await api.inject({ url: "/v1/alerts?level=V" })).json().error.parameter).toBe("level");
    expect((await outbox()).map((e) => e.transition)).toEqual(["fired", "escalated", "resolved", "closed"]);
  }, 30_000);

  it("holds back alerts under a silence and sends them when it is ended", async () => {
    const created = await api.inject({
      method: "POST",
      url: "/v1/alerts/silences",
      payload: { site: "flood-2", device: "wl-9", duration: "2h", by: "planner", comment: "gate maintenance" },
    });
    expect(created.statusCode).toBe(201);
    const silence = created.json();
    expect(silence).toMatchObject({
      site: "flood-2",
      device: "wl-9",
      rule: "",
      startsAt: clock,
      endsAt: clock + 2 * 60 * MIN,
    });
    await publishConditions([cond(clock + MIN, "II", "wl-9")]);
    await until("stored silenced", async () => {
      const a = await store.listAlerts({ limit: 10, site: "flood-2", device: "wl-9" });
      return a.length === 1 ? a : undefined;
    });
    const [held] = await store.listAlerts({ limit: 10, device: "wl-9" });
    expect(held).toMatchObject({ transition: "fired", silenced: true });
    expect((await outbox()).length).toBe(4);
    const ended = await api.inject({ method: "DELETE", url: `/v1/alerts/silences/${silence.id}` });
    expect(ended.statusCode).toBe(200);
    expect((await api.inject({ url: "/v1/alerts/silences" })).json().silences).toEqual([]);
    await service.stop();
    // The tick after the end sends what is still firing.
    service = await AlertService.start({ nats, store, now: () => clock + 2 * MIN, tickMs: 100 });
    const sent = await until("renotified", async () => {
      const e = await outbox();
      return e.length === 5 ? e : undefined;
    });
    expect(sent[4]).toMatchObject({ device: "wl-9", transition: "renotified", state: "firing", level: "II", seq: 2 });
    await service.stop();
  }, 30_000);
});
