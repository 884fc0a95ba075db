import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatProblem } from "../src/problem.ts";
import { builtinTemplates, loadTemplateLibrary } from "../src/templates/template-library.ts";
import { applyTemplate, deepMerge } from "../src/templates/template-merge.ts";
import { validateProfile } from "../src/validate-profile.ts";

const templates = builtinTemplates();
const template = (name: string) => {
  const t = templates.get(name);
  if (t === undefined) throw new Error(`no template ${name}`);
  return t;
};

describe("built-in template library", () => {
  it("loads without problems, each template valid with its own example", () => {
    expect([...templates.keys()]).toEqual([
      "dust-monitor-hj212",
      "dust-monitor-modbus",
      "gas-detector-modbus",
      "heat-meter-modbus",
      "heating-substation-modbus",
      "heating-substation-opcua",
      "pipeline-transmitter-modbus",
      "radar-level-gauge-modbus",
      "rain-gauge-sl651",
    ]);
  });

  // simulators/src/device-models.ts, dustMonitor and pipelineTransmitter: name, metric, unit, holding
  // address, datatype, byte order, scale. firmware-profiles may not import the simulators, so the
  // register maps are written out here; a change on either side must change both.
  it("dust-monitor-modbus has the register map of the simulator's dustMonitor", () => {
    const points = template("dust-monitor-modbus").device.points as Array<Record<string, unknown>>;
    expect(
      points.map((p) => [p.name, p.metric, p.unit, p.address, p.datatype, p.byteOrder ?? "ABCD", p.scale ?? 1]),
    ).toEqual([
      ["TSP", "tsp", "mg/m3", 0, "float32", "ABCD", 1],
      ["PM10", "pm10", "mg/m3", 2, "float32", "ABCD", 1],
      ["PM2.5", "pm2_5", "mg/m3", 4, "float32", "ABCD", 1],
      ["Noise", "noise", "dB(A)", 6, "float32", "ABCD", 1],
      ["Wind speed", "wind_speed", "m/s", 8, "float32", "ABCD", 1],
      ["Temperature", "temperature", "degC", 10, "int16", "ABCD", 0.1],
      ["Humidity", "humidity", "%RH", 11, "uint16", "ABCD", 0.1],
    ]);
  });

  it("pipeline-transmitter-modbus has the register map of the simulator's pipelineTransmitter", () => {
    const points = template("pipeline-transmitter-modbus").device.points as Array<Record<string, unknown>>;
    expect(
      points.map((p) => [p.name, p.metric, p.unit, p.address, p.datatype, p.byteOrder ?? "ABCD", p.scale ?? 1]),
    ).toEqual([
      ["Pressure", "pressure", "MPa", 0, "float32", "CDAB", 1],
      ["Flow", "flow", "m3/h", 2, "float32", "CDAB", 1],
      ["Water temperature", "water_temperature", "degC", 4, "int16", "ABCD", 0.1],
    ]);
  });

  it("dust-monitor-hj212 maps the factors the simulated logger sends", () => {
    // simulators/src/hj212/dust-site-model.ts, dustMonitorFactors
    expect(Object.keys(template("dust-monitor-hj212").station?.factors ?? {}).sort()).toEqual(
      ["a34001", "a34002", "a34004", "LA", "a01007", "a01008", "a01001", "a01002"].sort(),
    );
  });
});

describe("applyTemplate", () => {
  it("patches points by name, adds new ones, removes some, and merges mappings key by key", () => {
    const applied = applyTemplate(template("dust-monitor-modbus"), {
      id: "dust-09",
      template: "dust-monitor-modbus",
      connection: { host: "127.0.0.1", port: 15029 },
      pollIntervalMs: 5000,
      remove: ["Noise", "Humidity"],
      points: [
        { name: "PM10", unit: "ug/m3", scale: 1000 },
        { name: "Wind direction", metric: "wind_direction", unit: "deg", address: 12, datatype: "uint16" },
        { name: "TSP", address: 20 },
      ],
    });
    expect(applied.findings).toEqual([]);
    const points = applied.device.points as Array<Record<string, unknown>>;
    expect(points.map((p) => [p.name, p.address, p.unit, p.scale])).toEqual([
      ["TSP", 20, "mg/m3", undefined],
      ["PM10", 2, "ug/m3", 1000],
      ["PM2.5", 4, "mg/m3", undefined],
      ["Wind speed", 8, "m/s", undefined],
      ["Temperature", 10, "degC", 0.1],
      ["Wind direction", 12, "deg", undefined],
    ]);
    // Which of the entry's points each resolved point came from (for problem positions).
    expect(applied.pointOrigins).toEqual([2, 0, undefined, undefined, undefined, 1]);
    expect(applied.device.pollIntervalMs).toBe(5000);
    expect(applied.device.connection).toEqual({ host: "127.0.0.1", port: 15029 });
    expect(applied.device.type).toBe("modbus");
  });

  it("replaces a removed point that points then names afresh", () => {
    const applied = applyTemplate(template("pipeline-transmitter-modbus"), {
      id: "pt",
      remove: ["Flow"],
      points: [{ name: "Flow", metric: "flow", unit: "L/s", address: 2, datatype: "uint16" }],
    });
    const flow = (applied.device.points as Array<Record<string, unknown>>).find((p) => p.name === "Flow");
    expect(flow).toEqual({ name: "Flow", metric: "flow", unit: "L/s", address: 2, datatype: "uint16" });
  });

  it("gives every station of a receiver the template's station defaults, under its own keys", () => {
    const applied = applyTemplate(
      template("dust-monitor-hj212"),
      {
        id: "rx",
        listen: { port: 19212 },
        stations: [
          { mn: "A1", device: "dust-03", factors: { a34002: { unit: "mg/m3" } } },
          { mn: "A2", device: "dust-04" },
        ],
      },
      { timezone: "+07:00" },
    );
    const stations = applied.device.stations as Array<{ factors: Record<string, unknown> }>;
    expect(stations[0]?.factors.a34002).toEqual({ metric: "pm10", unit: "mg/m3" });
    expect(stations[1]?.factors.a34002).toEqual({ metric: "pm10", unit: "ug/m3" });
    expect(Object.keys(stations[1]?.factors ?? {})).toHaveLength(8);
    expect(applied.device.timezone).toBe("+07:00");
  });

  it("deletes a key the template sets when the entry gives null", () => {
    expect(deepMerge({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null }, a: null })).toEqual({ b: { d: 3 } });
    const applied = applyTemplate(template("heating-substation-opcua"), { id: "hs", securityMode: null });
    expect(applied.device.securityMode).toBeUndefined();
  });

  it("does not change the template", () => {
    const before = JSON.stringify(template("dust-monitor-modbus"));
    applyTemplate(template("dust-monitor-modbus"), { id: "x", points: [{ name: "PM10", scale: 5 }], remove: ["TSP"] });
    expect(JSON.stringify(template("dust-monitor-modbus"))).toBe(before);
  });
});

describe("a profile using templates", () => {
  const profile = (devices: string, site = "") => `format: "1.0"
site: { id: s1, name: Site, kind: coal-mine${site} }
gateway: { id: gw-01 }
uplink: { mqtt: { url: "mqtt://127.0.0.1:1883" } }
devices:
${devices}`;

  it("resolves to the merged, parsed configuration with defaults", () => {
    const result = validateProfile(
      profile(`  - id: dust-01
    template: dust-monitor-modbus
    connection: { host: 127.0.0.1, port: 15021 }
    points: [{ name: PM10, scale: 1000, unit: ug/m3 }]`),
      "p.yaml",
    );
    expect(result.problems).toEqual([]);
    const device = result.profile?.devices[0];
    if (device?.type !== "modbus") throw new Error("modbus");
    expect(device.connection).toMatchObject({ transport: "tcp", host: "127.0.0.1", port: 15021, unitId: 1 });
    expect(device.points[1]).toEqual({
      name: "PM10",
      metric: "pm10",
      unit: "ug/m3",
      register: "holding",
      address: 2,
      datatype: "float32",
      byteOrder: "ABCD",
      scale: 1000,
      offset: 0,
      writable: false,
    });
  });

  it("gives receivers the site's timezone unless the device sets its own", () => {
    const result = validateProfile(
      profile(
        `  - { id: rx1, template: rain-gauge-sl651, listen: { port: 0 }, stations: [{ address: "0030745815", device: r1 }] }
  - { id: rx2, template: rain-gauge-sl651, timezone: "+06:00", listen: { port: 0 }, stations: [{ address: "0030745816", device: r2 }] }`,
        ', timezone: "+05:30"',
      ),
      "p.yaml",
    );
    expect(result.problems).toEqual([]);
    expect(result.profile?.devices.map((d) => (d.type === "sl651" ? d.timezone : ""))).toEqual(["+05:30", "+06:00"]);
  });

  it("reports a problem of a point only the template has at the template key, naming the point", () => {
    // maxRegistersPerRead 1 makes the template's float32 points unreadable.
    const result = validateProfile(
      profile(`  - id: pt-01
    template: pipeline-transmitter-modbus
    connection: { host: 127.0.0.1, port: 15051 }
    maxRegistersPerRead: 1`),
      "p.yaml",
    );
    expect(result.problems.map(formatProblem)).toEqual([
      'p.yaml:7:5: error: devices[0].template: template pipeline-transmitter-modbus point "Pressure" datatype: expected at most maxRegistersPerRead (1) registers, found a float32 of 2',
      'p.yaml:7:5: error: devices[0].template: template pipeline-transmitter-modbus point "Flow" datatype: expected at most maxRegistersPerRead (1) registers, found a float32 of 2',
    ]);
  });

  it("takes templates from another library when given one", () => {
    const dir = mkdtempSync(join(tmpdir(), "templates-"));
    try {
      writeFileSync(
        join(dir, "level-switch.yaml"),
        `template: level-switch
title: Float level switch
description: A float switch on a discrete input.
siteKinds: [flood-station]
device:
  type: modbus
  points: [{ name: High, metric: level_high, register: discrete, address: 0, datatype: bool }]
example:
  connection: { host: 192.0.2.1 }
`,
      );
      const library = loadTemplateLibrary(dir);
      expect(library.problems).toEqual([]);
      const result = validateProfile(
        profile("  - { id: sw-1, template: level-switch, connection: { host: 127.0.0.1 } }"),
        "p.yaml",
        { templates: library.templates },
      );
      expect(result.problems).toEqual([]);
      expect(result.profile?.devices[0]?.id).toBe("sw-1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("loadTemplateLibrary", () => {
  const dir = mkdtempSync(join(tmpdir(), "templates-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reports broken templates with file, line and column, and keeps the good ones", () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "meter.yaml"),
      `template: meter
title: Meter
description: A meter.
siteKinds: [pipeline]
device:
  type: modbus
  points:
    - { name: Flow, metric: flow, unit: m3/h, address: 0, datatype: float32 }
example:
  connection: { port: 502 }
`,
    );
    writeFileSync(
      join(dir, "renamed.yaml"),
      `template: something-else
title: X
description: Y
siteKinds: [pipeline]
device: { type: modbus }
example: {}
`,
    );
    writeFileSync(
      join(dir, "kind.yaml"),
      "template: kind\ntitle: X\ndescription: Y\nsiteKinds: [mine]\ndevice: { type: modbus }\nexample: {}\n",
    );
    const { templates: loaded, problems } = loadTemplateLibrary(dir);
    expect(problems.map(formatProblem)).toEqual([
      `${join(dir, "kind.yaml")}:4:13: error: siteKinds[0]: expected one of "coal-mine", "flood-station", "heating-substation", "pipeline", found "mine"`,
      `${join(dir, "renamed.yaml")}:1:1: error: template: expected "renamed" (the file's name), found "something-else"`,
      `${join(dir, "meter.yaml")}:10:3: error: example.connection.host: transport tcp needs a host`,
    ]);
    expect([...loaded.keys()]).toEqual(["meter"]);
  });
});
