import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentConfigInput, startEdgeAgent } from "@lifeline/edge-agent";
import { ModbusTcpServer } from "@lifeline/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../src/stack.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-apply-"));
let stack: Stack;
const servers: ModbusTcpServer[] = [];

beforeAll(async () => {
  stack = await startStack({ dataDir: dir, natsPort: 0, mqttPort: 0, apiPort: 0, lingerMs: 50 });
  for (const value of [100, 200, 300]) {
    const s = new ModbusTcpServer();
    s.bank(1).holding[0] = value;
    await s.listen();
    servers.push(s);
  }
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const device = (id: string, server: ModbusTcpServer, scale = 1) => ({
  id,
  type: "modbus" as const,
  connection: { host: "127.0.0.1", port: server.port },
  pollIntervalMs: 50,
  points: [{ name: "Level", metric: "level", address: 0, scale }],
});

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("applying a new configuration to a running agent", () => {
  it("keeps unchanged adapters running, restarts changed ones, starts new ones, and loses or repeats no envelope", async () => {
    const [a, b, c] = servers as [ModbusTcpServer, ModbusTcpServer, ModbusTcpServer];
    const base: AgentConfigInput = {
      site: "mine-7",
      gateway: "gw-apply",
      uplink: { mqtt: { url: stack.mqttUrl } },
      devices: [],
    };
    const agent = await startEdgeAgent(
      { ...base, devices: [device("dev-a", a), device("dev-b", b)] },
      { bootId: "apply-boot", dataDir: join(dir, "agent") },
    );
    await until("a few polls", () => agent.stats().envelopes >= 10);

    const result = await agent.apply({
      ...base,
      devices: [device("dev-a", a), device("dev-b", b, 0.5), device("dev-c", c)],
    });
    expect(result).toEqual({
      started: ["dev-c"],
      stopped: [],
      restarted: ["dev-b"],
      unchanged: ["dev-a"],
      uplinkChanged: false,
      journalChanged: false,
    });
    await until("readings from the new device", () =>
      agent.health().some((p) => p.device === "dev-c" && p.lastValue === 300),
    );

    const removed = await agent.apply({ ...base, devices: [device("dev-a", a), device("dev-c", c)] });
    expect(removed).toEqual({
      started: [],
      stopped: ["dev-b"],
      restarted: [],
      unchanged: ["dev-a", "dev-c"],
      uplinkChanged: false,
      journalChanged: false,
    });
    await new Promise((r) => setTimeout(r, 200));
    await agent.stop();

    expect(a.stats.connections).toBe(1); // dev-a was never touched
    expect(b.stats.connections).toBe(2); // once before, once after the change of scale
    const sent = agent.stats().envelopes;
    expect(agent.stats().uplink.acked).toBe(sent);
    await until("every envelope in ClickHouse", async () => {
      const [row] = await stack.store.driver.query<{ n: number }>(
        "SELECT toUInt32(uniqExact(seq)) AS n FROM telemetry WHERE gateway = 'gw-apply'",
      );
      return row?.n === sent;
    });
    const [ids] = await stack.store.driver.query<{ rows: number; distinct: number; min: number; max: number }>(
      `SELECT toUInt32(count()) AS rows, toUInt32(uniqExact(boot_id, seq, idx)) AS distinct,
              toUInt32(min(seq)) AS min, toUInt32(max(seq)) AS max FROM telemetry WHERE gateway = 'gw-apply'`,
    );
    expect(ids).toEqual({ rows: sent, distinct: sent, min: 0, max: sent - 1 }); // one reading per envelope, none twice, no gap
    const values = await stack.store.driver.query<{ value: number }>(
      "SELECT DISTINCT value FROM telemetry WHERE device = 'dev-b' ORDER BY value",
    );
    expect(values.map((v) => v.value)).toEqual([100, 200]); // raw 200 before the change, 200 × 0.5 after
  });
});
