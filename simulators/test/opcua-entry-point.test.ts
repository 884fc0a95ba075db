import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const loaded = (pkg: string) =>
  Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes(`/node_modules/${pkg}/`)).length;

describe("the OPC UA substation's own entry point", () => {
  it("keeps node-opcua out of the package's entry point and loads it with @lifeline/simulators/opcua", async () => {
    const simulators = await import("@lifeline/simulators");
    expect(typeof simulators.startReferenceSite).toBe("function");
    expect(loaded("node-opcua-server")).toBe(0);
    const { SimulatedOpcuaSubstation } = await import("@lifeline/simulators/opcua");
    expect(typeof SimulatedOpcuaSubstation).toBe("function");
    expect(loaded("node-opcua-server")).toBeGreaterThan(0);
  });
});
