import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LifelineError, type ProfileStatus } from "@lifeline/contracts";
import { type AgentConfigInput, ProfileReceiver } from "@lifeline/edge-agent";
import { openProfileBuckets } from "@lifeline/gateway";
import { ModbusTcpServer } from "@lifeline/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../src/stack.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-receiver-"));
let stack: Stack;
let device: ModbusTcpServer;

beforeAll(async () => {
  stack = await startStack({ dataDir: dir, natsPort: 0, mqttPort: 0, apiPort: 0, lingerMs: 50 });
  device = new ModbusTcpServer();
  device.bank(1).holding[0] = 42;
  await device.listen();
});
afterAll(async () => {
  await device?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const config = (mqttUrl: string, scale = 1): AgentConfigInput => ({
  site: "flood-3",
  gateway: "gw-recv",
  uplink: { mqtt: { url: mqttUrl } },
  devices: [
    {
      id: "level-01",
      type: "modbus",
      connection: { host: "127.0.0.1", port: device.port },
      pollIntervalMs: 100,
      points: [{ name: "Level", metric: "level", address: 0, scale }],
    },
  ],
});

async function statusOf(version: number, state: string): Promise<ProfileStatus> {
  const { statuses } = await openProfileBuckets(stack.nats);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const entry = await statuses.get("gw-recv");
    const status = entry?.json<ProfileStatus>();
    if (status?.version === version && status.state === state) return status;
    if (Date.now() > deadline) throw new Error(`no ${state} status for ${version}: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("profile receiver", () => {
  it("applies a delivery, rejects a bad one keeping the old, and rolls back one whose uplink stays dead", async () => {
    const { profiles } = await openProfileBuckets(stack.nats);
    const receiver = new ProfileReceiver({
      gateway: "gw-recv",
      mqttUrl: stack.mqttUrl,
      autoRollbackAfterMs: 1_500,
      healthIntervalMs: 200,
      agentOptions: { dataDir: join(dir, "agent") },
      accept: (signed) => {
        const s = signed as { trusted: boolean; config: AgentConfigInput };
        if (!s.trusted) throw new LifelineError("PROFILE_KEY_UNTRUSTED", "signed by a key this gateway does not trust");
        return s.config;
      },
    });
    await receiver.start();
    try {
      const v1 = await profiles.put("gw-recv", JSON.stringify({ trusted: true, config: config(stack.mqttUrl) }));
      const applied = await statusOf(v1, "applied");
      expect(applied.running).toBe(v1);
      // then the health of every point
      const healthy = await (async () => {
        for (;;) {
          const s = await statusOf(v1, "applied");
          if (s.health.some((p) => p.lastValue === 42)) return s;
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      expect(healthy.health.map((p) => [p.device, p.metric, p.lastValue, p.lastError])).toEqual([
        ["level-01", "level", 42, undefined],
      ]);

      const v2 = await profiles.put("gw-recv", JSON.stringify({ trusted: false, config: config(stack.mqttUrl, 2) }));
      const rejected = await statusOf(v2, "rejected");
      expect([rejected.running, rejected.code, rejected.reason]).toEqual([
        v1,
        "PROFILE_KEY_UNTRUSTED",
        "signed by a key this gateway does not trust",
      ]);
      expect(receiver.running()).toBe(v1);

      const v3 = await profiles.put(
        "gw-recv",
        JSON.stringify({ trusted: true, config: config("mqtt://127.0.0.1:9", 3) }),
      );
      await statusOf(v3, "applied");
      const rolledBack = await statusOf(v3, "rolled-back");
      expect([rolledBack.running, rolledBack.code]).toEqual([v1, "PROFILE_UPLINK_DEAD"]);
      expect(receiver.agent()?.config().uplink.mqtt?.url).toBe(stack.mqttUrl);
    } finally {
      await receiver.stop();
    }
  }, 45_000);
});
