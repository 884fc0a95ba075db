import { type AlertEvent, alertSubject } from "@lifeline/contracts";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../src/mqtt-gateway.ts";
import { type GatewayUnderTest, startGatewayUnderTest } from "./gateway-under-test.ts";

let nats: NatsConnection;
let gateway: Gateway;
let underTest: GatewayUnderTest | undefined;

beforeAll(async () => {
  underTest = await startGatewayUnderTest("lifeline-gw-alerts-", { profiles: false });
  ({ nats, gateway } = underTest);
});
afterAll(() => underTest?.stop());

const event = (seq: number, device: string): AlertEvent => ({
  v: 1,
  id: `0123456789abcdef01234567-${seq}`,
  alertId: "0123456789abcdef01234567",
  key: `gas-leak/pipe-4/${device}`,
  seq,
  rule: "gas-leak",
  site: "pipe-4",
  device,
  kind: "threshold",
  metric: "ch4",
  transition: seq === 1 ? "fired" : "escalated",
  state: "firing",
  level: seq === 1 ? "III" : "I",
  at: Date.UTC(2026, 10, 30, 3, 0, seq),
  firedAt: Date.UTC(2026, 10, 30, 3, 0, 1),
  value: 1.2,
  summary: "ch4 above limit",
  evidence: {},
  silenced: false,
  flapping: false,
});

describe("alert events on MQTT for legacy systems", () => {
  it("publishes every outbox event on lifeline/v1/alert/<site>/<level>/<kind>/<device>", async () => {
    const legacy = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: "scada-legacy" });
    const received: { topic: string; event: AlertEvent }[] = [];
    legacy.on("message", (topic, payload) => received.push({ topic, event: JSON.parse(payload.toString()) }));
    await legacy.subscribeAsync("lifeline/v1/alert/pipe-4/#", { qos: 1 });
    const js = jetstream(nats);
    for (const e of [event(1, "valve-7"), event(2, "valve-7")]) {
      await js.publish(alertSubject(e), JSON.stringify(e), { msgID: e.id });
    }
    const deadline = Date.now() + 5_000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received.map((r) => r.topic)).toEqual([
      "lifeline/v1/alert/pipe-4/III/threshold/valve-7",
      "lifeline/v1/alert/pipe-4/I/threshold/valve-7",
    ]);
    expect(received.map((r) => r.event.id)).toEqual([event(1, "x").id, event(2, "x").id]);
    await legacy.endAsync();
  });

  it("refuses an alert published by a client: only the gateway speaks there", async () => {
    const spoofer = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, {
      clientId: "spoofer",
      reconnectPeriod: 0,
    });
    const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: "watcher" });
    const seen: string[] = [];
    watcher.on("message", (topic) => seen.push(topic));
    await watcher.subscribeAsync("lifeline/v1/alert/#", { qos: 1 });
    const refusedBefore = gateway.stats().refused;
    const closed = new Promise<void>((resolve) => spoofer.once("close", () => resolve()));
    spoofer.publish("lifeline/v1/alert/pipe-4/I/threshold/valve-7", JSON.stringify(event(3, "valve-7")), { qos: 1 });
    await closed;
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual([]);
    expect(gateway.stats().refused).toBe(refusedBefore + 1);
    spoofer.end(true);
    await watcher.endAsync();
  });
});
