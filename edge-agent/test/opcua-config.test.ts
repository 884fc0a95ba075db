import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { effectivePolicy, opcuaDeviceSchema, qualityOf } from "../src/adapters/opcua/index.ts";

const sample = JSON.parse(readFileSync(join(import.meta.dirname, "../src/adapters/opcua/sample.json"), "utf8"));
const minimal = {
  id: "hs-01",
  type: "opcua",
  endpointUrl: "opc.tcp://192.0.2.20:4840",
  pkiDir: "/var/lib/lifeline/pki/opcua",
  points: [{ name: "Supply", metric: "supply", nodeId: "ns=2;s=HS01.Supply" }],
};

function issues(input: unknown): string[] {
  const result = opcuaDeviceSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("opcua configuration", () => {
  it("accepts the sample", () => {
    expect(issues(sample)).toEqual([]);
  });

  it("is secure by default and fills every other default", () => {
    const device = opcuaDeviceSchema.parse(minimal);
    expect(device.securityMode).toBe("SignAndEncrypt");
    expect(effectivePolicy(device)).toBe("Basic256Sha256");
    expect(effectivePolicy({ securityMode: "None" })).toBe("None");
    expect(device.auth).toEqual({ type: "anonymous" });
    expect(device.autoAcceptUnknownCertificates).toBe(false);
    expect(device.points[0]).toEqual({
      name: "Supply",
      metric: "supply",
      nodeId: "ns=2;s=HS01.Supply",
      unit: "",
      samplingIntervalMs: 1_000,
      queueSize: 10,
      discardOldest: true,
      deadband: { type: "none" },
      scale: 1,
      offset: 0,
    });
  });

  it("names the key of each mistake", () => {
    expect(
      issues({
        ...minimal,
        securityMode: "None",
        securityPolicy: "Basic256Sha256",
        auth: { type: "username", username: "op", password: "secret" },
        points: [
          { name: "A", metric: "a", nodeId: "ns=2;x=1" },
          { name: "A", metric: "b", nodeId: "i=2258", deadband: { type: "percent", value: 120 } },
        ],
      }),
    ).toEqual([
      "auth.passwordEnv: Invalid input: expected string, received undefined",
      'auth: Unrecognized key: "password"',
      "points.0.nodeId: expected a NodeId such as ns=2;s=Boiler.Temperature or ns=3;i=1042",
      "points.1.deadband.value: Too big: expected number to be <=100",
    ]);
    expect(issues({ ...minimal, securityMode: "None", securityPolicy: "Basic256Sha256" })).toEqual([
      "securityPolicy: securityMode None cannot use Basic256Sha256",
    ]);
    expect(issues({ ...minimal, securityPolicy: "None" })).toEqual([
      "securityPolicy: securityMode SignAndEncrypt needs a security policy",
    ]);
    expect(issues({ ...minimal, points: [minimal.points[0], minimal.points[0]] })).toEqual([
      "points.1.name: duplicate point name Supply",
    ]);
    expect(issues({ ...minimal, endpointUrl: "http://192.0.2.20" })).toEqual([
      "endpointUrl: expected an opc.tcp://host:port URL",
    ]);
  });

  it("maps StatusCode severity to quality (IEC 62541-4 §7.34.1)", () => {
    expect([0x00000000, 0x002f0480, 0x40000000, 0x40920000, 0x80000000, 0x808c0000, 0xc0000000].map(qualityOf)).toEqual(
      ["good", "good", "uncertain", "uncertain", "bad", "bad", "bad"],
    );
  });
});
