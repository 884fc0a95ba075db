import { subtle } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { STUBBED_RSA_PROBE } from "../src/adapters/opcua/node-opcua-preload.ts";

describe("node-opcua-preload", () => {
  it("keeps node-opcua from generating a 4096-bit RSA key while it loads", async () => {
    // node-opcua-secure-channel's check calls subtle.generateKey synchronously as it loads.
    const generateKey = vi.spyOn(subtle, "generateKey");
    const opcua = await import("node-opcua");
    expect(typeof opcua.OPCUAClient.create).toBe("function");
    expect(STUBBED_RSA_PROBE).toMatch(/\/node_modules\/node-opcua-secure-channel\/dist\/source\/verify_pcks1\.js$/);
    expect(generateKey).not.toHaveBeenCalled();
  });
});
