import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProfileStatus } from "@lifeline/contracts";
import { acceptSignedProfile, ProfileReceiver } from "@lifeline/edge-agent";
import { generateKeyPair } from "@lifeline/firmware-profiles";
import { openProfileBuckets } from "@lifeline/gateway";
import { ModbusTcpServer } from "@lifeline/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTrustedKeys, profileCommand } from "../src/profile-command.ts";
import { type Stack, startStack } from "../src/stack.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-canary-"));
let stack: Stack;
let device: ModbusTcpServer;
const receivers: ProfileReceiver[] = [];

beforeAll(async () => {
  stack = await startStack({ dataDir: join(dir, "data"), natsPort: 0, mqttPort: 0, apiPort: 0, lingerMs: 50 });
  device = new ModbusTcpServer();
  device.bank(1).holding[0] = 7;
  await device.listen();
});
afterAll(async () => {
  for (const r of receivers) await r.stop();
  await device?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const profile = (port: number) => `format: "1.0"
site: { id: pipe-9, name: Pipeline segment 9, kind: pipeline }
gateway: { id: placeholder }
uplink:
  mqtt: { url: "${stack.mqttUrl}" }
devices:
  - id: level-01
    type: modbus
    connection: { host: 127.0.0.1, port: ${port}, timeoutMs: 300 }
    pollIntervalMs: 100
    backoff: { initialMs: 100, maxMs: 200 }
    points: [{ name: Level, metric: level, address: 0 }]
`;

async function statusOf(gateway: string): Promise<ProfileStatus | undefined> {
  return (await (await openProfileBuckets(stack.nats)).statuses.get(gateway))?.json<ProfileStatus>();
}

describe("group flash", () => {
  it("goes to the rest only after the canary runs healthy, and stops at an unhealthy canary", async () => {
    const pair = generateKeyPair();
    mkdirSync(join(dir, "keys"));
    writeFileSync(join(dir, "keys", `${pair.keyId}.pub`), pair.publicKeyPem);
    writeFileSync(join(dir, "ops.key"), pair.privateKeyPem);
    for (const gateway of ["gw-c1", "gw-c2", "gw-d1", "gw-d2"]) {
      const r = new ProfileReceiver({
        gateway,
        mqttUrl: stack.mqttUrl,
        accept: acceptSignedProfile(gateway, loadTrustedKeys(join(dir, "keys"))),
        healthIntervalMs: 200,
        agentOptions: { dataDir: join(dir, `agent-${gateway}`) },
      });
      await r.start();
      receivers.push(r);
    }
    writeFileSync(join(dir, "good.yaml"), profile(device.port));
    const args = (file: string, gateways: string) => [
      "flash",
      join(dir, file),
      "--gateways",
      gateways,
      "--key",
      join(dir, "ops.key"),
      "--nats",
      stack.natsUrl,
      "--timeout",
      "5",
    ];
    expect(await profileCommand(args("good.yaml", "gw-c1,gw-c2"))).toBe(0);
    expect((await statusOf("gw-c1"))?.state).toBe("applied");
    expect((await statusOf("gw-c2"))?.state).toBe("applied");

    // A device that does not answer: the canary applies the profile but its point never reads.
    const { createServer } = await import("node:net");
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", () => r()));
    const deadPort = (dead.address() as { port: number }).port;
    await new Promise((r) => dead.close(r));
    writeFileSync(join(dir, "bad.yaml"), profile(deadPort));
    expect(await profileCommand(args("bad.yaml", "gw-d1,gw-d2"))).toBe(1);
    const canary = await statusOf("gw-d1");
    expect(canary?.state).toBe("applied");
    expect(canary?.health.map((p) => p.lastError?.code)).toEqual(["EDGE_MODBUS_CONNECT_FAILED"]);
    expect(await statusOf("gw-d2")).toBeUndefined(); // never flashed
  }, 60_000);
});
