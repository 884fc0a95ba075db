import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProfileStatus } from "@lifeline/contracts";
import { acceptSignedProfile, ProfileReceiver } from "@lifeline/edge-agent";
import { generateKeyPair, type SignedProfile, signProfile, validateProfile } from "@lifeline/firmware-profiles";
import { openProfileBuckets } from "@lifeline/gateway";
import { dustMonitor, SimulatedModbusDevice } from "@lifeline/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTrustedKeys, profileCommand } from "../src/profile-command.ts";
import { type Stack, startStack } from "../src/stack.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-roundtrip-"));
let stack: Stack;
let device: SimulatedModbusDevice;

beforeAll(async () => {
  stack = await startStack({ dataDir: join(dir, "data"), natsPort: 0, mqttPort: 0, apiPort: 0, lingerMs: 50 });
  device = new SimulatedModbusDevice({ id: "dust-01", model: dustMonitor, seed: 5 });
  await device.start();
});
afterAll(async () => {
  await device?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const profileYaml = (pollIntervalMs: number) => `format: "1.0"
site: { id: mine-rt, name: Round-trip mine, kind: coal-mine }
gateway: { id: gw-rt }
uplink:
  mqtt: { url: "${stack.mqttUrl}" }
devices:
  - id: dust-01
    template: dust-monitor-modbus
    connection: { host: 127.0.0.1, port: ${device.port} }
    pollIntervalMs: ${pollIntervalMs}
`;

async function status(): Promise<ProfileStatus | undefined> {
  return (await (await openProfileBuckets(stack.nats)).statuses.get("gw-rt"))?.json<ProfileStatus>();
}

describe("gateway profiles, end to end", () => {
  it("flash → applied and healthy → tampered, untrusted refused → new version → rollback, with continuous readings", async () => {
    const trusted = generateKeyPair();
    const stranger = generateKeyPair();
    const keys = join(dir, "keys");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(keys);
    writeFileSync(join(keys, `${trusted.keyId}.pub`), trusted.publicKeyPem);
    writeFileSync(join(dir, "ops.key"), trusted.privateKeyPem);
    const v1File = join(dir, "v1.yaml");
    const v2File = join(dir, "v2.yaml");
    writeFileSync(v1File, profileYaml(200));
    writeFileSync(v2File, profileYaml(300));
    expect(validateProfile(readFileSync(v1File, "utf8"), v1File).problems).toEqual([]);

    const receiver = new ProfileReceiver({
      gateway: "gw-rt",
      mqttUrl: stack.mqttUrl,
      accept: acceptSignedProfile("gw-rt", loadTrustedKeys(keys)),
      healthIntervalMs: 250,
      agentOptions: { dataDir: join(dir, "agent") },
    });
    await receiver.start();
    const flash = (file: string, key?: string) =>
      profileCommand([
        "flash",
        file,
        "--gateway",
        "gw-rt",
        "--nats",
        stack.natsUrl,
        "--timeout",
        "20",
        ...(key ? ["--key", key] : []),
      ]);
    try {
      // 1. flash, applied, every point healthy
      expect(await flash(v1File, join(dir, "ops.key"))).toBe(0);
      const v1 = (await status())?.version as number;
      expect(receiver.running()).toBe(v1);
      const deadline = Date.now() + 15_000;
      let s = await status();
      while (
        !(s && s.health.length === 7 && s.health.every((p) => p.lastSuccessAt && !p.lastError)) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 100));
        s = await status();
      }
      expect(s?.health.map((p) => p.metric)).toEqual([
        "humidity",
        "noise",
        "pm10",
        "pm2_5",
        "temperature",
        "tsp",
        "wind_speed",
      ]);

      // 2. a tampered profile and one signed by an untrusted key are refused; v1 keeps running
      const good = signProfile(readFileSync(v2File, "utf8"), trusted.privateKeyPem, { file: v2File });
      const tampered: SignedProfile = JSON.parse(JSON.stringify(good));
      (tampered.profile.devices[0] as { pollIntervalMs: number }).pollIntervalMs = 50;
      writeFileSync(join(dir, "tampered.json"), JSON.stringify(tampered));
      expect(await flash(join(dir, "tampered.json"))).toBe(1);
      expect(await status()).toMatchObject({ state: "rejected", running: v1, code: "PROFILE_SIGNATURE_INVALID" });
      writeFileSync(
        join(dir, "stranger.json"),
        JSON.stringify(signProfile(readFileSync(v2File, "utf8"), stranger.privateKeyPem)),
      );
      expect(await flash(join(dir, "stranger.json"))).toBe(1);
      expect(await status()).toMatchObject({ state: "rejected", running: v1, code: "PROFILE_KEY_UNTRUSTED" });
      expect(receiver.agent()?.config().devices[0]).toMatchObject({ pollIntervalMs: 200 });

      // 3. a new good version, then roll back to the one before it
      writeFileSync(join(dir, "v2.json"), JSON.stringify(good));
      expect(await flash(join(dir, "v2.json"))).toBe(0);
      const v2 = receiver.running() as number;
      expect(v2).toBeGreaterThan(v1);
      expect(receiver.agent()?.config().devices[0]).toMatchObject({ pollIntervalMs: 300 });
      expect(await profileCommand(["rollback", "--gateway", "gw-rt", "--nats", stack.natsUrl, "--timeout", "20"])).toBe(
        0,
      );
      expect(receiver.running()).toBeGreaterThan(v2);
      expect(receiver.agent()?.config().devices[0]).toMatchObject({ pollIntervalMs: 200 });
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await receiver.stop();
    }

    // Readings were continuous across every switch: no envelope twice, no number skipped, no long pause.
    const sent = receiver.agent()?.stats().envelopes as number;
    const waitUntil = Date.now() + 15_000;
    let rows: Array<{ n: number; distinct: number; max: number; gap: number }> = [];
    while (Date.now() < waitUntil) {
      rows = await stack.store.driver.query(
        `SELECT toUInt32(uniqExact(seq)) AS n, toUInt32(count()) AS distinct, toUInt32(max(seq)) AS max,
                toUInt32(max(d)) AS gap FROM (
          SELECT seq, toUnixTimestamp64Milli(ts) - lagInFrame(toUnixTimestamp64Milli(ts), 1, toUnixTimestamp64Milli(ts))
                 OVER (ORDER BY ts) AS d
          FROM telemetry WHERE gateway = 'gw-rt' AND metric = 'pm10')`,
      );
      if (rows[0]?.n === sent) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows[0]).toMatchObject({ n: sent, distinct: sent, max: sent - 1 });
    expect(rows[0]?.gap).toBeLessThan(1_500); // polls every 200-300 ms; a switch costs at most one poll
  }, 90_000);
});
