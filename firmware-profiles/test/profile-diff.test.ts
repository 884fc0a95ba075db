import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { diffProfiles, formatDiff } from "../src/profile-diff.ts";
import type { ResolvedProfile } from "../src/profile-schema.ts";
import { validateProfile } from "../src/validate-profile.ts";

const base = readFileSync(fileURLToPath(new URL("../sites/coal-mine.yaml", import.meta.url)), "utf8");

function resolve(text: string): ResolvedProfile {
  const result = validateProfile(text, "p.yaml");
  if (result.profile === undefined) throw new Error(JSON.stringify(result.problems));
  return result.profile;
}

describe("diffProfiles", () => {
  it("finds nothing between a profile and itself", () => {
    expect(diffProfiles(resolve(base), resolve(base))).toEqual([]);
  });

  it("reports by device, point, station and rule, with the fields that changed", () => {
    const changed = base
      .replace(
        "    connection: { host: 127.0.0.1, port: 15021, unitId: 1 }\n",
        "    connection: { host: 127.0.0.1, port: 15025, unitId: 1 }\n    points:\n      - { name: PM10, scale: 0.001 }\n      - { name: Wind direction, metric: wind_direction, unit: deg, address: 12 }\n    remove: [Humidity]\n",
      )
      .replace('      - { mn: "0101390000DUST0000000004", device: dust-04, password: "123456" }\n', "")
      .replace(
        "  - id: gas-01\n    template: gas-detector-modbus\n    connection: { host: 127.0.0.1, port: 15023, unitId: 2 }\n",
        "",
      )
      .replace(
        "{ device: dust-01, metric: pm10, kind: range, min: 0, max: 20 }",
        "{ device: dust-01, metric: pm10, kind: range, min: 0, max: 25 }",
      )
      .replace("  - { device: gas-01, metric: gas_lel, kind: range, min: 0, max: 100 }\n", "")
      .replace(/ {2}- id: gas-lel\n( {4}.*\n)+/, "")
      .replace("levels: { IV: 150, III: 250, II: 350, I: 500 }", "levels: { IV: 120, III: 250, II: 350, I: 500 }")
      .replace("url: mqtt://127.0.0.1:1883", "url: mqtts://127.0.0.1:8883")
      .replace("maxBytes: 512MiB", "maxBytes: 1GiB");
    const changes = diffProfiles(resolve(base), resolve(changed));
    expect(formatDiff(changes)).toBe(
      [
        '~ uplink: mqtt.url "mqtt://127.0.0.1:1883" → "mqtts://127.0.0.1:8883"',
        "~ dust-01: connection.port 15021 → 15025",
        "~ dust-01.PM10: scale 1 → 0.001",
        "+ point dust-01.Wind direction (wind_direction, deg)",
        "- point dust-01.Humidity",
        "- station hj212-stockyard.dust-04",
        "- device gas-01",
        "~ rule range dust-01/pm10: max 20 → 25",
        "- rule range gas-01/gas_lel",
        "~ alert pm10-15min: levels.IV 150 → 120",
        "- alert gas-lel",
        "~ journal: maxBytes 536870912 → 1073741824",
      ].join("\n"),
    );
    expect(changes[2]).toEqual({
      kind: "changed",
      scope: "point",
      subject: "dust-01.PM10",
      field: "scale",
      from: 1,
      to: 0.001,
    });
  });

  it("shows a template change as the point changes it makes (the profiles are resolved)", () => {
    const a = resolve(base);
    const b = structuredClone(a);
    const dust = b.devices[0];
    if (dust?.type === "modbus" && dust.points[0]) dust.points[0].byteOrder = "CDAB";
    b.devices.push({ ...structuredClone(a.devices[0]), id: "dust-09" } as ResolvedProfile["devices"][number]);
    expect(formatDiff(diffProfiles(a, b))).toBe(
      ['~ dust-01.TSP: byteOrder "ABCD" → "CDAB"', "+ device dust-09 (modbus, 7 points)"].join("\n"),
    );
  });

  it("treats a device that changed type as removed and added", () => {
    const a = resolve(base);
    const b = structuredClone(a);
    const rx = b.devices[2];
    const replacement = { id: "hj212-stockyard", type: "sl651" } as unknown as ResolvedProfile["devices"][number];
    b.devices[2] = {
      ...replacement,
      listen: { host: "127.0.0.1", port: 1 },
      stations: rx?.type === "hj212" ? [] : [],
    } as typeof replacement;
    const lines = formatDiff(diffProfiles(a, b)).split("\n");
    expect(lines).toEqual(["- device hj212-stockyard", "+ device hj212-stockyard (sl651, 0 stations)"]);
  });
});
