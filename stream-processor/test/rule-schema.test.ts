import { type AlertRuleInput, alertRuleMetrics, alertRuleSchema, alertRulesSchema } from "@lifeline/contracts";
import { describe, expect, it } from "vitest";

const base = { id: "pm10-limit", site: "construction-07", device: "dust-01" };

/** Each issue as "path: message", the way an operator reads it. */
function issues(input: unknown, schema: typeof alertRuleSchema | typeof alertRulesSchema = alertRuleSchema): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("alertRuleSchema", () => {
  it("fills the defaults of a threshold rule", () => {
    const rule = { ...base, kind: "threshold", metric: "pm10", direction: "above", levels: { IV: 150 } } as const;
    expect(alertRuleSchema.parse(rule)).toEqual({ ...rule, enabled: true, hysteresis: 0, forMs: 0 });
  });

  it("fills the defaults of window, daily-exceedance, model and combined rules", () => {
    const window = {
      ...base,
      kind: "window",
      metric: "pm10",
      windowMs: 900_000,
      direction: "above",
      levels: { IV: 150 },
    };
    expect(alertRuleSchema.parse(window)).toEqual({
      ...window,
      enabled: true,
      aggregate: "avg",
      alignment: "clock",
      utcOffset: "+08:00",
      minSamples: 1,
      hysteresis: 0,
    });
    const daily = {
      ...base,
      kind: "daily-exceedance",
      metric: "pm10",
      windowMs: 3_600_000,
      limit: 150,
      levels: { IV: 1 },
    };
    expect(alertRuleSchema.parse(daily)).toEqual({
      ...daily,
      enabled: true,
      aggregate: "avg",
      direction: "above",
      minSamples: 1,
      utcOffset: "+08:00",
    });
    const model = alertRuleSchema.parse({ ...base, kind: "model", model: "landslide", levels: { II: 0.85 } });
    expect(model).toEqual({
      ...base,
      kind: "model",
      model: "landslide",
      levels: { II: 0.85 },
      enabled: true,
      direction: "above",
      hysteresis: 0,
      forMs: 0,
    });
    expect(alertRuleMetrics(model)).toEqual(["score.landslide"]);
    const combined = alertRuleSchema.parse({
      ...base,
      kind: "combined",
      level: "II",
      any: [
        { metric: "rain_intensity", op: ">", value: 30 },
        { metric: "water_level", measure: "avg", overMs: 600_000, op: ">=", value: 3 },
      ],
    });
    expect(combined.kind === "combined" && combined.any?.[0]).toEqual({
      metric: "rain_intensity",
      measure: "value",
      op: ">",
      value: 30,
    });
    expect(alertRuleMetrics(combined)).toEqual(["rain_intensity", "water_level"]);
  });

  it("accepts '*' for every device, and stale rules without a metric", () => {
    const stale = alertRuleSchema.parse({ ...base, device: "*", kind: "stale", levels: { IV: 300_000 } });
    expect(stale).toEqual({ ...base, device: "*", kind: "stale", levels: { IV: 300_000 }, enabled: true });
    expect(alertRuleMetrics(stale)).toEqual([]);
  });

  it("rejects levels that do not grow with severity, naming the level", () => {
    const above = { ...base, kind: "threshold", metric: "pm10", direction: "above", levels: { IV: 150, III: 120 } };
    expect(issues(above)).toEqual([
      "levels.III: expected level III (120) above level IV (150): a more severe level must be above a less severe one",
    ]);
    const below = { ...above, direction: "below", levels: { IV: 250, II: 260, I: 200 } };
    expect(issues(below)).toEqual([
      "levels.II: expected level II (260) below level IV (250): a more severe level must be below a less severe one",
    ]);
    const stale = { ...base, kind: "stale", levels: { IV: 3_600_000, II: 300_000 } };
    expect(issues(stale)).toEqual([
      "levels.II: expected level II (300000) above level IV (3600000): a more severe level must be above a less severe one",
    ]);
    const fall = { ...base, kind: "rate", metric: "water_level", per: 60_000, overMs: 600_000, direction: "fall" };
    expect(issues({ ...fall, levels: { IV: -0.1 } })).toEqual(["levels.IV: expected a speed of at least 0"]);
  });

  it("rejects missing, empty and unknown levels", () => {
    const rule = { ...base, kind: "threshold", metric: "pm10", direction: "above" };
    expect(issues(rule)).toEqual(["levels: Invalid input: expected object, received undefined"]);
    expect(issues({ ...rule, levels: {} })).toEqual(["levels: expected at least one of IV, III, II, I"]);
    expect(issues({ ...rule, levels: { V: 100, IV: 150 } })).toEqual(['levels: Unrecognized key: "V"']);
    expect(issues({ ...rule, levels: { V: 100 } })).toEqual([
      'levels: Unrecognized key: "V"',
      "levels: expected at least one of IV, III, II, I",
    ]);
  });

  it("rejects bad ids and unknown keys", () => {
    const rule = { ...base, kind: "threshold", metric: "pm10", direction: "above", levels: { IV: 150 } };
    expect(issues({ ...rule, id: "pm10.limit", device: "dust/01" })).toEqual([
      "id: expected 1-64 characters of A-Z, a-z, 0-9, '_' or '-'",
      "device: expected a device id (1-64 characters of A-Z, a-z, 0-9, '_' or '-') or '*'",
    ]);
    expect(issues({ ...rule, thresold: 150 })).toEqual([': Unrecognized key: "thresold"']);
    expect(issues({ ...rule, kind: "treshold" })).toEqual([
      "kind: Invalid discriminator value. Expected 'threshold' | 'model' | 'rate' | 'window' | 'daily-exceedance' | 'stale' | 'flatline' | 'combined'",
    ]);
  });

  it("rejects a combined rule with both all and any, or neither, and malformed terms", () => {
    const terms = [
      { metric: "rain_intensity", op: ">", value: 30 },
      { metric: "water_level", measure: "rate", overMs: 600_000, per: 600_000, op: ">", value: 0.05 },
    ];
    const rule = { ...base, kind: "combined", level: "II" };
    expect(issues({ ...rule, all: terms, any: terms })).toEqual([
      "any: expected exactly one of all or any, found both",
    ]);
    expect(issues(rule)).toEqual(["all: expected exactly one of all or any, found neither"]);
    expect(issues({ ...rule, all: [terms[0]] })).toEqual(["all: expected at least 2 terms"]);
    const noPer = { metric: "water_level", measure: "rate", overMs: 600_000, op: ">", value: 0.05 };
    const valueWithSpan = { metric: "rain_intensity", overMs: 600_000, op: ">", value: 30 };
    expect(issues({ ...rule, all: [valueWithSpan, noPer] })).toEqual([
      "all.0.overMs: expected no overMs for measure value",
      "all.1.per: expected per for measure rate",
    ]);
    expect(issues({ ...rule, all: terms, level: "V" })).toEqual([
      'level: Invalid option: expected one of "IV"|"III"|"II"|"I"',
    ]);
  });

  it("rejects clock windows that do not tile the day, and since with '*'", () => {
    const window = {
      ...base,
      kind: "window",
      metric: "pm10",
      windowMs: 420_000,
      direction: "above",
      levels: { IV: 1 },
    };
    expect(issues(window)).toEqual([
      "windowMs: expected a windowMs that divides a day (86400000 ms) for clock-aligned windows, found 420000",
    ]);
    expect(issues({ ...window, alignment: "sliding" })).toEqual([]);
    const stale = { ...base, device: "*", kind: "stale", levels: { IV: 1 }, since: "2024-06-01T09:00:00Z" };
    expect(issues(stale)).toEqual(["since: expected since only with a device id, not '*'"]);
    expect(issues({ ...stale, device: "rg-09" })).toEqual([]);
    expect(issues({ ...stale, device: "rg-09", since: "yesterday" })).toEqual(["since: Invalid ISO datetime"]);
    const tz = { ...window, windowMs: 900_000, utcOffset: "UTC+8" };
    expect(issues(tz)).toEqual(["utcOffset: expected a UTC offset like +08:00"]);
  });

  it("rejects two rules with one id", () => {
    const rule: AlertRuleInput = { ...base, kind: "stale", levels: { IV: 300_000 } };
    expect(issues([rule, { ...rule, device: "dust-02" }], alertRulesSchema)).toEqual([
      "1.id: duplicate rule id pm10-limit (also at 0)",
    ]);
  });
});
