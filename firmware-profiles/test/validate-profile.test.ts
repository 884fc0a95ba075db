import { describe, expect, it } from "vitest";
import { formatByteSize, parseByteSize } from "../src/byte-size.ts";
import { closestMatch, editDistance } from "../src/did-you-mean.ts";
import { formatProblem, type Problem } from "../src/problem.ts";
import { validateProfile } from "../src/validate-profile.ts";

const HEAD = `format: "1.0"
site: { id: mine-7, name: Test mine, kind: coal-mine }
gateway: { id: gw-01 }
uplink: { mqtt: { url: "mqtt://127.0.0.1:1883" } }
`;

describe("validateProfile", () => {
  it("returns structured problems: severity, stable code, place, key path, expected/found, hint", () => {
    const { problems, profile } = validateProfile(
      `${HEAD}devices:
  - id: dust-01
    template: dust-monitor-modbus
    connection: { host: 127.0.0.1, port: 15021 }
    points:
      - { name: PM10, scael: 1000 }
`,
      "mine.yaml",
    );
    expect(profile).toBeUndefined();
    expect(problems).toEqual<Problem[]>([
      {
        severity: "error",
        code: "PROFILE_UNKNOWN_KEY",
        file: "mine.yaml",
        line: 10,
        column: 23,
        path: "devices[0].points[0].scael",
        message: 'unknown key "scael"',
        hint: 'did you mean "scale"?',
      },
    ]);
  });

  it("formats a problem on one line as editors and CI annotate them", () => {
    expect(
      formatProblem({
        severity: "error",
        code: "PROFILE_INVALID_VALUE",
        file: "sites/mine.yaml",
        line: 31,
        column: 40,
        path: "devices[2].points[4].scale",
        message: 'expected a number, found "0.1x"',
        hint: "scale multiplies the raw value",
      }),
    ).toBe(
      'sites/mine.yaml:31:40: error: devices[2].points[4].scale: expected a number, found "0.1x" (hint: scale multiplies the raw value)',
    );
  });

  it("reads YAML anchors and merge keys", () => {
    const { problems, profile } = validateProfile(
      `${HEAD}devices:
  - { id: dust-01, template: dust-monitor-modbus, connection: &line { host: 127.0.0.1, port: 15021, timeoutMs: 2000 } }
  - { id: dust-02, template: dust-monitor-modbus, connection: { <<: *line, unitId: 2 } }
`,
      "p.yaml",
    );
    expect(problems).toEqual([]);
    const second = profile?.devices[1];
    expect(second?.type === "modbus" ? second.connection : undefined).toMatchObject({
      host: "127.0.0.1",
      port: 15021,
      timeoutMs: 2000,
      unitId: 2,
    });
  });

  it("has no extension keys: an x- key is refused like any other unknown key", () => {
    const { problems } = validateProfile(
      `${HEAD}x-line: &line { host: 127.0.0.1 }\ndevices:\n  - { id: d, template: dust-monitor-modbus, connection: *line }\n`,
      "p.yaml",
    );
    expect(problems.map(formatProblem)).toEqual([
      'p.yaml:5:1: error: x-line: unknown key "x-line" (hint: known keys: format, site, gateway, uplink, devices, rules, alerts, journal)',
    ]);
  });

  it("ignores keys of a newer minor format with a warning, and still resolves", () => {
    const { problems, profile } = validateProfile(
      `${HEAD.replace('"1.0"', '"1.2"')}devices:
  - id: dust-01
    template: dust-monitor-modbus
    connection: { host: 127.0.0.1, port: 15021 }
    watchdogMs: 5000
`,
      "p.yaml",
    );
    expect(problems.map(formatProblem)).toEqual([
      'p.yaml:1:1: warning: format: expected format 1.0 or older, found "1.2": keys it added are ignored',
      'p.yaml:9:5: warning: devices[0].watchdogMs: unknown key "watchdogMs" (hint: format 1.2 may define it; this build ignores it)',
    ]);
    expect(profile?.format).toBe("1.2");
    expect(profile?.devices[0]).not.toHaveProperty("watchdogMs");
  });

  it("lists problems in file order, each once", () => {
    const { problems } = validateProfile(
      `format: "1.0"
site: { id: "a b", name: "", kind: mine }
gateway: { id: gw-01, extra: 1 }
uplink: { mqtt: { url: "ftp://x" } }
devices: []
`,
      "p.yaml",
    );
    expect(problems.map((p) => [p.line, p.column, p.path])).toEqual([
      [2, 9, "site.id"],
      [2, 20, "site.name"],
      [2, 30, "site.kind"],
      [3, 23, "gateway.extra"],
      [4, 19, "uplink.mqtt.url"],
      [5, 1, "devices"],
    ]);
  });

  it("stays fast on a large profile: 200 devices of 7 points", () => {
    const devices = Array.from(
      { length: 200 },
      (_, i) =>
        `  - { id: dust-${i}, template: dust-monitor-modbus, connection: { host: 127.0.0.1, port: ${20000 + i} } }`,
    ).join("\n");
    const started = performance.now();
    const { problems, profile } = validateProfile(`${HEAD}devices:\n${devices}\n`, "p.yaml");
    expect(problems).toEqual([]);
    expect(profile?.devices).toHaveLength(200);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("closestMatch", () => {
  it.each([
    ["scael", ["scale", "offset"], "scale"],
    ["unitID", ["unitId", "timeoutMs"], "unitId"],
    ["holding-register", ["coil", "discrete", "holding", "input"], "holding"],
    ["dust-monitor-modbuss", ["dust-monitor-modbus", "dust-monitor-hj212"], "dust-monitor-modbus"],
    ["owner", ["id", "name", "kind"], undefined],
    ["ab", ["xy"], undefined],
  ])("%s → %s", (word, candidates, expected) => {
    expect(closestMatch(word, candidates)).toBe(expected);
  });

  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("scael", "scale")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("byte sizes", () => {
  it.each([
    ["512MiB", 536_870_912],
    ["1.5 GiB", 1_610_612_736],
    ["64MB", 64_000_000],
    [1_048_576, 1_048_576],
    ["10 megs", undefined],
    [1.5, undefined],
  ])("%s → %s", (size, bytes) => {
    expect(parseByteSize(size)).toBe(bytes);
  });

  it("formats bytes with the largest binary unit that divides them", () => {
    expect([formatByteSize(536_870_912), formatByteSize(1_000), formatByteSize(3 * 1024 ** 4)]).toEqual([
      "512MiB",
      "1000B",
      "3TiB",
    ]);
  });
});
