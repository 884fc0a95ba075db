import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../src/problem.ts";
import type { ResolvedProfile } from "../src/profile-schema.ts";
import { validateProfile } from "../src/validate-profile.ts";

const root = fileURLToPath(new URL("../sites/", import.meta.url));

function load(name: string): ResolvedProfile {
  const file = join(root, name);
  const result = validateProfile(readFileSync(file, "utf8"), name);
  expect(result.problems.map(formatProblem)).toEqual([]);
  if (result.profile === undefined) throw new Error(`${name} did not resolve`);
  return result.profile;
}

describe("reference site profiles", () => {
  it("are the four site kinds", () => {
    expect(readdirSync(root).sort()).toEqual([
      "coal-mine.yaml",
      "flood-station.yaml",
      "heating-substation.yaml",
      "pipeline.yaml",
    ]);
  });

  it("coal mine: dust monitors on Modbus and HJ 212, a gas detector", () => {
    const p = load("coal-mine.yaml");
    expect(p.site.kind).toBe("coal-mine");
    expect(p.devices.map((d) => [d.id, d.type])).toEqual([
      ["dust-01", "modbus"],
      ["dust-02", "modbus"],
      ["hj212-stockyard", "hj212"],
      ["gas-01", "modbus"],
    ]);
    const dust02 = p.devices[1];
    if (dust02?.type !== "modbus") throw new Error("dust-02 is modbus");
    // Converted to ug/m3 by the agent; Noise removed; the others as the template has them.
    expect(dust02.points.map((x) => [x.name, x.unit, x.scale])).toEqual([
      ["TSP", "ug/m3", 1000],
      ["PM10", "ug/m3", 1000],
      ["PM2.5", "ug/m3", 1000],
      ["Wind speed", "m/s", 1],
      ["Temperature", "degC", 0.1],
      ["Humidity", "%RH", 0.1],
    ]);
    const hj212 = p.devices[2];
    if (hj212?.type !== "hj212") throw new Error("hj212");
    expect(hj212.timezone).toBe("+08:00");
    expect(hj212.stations.map((s) => [s.device, s.factors.a34002])).toEqual([
      ["dust-03", { metric: "pm10", unit: "ug/m3" }],
      ["dust-04", { metric: "pm10", unit: "ug/m3" }],
    ]);
    expect(p.journal).toEqual({ maxBytes: 512 * 1024 ** 2, fsync: "interval", fsyncIntervalMs: 1000 });
  });

  it("flood station: SL 651 RTUs and a radar level gauge", () => {
    const p = load("flood-station.yaml");
    expect(p.devices.map((d) => d.type)).toEqual(["sl651", "modbus"]);
    const rx = p.devices[0];
    if (rx?.type !== "sl651") throw new Error("sl651");
    expect(rx.stations[1]?.elements["39"]).toEqual({ metric: "water_level", unit: "m", scale: 1, offset: 100 });
    expect(p.journal.maxBytes).toBe(2 * 1024 ** 3);
  });

  it("heating substation: OPC UA controller and Modbus heat meter", () => {
    const p = load("heating-substation.yaml");
    const [hs, meter] = p.devices;
    if (hs?.type !== "opcua" || meter?.type !== "modbus") throw new Error("types");
    expect(hs.auth).toEqual({ type: "username", username: "operator", passwordEnv: "HS0412_OPCUA_PASSWORD" });
    expect(hs.points.map((x) => x.nodeId)).toContain("ns=1;s=HS01.SupplyTemperature");
    expect(meter.points.find((x) => x.name === "Energy")).toMatchObject({
      unit: "kWh",
      scale: 1000,
      byteOrder: "CDAB",
    });
  });

  it("pipeline: transmitters and a gas detector, over NATS", () => {
    const p = load("pipeline.yaml");
    expect(p.uplink).toEqual({
      nats: { url: "nats://127.0.0.1:4222", credentialsRef: "file:/etc/lifeline/gw-01.creds" },
    });
    expect(p.devices.map((d) => d.id)).toEqual(["pipe-pt-01", "pipe-pt-02", "gas-vc-01"]);
    const pt02 = p.devices[1];
    expect(pt02?.type === "modbus" ? pt02.points.map((x) => x.name) : []).toEqual(["Pressure", "Flow"]);
  });

  it("use 127.0.0.1 and ports no two sites share, so all can run against simulators at once", () => {
    const endpoints: string[] = [];
    for (const file of readdirSync(root)) {
      for (const d of load(file).devices) {
        if (d.type === "modbus") endpoints.push(`${d.connection.host}:${d.connection.port}`);
        else if (d.type === "opcua") endpoints.push(new URL(d.endpointUrl.replace("opc.tcp", "http")).host);
        else if (d.type === "onvif") endpoints.push(new URL(d.url).host);
        else endpoints.push(`${d.listen.host}:${d.listen.port}`);
      }
    }
    expect(endpoints.every((e) => e.startsWith("127.0.0.1:"))).toBe(true);
    expect(new Set(endpoints).size).toBe(endpoints.length);
  });
});
