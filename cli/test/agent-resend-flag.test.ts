import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeEnvelope, decodePack, isPackSubject, TELEMETRY_STREAM } from "@lifeline/contracts";
import { type AgentConfigInput, startEdgeAgent } from "@lifeline/edge-agent";
import { ensureStreams, type Gateway, type NatsServerProcess, startGateway, startNatsServer } from "@lifeline/gateway";
import { ModbusTcpServer } from "@lifeline/simulators";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/free-port.ts";

// The agent marks with MQTT DUP what it may have sent before, and the gateway carries the mark
// into the pack, so that the stream processor looks those envelopes up before storing them.

const dir = mkdtempSync(join(tmpdir(), "lifeline-dup-"));
let server: NatsServerProcess;
let nc: NatsConnection;
let gateway: Gateway | undefined;
const device = new ModbusTcpServer();

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nc = await connect({ servers: server.url });
  await ensureStreams(await jetstreamManager(nc));
  device.bank(1).holding[0] = 7;
  await device.listen();
});
afterAll(async () => {
  await gateway?.close();
  await nc?.close();
  await server?.stop();
  await device.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, probe: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const config = (mqttPort: number): AgentConfigInput => ({
  site: "heat-4",
  gateway: "gw-dup",
  uplink: { mqtt: { url: `mqtt://127.0.0.1:${mqttPort}` } },
  devices: [
    {
      id: "meter-1",
      type: "modbus",
      connection: { host: "127.0.0.1", port: device.port },
      pollIntervalMs: 50,
      points: [{ name: "Flow", metric: "flow", address: 0 }],
    },
  ],
});

/** `bootId:seq` → the resend flag, for every packed envelope in the stream. */
async function packedFlags(): Promise<Map<string, boolean>> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(TELEMETRY_STREAM);
  const flags = new Map<string, boolean>();
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(TELEMETRY_STREAM, { seq });
    if (m === null || !isPackSubject(m.subject)) continue;
    for (const entry of decodePack(m.data)) {
      const e = decodeEnvelope(entry.payload);
      if (e.device === "meter-1") flags.set(`${e.bootId}:${e.seq}`, entry.resend);
    }
  }
  return flags;
}

describe("resend flag", () => {
  it("is set on what an earlier run journaled, and not on what is new", async () => {
    const first = await startEdgeAgent(config(await freePort("127.0.0.1")), {
      dataDir: join(dir, "agent"),
      bootId: "boot-1",
      stopDrainMs: 100,
    });
    await until("envelopes journaled", () => first.stats().envelopes >= 8);
    await first.stop();
    const journaled = first.stats().envelopes;

    gateway = await startGateway({ nats: nc, port: 0, profiles: false });
    const second = await startEdgeAgent(config(gateway.port), { dataDir: join(dir, "agent"), bootId: "boot-2" });
    await until("boot-1's envelopes forwarded and a few new ones", () => {
      const s = second.stats();
      return (s.forwarder.forwarded.data ?? 0) >= journaled + 5;
    });
    await second.stop();
    const flags = await packedFlags();
    const old = [...flags].filter(([id]) => id.startsWith("boot-1:"));
    const fresh = [...flags].filter(([id]) => id.startsWith("boot-2:"));
    expect(old.length).toBe(journaled);
    expect(old.every(([, resend]) => resend)).toBe(true);
    expect(fresh.length).toBe(second.stats().envelopes);
    expect(fresh.every(([, resend]) => !resend)).toBe(true);
  }, 60_000);
});
