import { createRequire } from "node:module";
import { createServer } from "node:net";
import { silentLogger } from "@lifeline/contracts";
import { describe, expect, it } from "vitest";
import type { AdapterError } from "../src/adapter-error.ts";
import { adapterContext, createAdapter, opcuaDeviceSchema } from "../src/index.ts";

const loaded = (pkg: string) =>
  Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes(`/node_modules/${pkg}/`)).length;

describe("node-opcua loads on first use, not with the agent", () => {
  it("is not loaded by the agent's entry point, and an OPC UA adapter closed while it loads opens nothing", async () => {
    expect(loaded("node-opcua-client")).toBe(0);
    expect(loaded("node-opcua-server")).toBe(0);

    // A server that counts the connections the adapter makes to it.
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const device = opcuaDeviceSchema.parse({
      id: "hs-01",
      type: "opcua",
      endpointUrl: `opc.tcp://127.0.0.1:${port}`,
      securityMode: "None",
      pkiDir: "/nonexistent/pki", // never opened: the adapter is closed before it connects
      points: [{ name: "Supply", metric: "supply_temperature", nodeId: "ns=1;s=HS01.SupplyTemperature" }],
    });
    const adapter = createAdapter(
      device,
      adapterContext(() => 0, silentLogger),
    );
    expect(adapter.kind).toBe("streaming");
    if (adapter.kind !== "streaming") return;
    expect(loaded("node-opcua-client")).toBe(0);

    const errors: AdapterError[] = [];
    const sink = { readings: () => undefined, error: (e: AdapterError) => errors.push(e) };
    const started = adapter.start(sink);
    await expect(adapter.start(sink)).rejects.toThrow("OPC UA adapter hs-01 is already started");
    await adapter.close(); // before node-opcua has loaded
    await started;
    expect(loaded("node-opcua-client")).toBeGreaterThan(0); // it did load, and was then not used
    await new Promise((r) => setTimeout(r, 500));
    expect(connections).toBe(0);
    expect(errors).toEqual([]);
    await new Promise((r) => server.close(r));
  });
});
