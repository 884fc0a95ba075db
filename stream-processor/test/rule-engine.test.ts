import { type AlertRule, alertRuleSchema, type Reading } from "@lifeline/contracts";
import { describe, expect, it } from "vitest";
import { RuleEngine } from "../src/rules/rule-engine.ts";

const T0 = Date.parse("2024-06-01T10:00:00Z");
const MIN = 60_000;

function at(minute: number): number {
  return T0 + minute * MIN;
}

function reading(
  metric: string,
  minute: number,
  value: number,
  unit = "",
  quality: Reading["quality"] = "good",
): Reading {
  return { metric, ts: at(minute), value, unit, quality };
}

function rule(input: Record<string, unknown>): AlertRule {
  return alertRuleSchema.parse({ id: "r", site: "s1", device: "d1", ...input });
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

const pm10 = (input: Record<string, unknown> = {}) =>
  rule({ id: "pm10", kind: "threshold", metric: "pm10", direction: "above", levels: { IV: 150, III: 250 }, ...input });

describe("RuleEngine", () => {
  it("looks only at the series its rules read", () => {
    const engine = new RuleEngine([pm10()]);
    expect(engine.evaluate("s2", "d1", [reading("pm10", 0, 500)])).toEqual([]);
    expect(engine.evaluate("s1", "d2", [reading("pm10", 0, 500)])).toEqual([]);
    expect(engine.evaluate("s1", "d1", [reading("noise", 0, 90), reading("pm10", 0, 100)])).toEqual([]);
    expect(engine.stats()).toEqual({ rules: 1, series: 1, conditions: 0, open: 0, ignored: 0, bad: 0, late: 0 });
  });

  it("emits only changes of level, and ignores readings not newer than their series' last", () => {
    const engine = new RuleEngine([pm10({ device: "*" })]);
    const batch = [
      reading("pm10", 0, 100, "ug/m3"),
      reading("pm10", 1, 160, "ug/m3"),
      reading("pm10", 2, 170, "ug/m3"),
      reading("pm10", 3, 260, "ug/m3"),
      reading("pm10", 2, 999, "ug/m3"),
      reading("pm10", 4, 10, "ug/m3", "bad"),
    ];
    const conditions = engine.evaluate("s1", "d7", batch);
    expect(conditions.map((c) => [c.device, c.level, c.at, c.summary])).toEqual([
      ["d7", "IV", at(1), "pm10 160 ug/m3 above 150 (IV blue)"],
      ["d7", "III", at(3), "pm10 260 ug/m3 above 250 (III yellow)"],
    ]);
    expect(engine.evaluate("s1", "d7", batch)).toEqual([]);
    expect(engine.stats()).toEqual({ rules: 1, series: 1, conditions: 2, open: 1, ignored: 6, bad: 2, late: 0 });
  });

  it("describes a falling rate, and a lower level held by hysteresis", () => {
    const drop = rule({
      id: "drop",
      kind: "rate",
      metric: "pressure",
      per: MIN,
      overMs: 5 * MIN,
      direction: "fall",
      levels: { IV: 2 },
    });
    const level = pm10({ id: "level", levels: { IV: 150, III: 250 }, hysteresis: 20 });
    const engine = new RuleEngine([drop, level]);
    const pressure = (minute: number, v: number) => reading("pressure", minute, v, "kPa");
    // 10:00 → 10:05 falls 2 kPa/min: not faster than 2; 10:00 → 10:06 falls 3.33 kPa/min.
    const falls = engine.evaluate("s1", "d1", [pressure(0, 300), pressure(5, 290), pressure(6, 280)]);
    expect(falls.map((c) => [c.level, c.at, c.value, c.summary, c.evidence.window])).toEqual([
      [
        "IV",
        at(6),
        20 / 6,
        "pressure falling 3.333 kPa per min faster than 2 (IV blue)",
        { from: at(0), to: at(6), aggregate: "rate" },
      ],
    ]);
    const dust = [reading("pm10", 0, 260, "ug/m3"), reading("pm10", 1, 145, "ug/m3"), reading("pm10", 2, 129, "ug/m3")];
    expect(engine.evaluate("s1", "d1", dust).map((c) => [c.level, c.summary, c.evidence.threshold])).toEqual([
      ["III", "pm10 260 ug/m3 above 250 (III yellow)", 250],
      ["IV", "pm10 145 ug/m3 within 20 of 150 (IV blue)", 150],
      [null, "pm10 129 ug/m3 no longer above 150 (cleared)", 150],
    ]);
  });

  it("judges a combined rule on interleaved metrics, and stamps a second change at one source time 1 ms later", () => {
    const flood = rule({
      id: "flood",
      device: "rg-01",
      kind: "combined",
      level: "III",
      all: [
        { metric: "rain_intensity", op: ">", value: 30 },
        { metric: "water_level", op: ">", value: 3 },
      ],
    });
    const engine = new RuleEngine([flood]);
    const rain = (minute: number, v: number) => reading("rain_intensity", minute, v, "mm/h");
    const level = (minute: number, v: number) => reading("water_level", minute, v, "m");
    const first = engine.evaluate("s1", "rg-01", [rain(0, 35), level(0, 3.2), rain(1, 20), level(1, 3.3)]);
    expect(first.map((c) => [c.level, c.at, c.metric])).toEqual([
      ["III", at(0), "water_level"],
      [null, at(1), "rain_intensity"],
    ]);
    const base = { rule: "flood", site: "s1", device: "rg-01", kind: "combined" };
    expect(engine.evaluate("s1", "rg-01", [rain(2, 40), level(2, 2.9)])).toEqual([
      {
        ...base,
        level: "III",
        at: at(2),
        metric: "rain_intensity",
        value: 40,
        summary: "rain_intensity 40 mm/h > 30 and water_level 3.3 m > 3 (III yellow)",
        evidence: { values: { rain_intensity: 40, water_level: 3.3 } },
      },
      {
        ...base,
        level: null,
        at: at(2) + 1,
        metric: "water_level",
        value: 2.9,
        summary: "rain_intensity 40 mm/h > 30 and water_level 2.9 m not > 3 (cleared)",
        evidence: { values: { rain_intensity: 40, water_level: 2.9 }, decidedAt: at(2) },
      },
    ]);
  });

  it("raises the most severe stale level reached at once, and a buffered reading clears after the alert", () => {
    const stale = rule({ id: "quiet", kind: "stale", levels: { IV: 5 * MIN, II: 60 * MIN } });
    const engine = new RuleEngine([stale]);
    engine.evaluate("s1", "d1", [reading("pm10", 0, 80)]);
    expect(engine.tick(at(4))).toEqual([]);
    const base = { rule: "quiet", site: "s1", device: "d1", kind: "stale" };
    expect(engine.tick(at(120))).toEqual([
      {
        ...base,
        level: "II",
        at: at(60),
        value: 60 * MIN,
        summary: "no reading for 1 h since 2024-06-01T10:00:00.000Z (II orange)",
        evidence: { window: { from: at(0), to: at(60), aggregate: "silence" }, threshold: 60 * MIN },
      },
    ]);
    expect(engine.tick(at(121))).toEqual([]);
    // A reading buffered by the gateway arrives now with its source time of 10:03.
    expect(engine.evaluate("s1", "d1", [reading("noise", 3, 55)])).toEqual([
      {
        ...base,
        level: null,
        at: at(60) + 1,
        value: 3 * MIN,
        summary: "device reported again after 3 min of silence (cleared)",
        evidence: { window: { from: at(0), to: at(3), aggregate: "silence" }, threshold: 5 * MIN, decidedAt: at(3) },
      },
    ]);
  });

  it("keeps the state of unchanged rules on reload and clears the conditions of changed, disabled and removed ones", () => {
    const sustained = pm10({ id: "sustained", levels: { IV: 150 }, forMs: 10 * MIN });
    const noise = rule({ id: "noise", kind: "threshold", metric: "noise", direction: "above", levels: { IV: 70 } });
    const quiet = rule({ id: "quiet", kind: "stale", levels: { IV: 5 * MIN } });
    const engine = new RuleEngine([sustained, noise, quiet]);
    expect(engine.evaluate("s1", "d1", [reading("pm10", 0, 160), reading("noise", 0, 80)]).map((c) => c.rule)).toEqual([
      "noise",
    ]);
    expect(engine.evaluate("s1", "d1", [reading("pm10", 5, 170)])).toEqual([]);
    expect(engine.tick(at(11)).map((c) => [c.rule, c.level, c.at])).toEqual([["quiet", "IV", at(10)]]);

    const renamed = { ...sustained, name: "PM10 above 150 for 10 min" };
    const louder = rule({ id: "noise", kind: "threshold", metric: "noise", direction: "above", levels: { IV: 75 } });
    expect(engine.setRules([renamed, louder, { ...quiet, enabled: false }], at(12))).toEqual([
      {
        rule: "noise",
        site: "s1",
        device: "d1",
        kind: "threshold",
        level: null,
        at: at(12),
        metric: "noise",
        summary: "rule changed: condition cleared",
        evidence: {},
      },
      {
        rule: "quiet",
        site: "s1",
        device: "d1",
        kind: "stale",
        level: null,
        at: at(12),
        summary: "rule disabled: condition cleared",
        evidence: {},
      },
    ]);
    // The renamed rule kept the start of its run (10:00); the changed one judges afresh, after its clear.
    const next = engine.evaluate("s1", "d1", [reading("pm10", 10, 180, "ug/m3"), reading("noise", 10, 90, "dB(A)")]);
    expect(next.map((c) => [c.rule, c.level, c.at, c.summary, c.evidence.decidedAt])).toEqual([
      ["sustained", "IV", at(10), "pm10 180 ug/m3 above 150 (IV blue)", undefined],
      ["noise", "IV", at(12) + 1, "noise 90 dB(A) above 75 (IV blue)", at(10)],
    ]);
    expect(engine.setRules([], at(20)).map((c) => [c.rule, c.level, c.at, c.summary])).toEqual([
      ["sustained", null, at(20), "rule removed: condition cleared"],
      ["noise", null, at(20), "rule removed: condition cleared"],
    ]);
    expect(engine.stats()).toEqual({ rules: 0, series: 0, conditions: 8, open: 0, ignored: 0, bad: 0, late: 0 });
  });

  it("waits graceMs before a tick closes a clock window, and counts readings that come after", () => {
    const window = rule({
      id: "pm10-15min",
      kind: "window",
      metric: "pm10",
      windowMs: 15 * MIN,
      direction: "above",
      levels: { IV: 150 },
    });
    const engine = new RuleEngine([window], { graceMs: 2 * MIN });
    engine.evaluate(
      "s1",
      "d1",
      [0, 5, 10].map((m) => reading("pm10", m, 200, "ug/m3")),
    );
    expect(engine.tick(at(16))).toEqual([]);
    expect(engine.evaluate("s1", "d1", [reading("pm10", 14, 240, "ug/m3")])).toEqual([]);
    expect(engine.tick(at(17))).toEqual([
      {
        rule: "pm10-15min",
        site: "s1",
        device: "d1",
        kind: "window",
        level: "IV",
        at: at(15),
        metric: "pm10",
        value: 210,
        summary: "pm10 15-min average 210 ug/m3 above 150 (IV blue)",
        evidence: {
          values: { pm10: 210 },
          window: { from: at(0), to: at(15), aggregate: "avg" },
          threshold: 150,
          samples: 4,
        },
      },
    ]);
    expect(engine.evaluate("s1", "d1", [reading("pm10", 14.5, 900, "ug/m3")])).toEqual([]);
    expect(engine.stats().late).toBe(1);
  });

  it("keeps per series only what its span needs", () => {
    const rate = rule({
      id: "rate",
      kind: "rate",
      metric: "water_level",
      per: MIN,
      overMs: 10 * MIN,
      direction: "rise",
      levels: { IV: 1 },
    });
    const sliding = rule({
      id: "sliding",
      kind: "window",
      metric: "pm10",
      windowMs: 60 * MIN,
      alignment: "sliding",
      direction: "above",
      levels: { IV: 1_000 },
    });
    const clock = { ...sliding, id: "clock", alignment: "clock" as const };
    const engine = new RuleEngine([rate, sliding, clock]);
    for (let m = 0; m < 1_000; m++) {
      engine.evaluate("s1", "d1", [reading("water_level", m, 1 + m / 1_000), reading("pm10", m, 50)]);
    }
    const state = (id: string) => engine.snapshot().keys.find((k) => k.rule === `s1/${id}`)?.state;
    const samples = (id: string) => (state(id) as { span: { ts: number[] } }).span.ts.length;
    expect(samples("rate")).toBe(11);
    expect(samples("sliding")).toBe(60);
    expect(state("clock")).toEqual({ open: { start: at(960), n: 40, acc: 2_000, unit: "" }, closedUntil: at(960) });
  });

  it("refuses two rules with one id, and a snapshot of another version", () => {
    const error = caught(() => new RuleEngine([pm10(), pm10({ device: "d2" })]));
    expect(error).toMatchObject({
      code: "STREAM_RULES_DUPLICATE_ID",
      message: "rule id pm10 is used by more than one rule of site s1",
    });
    // Ids are unique per site: the alert key is (rule, site, device).
    expect(new RuleEngine([pm10(), pm10({ site: "s2" })]).stats().rules).toBe(2);
    const state = { ...new RuleEngine([pm10()]).snapshot(), v: 2 } as unknown as Parameters<
      typeof RuleEngine.restore
    >[0];
    expect(caught(() => RuleEngine.restore(state))).toMatchObject({
      code: "STREAM_RULES_STATE_VERSION",
      message: "expected rule engine state version 1, found 2",
    });
  });

  it("snapshots as plain JSON and restores with the rules of the snapshot", () => {
    const engine = new RuleEngine([pm10()]);
    engine.evaluate("s1", "d1", [reading("pm10", 0, 300)]);
    const snapshot = engine.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    const restored = RuleEngine.restore(snapshot);
    expect(restored.evaluate("s1", "d1", [reading("pm10", 0, 300)])).toEqual([]);
    expect(restored.evaluate("s1", "d1", [reading("pm10", 1, 100)]).map((c) => [c.level, c.at])).toEqual([
      [null, at(1)],
    ]);
    expect(restored.stats()).toEqual({ rules: 1, series: 1, conditions: 2, open: 0, ignored: 1, bad: 0, late: 0 });
  });
});
