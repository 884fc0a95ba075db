import { profileStatusTopic, profileTopic } from "@lifeline/contracts";
import type { NatsConnection } from "@nats-io/transport-node";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../src/mqtt-gateway.ts";
import { openProfileBuckets } from "../src/profile-bridge.ts";
import { type GatewayUnderTest, startGatewayUnderTest } from "./gateway-under-test.ts";

let nats: NatsConnection;
let gateway: Gateway;
let underTest: GatewayUnderTest | undefined;

beforeAll(async () => {
  underTest = await startGatewayUnderTest("lifeline-bridge-", { streams: false });
  ({ nats, gateway } = underTest);
});
afterAll(() => underTest?.stop());

describe("profile bridge", () => {
  it("delivers the latest profile as a retained message, also to an agent that connects later, and stores statuses", async () => {
    const { profiles, statuses } = await openProfileBuckets(nats);
    await profiles.put("gw-7", JSON.stringify({ profile: { v: 1 } }));
    const second = await profiles.put("gw-7", JSON.stringify({ profile: { v: 2 } }));
    await profiles.put("gw-8", JSON.stringify({ profile: { other: true } }));

    const agent = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: "agent-gw-7" });
    try {
      const received = new Promise<{ topic: string; body: unknown; retain: boolean }>((resolve) =>
        agent.on("message", (topic, payload, packet) =>
          resolve({ topic, body: JSON.parse(payload.toString()), retain: packet.retain }),
        ),
      );
      await agent.subscribeAsync(profileTopic("gw-7"), { qos: 1 });
      expect(await received).toEqual({
        topic: "lifeline/v1/profile/gw-7",
        body: { version: second, signed: { profile: { v: 2 } } },
        retain: true,
      });

      const status = {
        gateway: "gw-7",
        version: second,
        state: "applied",
        running: second,
        applied: [second],
        at: 1,
        health: [],
      };
      await agent.publishAsync(profileStatusTopic("gw-7"), JSON.stringify(status), { qos: 1 });
      const deadline = Date.now() + 5_000;
      let stored = await statuses.get("gw-7");
      while (stored === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        stored = await statuses.get("gw-7");
      }
      expect(stored?.json()).toEqual(status);
    } finally {
      await agent.endAsync();
    }
  });
});
