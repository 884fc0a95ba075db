import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DeviceConfig } from "@lifeline/contracts";
import { agentConfigFromProfile, type EdgeAgent, startEdgeAgent } from "@lifeline/edge-agent";
import { metricsOf, type ResolvedProfile, validateProfile } from "@lifeline/firmware-profiles";
import { type ReferenceSite, type ReferenceSiteKind, startReferenceSite } from "@lifeline/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../src/stack.ts";

// Every reference profile of firmware-profiles/sites/ runs against the simulators on the ports it
// names: the profile as written (only the uplink points at this stack), every point reads, rows land.

const here = dirname(fileURLToPath(import.meta.url));
const SITES = join(here, "..", "..", "firmware-profiles", "sites");
const OPCUA_FIXTURES = join(here, "..", "..", "edge-agent", "test", "fixtures", "opcua");
const CLIENT_CERT = join(OPCUA_FIXTURES, "client-pki", "own", "certs", "client_certificate.pem");
const OPCUA_PASSWORD = "reference-site-operator";

// What the simulated RTU's hourly report (34) carries: F4, F5, 20, 1A, 1F, 26, 39, 38.
const SL651_HOURLY_METRICS = [
  "rainfall_5min",
  "water_level_relative",
  "rainfall_current",
  "rainfall_1h",
  "rainfall_day",
  "rainfall_total",
  "water_level",
  "voltage",
];

const dir = mkdtempSync(join(tmpdir(), "lifeline-reference-sites-"));
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ dataDir: join(dir, "stack"), natsPort: 0, mqttPort: 0, apiPort: 0, lingerMs: 50 });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** device → metrics every point of the site must report: receivers by what their simulators send. */
function expectedPoints(devices: readonly DeviceConfig[]): string[] {
  const out: string[] = [];
  for (const device of devices) {
    if (device.type === "hj212") {
      for (const s of device.stations) for (const f of Object.values(s.factors)) out.push(`${s.device}/${f.metric}`);
    } else if (device.type === "sl651") {
      for (const s of device.stations) for (const m of SL651_HOURLY_METRICS) out.push(`${s.device}/${m}`);
    } else {
      for (const [id, metrics] of metricsOf(device)) for (const m of metrics) out.push(`${id}/${m}`);
    }
  }
  return out.sort();
}

function loadSite(kind: ReferenceSiteKind): ResolvedProfile {
  const file = join(SITES, `${kind}.yaml`);
  const { profile, problems } = validateProfile(readFileSync(file, "utf8"), file);
  expect(problems).toEqual([]);
  if (profile === undefined) throw new Error(`${file} did not resolve`);
  return profile;
}

describe.each<ReferenceSiteKind>(["coal-mine", "flood-station", "heating-substation", "pipeline"])(
  "reference site %s",
  (kind) => {
    let site: ReferenceSite | undefined;
    let agent: EdgeAgent | undefined;
    afterAll(async () => {
      await agent?.stop();
      await site?.stop();
      delete process.env.HS0412_OPCUA_PASSWORD;
      delete process.env.LIFELINE_MQTT_PASSWORD;
    });

    it("runs against the simulators: every point reads without error and its rows reach ClickHouse", async () => {
      const profile = loadSite(kind);
      // The simulator makes its own certificate in a fresh PKI that trusts the agent's committed test
      // certificate; the agent's PKI then trusts the simulator's certificate (no auto-accept anywhere).
      const serverPki = join(dir, `${kind}-server-pki`);
      const clientPki = join(dir, `${kind}-client-pki`);
      mkdirSync(join(serverPki, "trusted", "certs"), { recursive: true });
      cpSync(CLIENT_CERT, join(serverPki, "trusted", "certs", "lifeline-edge-agent.pem"));
      cpSync(join(OPCUA_FIXTURES, "client-pki", "own"), join(clientPki, "own"), { recursive: true });
      mkdirSync(join(clientPki, "trusted", "certs"), { recursive: true });
      process.env.HS0412_OPCUA_PASSWORD = OPCUA_PASSWORD;
      process.env.LIFELINE_MQTT_PASSWORD = "not-checked-by-the-test-stack";

      site = await startReferenceSite(kind, {
        hj212RealtimeIntervalMs: 1_000,
        sl651ReportAtStart: true,
        reconnect: { initialMs: 200, maxMs: 500 },
        opcua: { pkiDir: serverPki, password: OPCUA_PASSWORD },
      });
      if (kind === "heating-substation") {
        const own = join(serverPki, "own", "certs", "server_certificate.pem");
        cpSync(own, join(clientPki, "trusted", "certs", "hs-0412-simulator.pem"));
      }
      // Only the uplink's address changes (this stack's broker or NATS server), and a file: secret
      // reference points into the test folder; env: references are set here.
      const secret = join(dir, `${kind}-secret`);
      writeFileSync(secret, "not-checked-by-the-test-stack\n");
      const fileRef = (ref: string | undefined) => (ref?.startsWith("file:") ? `file:${secret}` : ref);
      const { mqtt, nats } = profile.uplink;
      const uplink =
        mqtt !== undefined
          ? { mqtt: { ...mqtt, url: stack.mqttUrl, passwordRef: fileRef(mqtt.passwordRef) } }
          : { nats: { ...nats, url: stack.natsUrl, credentialsRef: fileRef(nats?.credentialsRef) } };
      const config = agentConfigFromProfile({ ...profile, uplink } as ResolvedProfile);
      const devices = config.devices.map((d) => (d.type === "opcua" ? { ...d, pkiDir: clientPki } : d));
      agent = await startEdgeAgent({ ...config, devices }, { dataDir: join(dir, `${kind}-agent`) });
      const running = agent;

      const expected = expectedPoints(profile.devices);
      expect(expected.length).toBeGreaterThan(0);
      const missing = () => {
        const good = new Set(
          running
            .health()
            .filter((h) => h.lastSuccessAt !== undefined && h.lastError === undefined)
            .map((h) => `${h.device}/${h.metric}`),
        );
        return expected.filter((p) => !good.has(p));
      };
      try {
        await until(`every point of ${kind}`, () => (missing().length === 0 ? true : undefined));
      } catch (error) {
        throw new Error(`${(error as Error).message}; missing: ${missing().join(", ")}; errors: ${errorsOf(running)}`);
      }
      expect(running.health().filter((h) => h.metric === "*")).toEqual([]); // no device-wide error either

      const stored = await until(`rows of ${kind} in ClickHouse`, async () => {
        const rows = await stack.store.driver.query<{ device: string; metric: string }>(
          "SELECT DISTINCT device, metric FROM telemetry WHERE site = {s:String}",
          { s: profile.site.id },
        );
        const have = new Set(rows.map((r) => `${r.device}/${r.metric}`));
        return expected.every((p) => have.has(p)) ? have : undefined;
      });
      expect(expected.filter((p) => !stored.has(p))).toEqual([]);
      // The simulators' values sit inside the site's range rules: nothing was flagged bad or uncertain.
      const flagged = await stack.store.driver.query<{ device: string; metric: string; quality: string }>(
        `SELECT DISTINCT device, metric, toString(quality) AS quality FROM telemetry
         WHERE site = {s:String} AND toString(quality) != 'good'`,
        { s: profile.site.id },
      );
      expect(flagged).toEqual([]);
    }, 40_000);
  },
);

function errorsOf(agent: EdgeAgent): string {
  return [...agent.lastErrors().values()].map((e) => `${e.device} ${e.code} ${e.message}`).join("; ");
}
