import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlertEvent, Envelope } from "@lifeline/contracts";
import { telemetryTopic } from "@lifeline/contracts";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error -- the receiver example is plain JavaScript, as a command center would copy it.
import { createReceiver } from "../../cloud-api/examples/verify-webhook.mjs";
import { type Stack, startStack } from "../src/stack.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-alerts-e2e-"));
const SECRET = "s3cret-of-the-command-center-0001";
let stack: Stack;
let receiver: Server;
let receiverUrl: string;
const received: { subscriber: string; body: Record<string, unknown> }[] = [];
const refused: string[] = [];
let device: MqttClient;
let seq = 0;
const T0 = Date.now() - 60_000;

const envelope = (ts: number, value: number): Envelope => ({
  v: 1,
  site: "flood-2",
  gateway: "rtu-7",
  device: "underpass-3",
  bootId: "b1",
  seq: seq++,
  readings: [{ metric: "water_level", ts, value, unit: "m", quality: "good" }],
});

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field with expect()
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  receiver = createReceiver({
    secrets: { "command-center": SECRET, "legacy-am": SECRET },
    onEvent: (body: Record<string, unknown>, checked: { subscriberId: string }) => {
      received.push({ subscriber: checked.subscriberId, body });
    },
    log: (line: string) => refused.push(line),
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", () => resolve()));
  const address = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;
  stack = await startStack({ dataDir: dir, natsPort: 0, mqttPort: 0, apiPort: 0, lingerMs: 20, checkAnswers: true });
  device = await mqtt.connectAsync(stack.mqttUrl, { clientId: "rtu-7" });
}, 90_000);

afterAll(async () => {
  await device?.endAsync();
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("alerts end to end: MQTT reading → rule → lifecycle → signed webhook", () => {
  it("delivers fired and resolved to both subscribers, in their formats, and on MQTT", async () => {
    const rule = await api("PUT", "/v1/rules/flood-2/underpass-level", {
      device: "*",
      kind: "threshold",
      metric: "water_level",
      direction: "above",
      levels: { IV: 0.15, II: 0.4 },
      hysteresis: 0.02,
    });
    expect(rule.status).toBe(200);
    const bad = await api("PUT", "/v1/rules/flood-2/broken", { kind: "threshold", metric: "water_level" });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: "API_BAD_PARAMETER", parameter: "device" });
    for (const [id, format] of [
      ["command-center", "lifeline"],
      ["legacy-am", "alertmanager"],
    ] as const) {
      const put = await api("PUT", `/v1/webhooks/${id}`, { url: receiverUrl, secret: SECRET, format });
      expect(put.status).toBe(201);
      expect(JSON.stringify(put.json)).not.toContain(SECRET);
    }
    await until("rule in force", async () =>
      (await api("GET", "/v1/rules?site=flood-2")).json.rules.length === 1 ? true : undefined,
    );
    const legacy = await mqtt.connectAsync(stack.mqttUrl, { clientId: "scada" });
    const onMqtt: string[] = [];
    legacy.on("message", (topic) => onMqtt.push(topic));
    await legacy.subscribeAsync("lifeline/v1/alert/#", { qos: 1 });

    for (const [i, level] of [0.05, 0.2, 0.55, 0.1].entries()) {
      const e = envelope(T0 + i * 1_000, level);
      await device.publishAsync(telemetryTopic(e), JSON.stringify(e), { qos: 1 });
    }
    await until("6 deliveries", () => (received.length >= 6 ? true : undefined)).catch(async (e) => {
      console.log(JSON.stringify((await api("GET", "/v1/status")).json, null, 1), received.length, refused);
      throw e;
    });
    const lifeline = received.filter((r) => r.subscriber === "command-center").map((r) => r.body.event as AlertEvent);
    expect(lifeline.map((e) => `${e.transition}:${e.level}:${e.seq}:${e.at - T0}`)).toEqual([
      "fired:IV:1:1000",
      "escalated:II:2:2000",
      "resolved:II:3:3000",
    ]);
    expect(lifeline[0]).toMatchObject({ rule: "underpass-level", site: "flood-2", device: "underpass-3", value: 0.2 });
    const am = received.filter((r) => r.subscriber === "legacy-am").map((r) => r.body);
    expect(
      am.map((b) => `${b.version}:${b.status}:${(b.alerts as { labels: { severity: string } }[])[0]?.labels.severity}`),
    ).toEqual(["4:firing:IV", "4:firing:II", "4:resolved:II"]);
    expect(refused).toEqual([]);
    await until("3 on MQTT", () => (onMqtt.length >= 3 ? true : undefined));
    expect(onMqtt).toEqual([
      "lifeline/v1/alert/flood-2/IV/threshold/underpass-3",
      "lifeline/v1/alert/flood-2/II/threshold/underpass-3",
      "lifeline/v1/alert/flood-2/II/threshold/underpass-3",
    ]);
    await legacy.endAsync();

    // The operator closes it; the transition is stored and delivered too.
    const alertId = lifeline[0]?.alertId as string;
    const closed = await api("POST", `/v1/alerts/${alertId}/close`, { by: "duty-officer", note: "pumps on" });
    expect(closed.status).toBe(200);
    await until("closed delivered", () => (received.length >= 8 ? true : undefined));
    const history = (await api("GET", `/v1/alerts/${alertId}`)).json.history as AlertEvent[];
    expect(history.map((e) => e.transition)).toEqual(["fired", "escalated", "resolved", "closed"]);
    // A receiver logs a request before its answer reaches the dispatcher: wait for the dispatcher's count.
    const status = await until("4 delivered to the command center", async () => {
      const s = (await api("GET", "/v1/status")).json;
      return s.webhooks["command-center"]?.delivered === 4 ? s : undefined;
    });
    expect(status.alerts).toMatchObject({ transitions: 4, notified: 4, failures: 0 });
    expect(status.webhooks["command-center"]).toMatchObject({ delivered: 4 });
  }, 60_000);

  it("deletes a rule through the API: it leaves force, and the alert it held open is resolved", async () => {
    const put = await api("PUT", "/v1/rules/flood-2/gate-level", {
      device: "underpass-3",
      kind: "threshold",
      metric: "water_level",
      direction: "above",
      levels: { III: 0.3 },
    });
    expect(put.status).toBe(200);
    await until("gate-level in force", async () =>
      (await api("GET", "/v1/rules?site=flood-2")).json.rules.some((r: { id: string }) => r.id === "gate-level")
        ? true
        : undefined,
    );
    // 0.35 m: gate-level fires at III (underpass-level at IV, closed above, opens a new alert too).
    const e = envelope(T0 + 10_000, 0.35);
    await device.publishAsync(telemetryTopic(e), JSON.stringify(e), { qos: 1 });
    const alertsOf = async () => (await api("GET", "/v1/alerts?rule=gate-level")).json.alerts as AlertEvent[];
    const fired = await until("gate-level fired", async () =>
      (await alertsOf())[0]?.state === "firing" ? true : undefined,
    );
    expect(fired).toBe(true);

    const deleted = await api("DELETE", "/v1/rules/flood-2/gate-level");
    expect(deleted).toEqual({ status: 200, json: { deleted: { site: "flood-2", id: "gate-level" } } });
    const again = await api("DELETE", "/v1/rules/flood-2/gate-level");
    expect([again.status, again.json.error.code, again.json.error.parameter]).toEqual([404, "API_NOT_FOUND", "id"]);
    const resolved = await until("gate-level's alert resolved", async () => {
      const [alert] = await alertsOf();
      return alert?.state === "resolved" ? alert : undefined;
    });
    expect([resolved.transition, resolved.level, resolved.rule]).toEqual(["resolved", "III", "gate-level"]);
    const rules = (await api("GET", "/v1/rules?site=flood-2")).json.rules as { id: string }[];
    expect(rules.map((r) => r.id)).toEqual(["underpass-level"]);
  }, 60_000);
});
