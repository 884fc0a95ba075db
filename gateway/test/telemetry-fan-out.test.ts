import { type Envelope, isTelemetryTopic, telemetryTopic } from "@lifeline/contracts";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../src/mqtt-gateway.ts";
import { type GatewayUnderTest, startGatewayUnderTest } from "./gateway-under-test.ts";

let gateway: Gateway;
let underTest: GatewayUnderTest | undefined;

beforeAll(async () => {
  underTest = await startGatewayUnderTest("lifeline-gw-fan-out-", { profiles: false, alerts: false });
  ({ gateway } = underTest);
});
afterAll(() => underTest?.stop());

const envelope: Envelope = {
  v: 1,
  site: "heat-2",
  gateway: "gw-h",
  device: "meter-9",
  bootId: "b-fan-out",
  seq: 1,
  readings: [{ metric: "supply_temp", ts: Date.UTC(2026, 11, 2, 8), value: 94.5, unit: "degC", quality: "good" }],
};

describe("telemetry is bridged to JetStream, not delivered to MQTT subscribers", () => {
  it("knows which topic filters can match only telemetry", () => {
    expect(
      ["lifeline/v1/tlm/#", "lifeline/v1/tlm", "lifeline/v1/tlm/heat-2/+/+", "#", "lifeline/#", "lifeline/v1/+/#"].map(
        isTelemetryTopic,
      ),
    ).toEqual([true, true, true, false, false, false]);
  });

  it("refuses a telemetry-only subscription at its SUBACK, stores the telemetry, and still delivers other topics", async () => {
    const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: "watcher" });
    const received: string[] = [];
    watcher.on("message", (topic) => received.push(topic));
    // mqtt.js rejects a subscribe whose SUBACK refused a filter (0x80, MQTT 3.1.1 §3.9.3), with the packet.
    const refused = await watcher.subscribeAsync("lifeline/v1/tlm/#", { qos: 1 }).then(
      () => undefined,
      (error: { packet?: { granted?: number[] } }) => error.packet?.granted,
    );
    expect(refused).toEqual([128]);
    expect((await watcher.subscribeAsync("#", { qos: 1 })).map((g) => [g.topic, g.qos])).toEqual([["#", 1]]);

    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: "meter-9" });
    await device.publishAsync(telemetryTopic(envelope), JSON.stringify(envelope), { qos: 1 });
    expect(gateway.stats().stored).toBe(1);
    await device.publishAsync("heat-2/notes", "valve 3 serviced", { qos: 1 });
    const deadline = Date.now() + 5_000;
    while (!received.includes("heat-2/notes") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Delivery keeps the order of one publisher's messages (MQTT 3.1.1 §4.6): had the telemetry been
    // delivered, it would have arrived before the note.
    expect(received).toEqual(["heat-2/notes"]);
    await device.endAsync();
    await watcher.endAsync();
  });
});
