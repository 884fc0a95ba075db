import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type AlertCondition, alertRulesSchema, type Reading } from "@lifeline/contracts";
import { describe, expect, it } from "vitest";
import { RuleEngine } from "../src/rules/rule-engine.ts";

const ROOT = join(import.meta.dirname, "../testcases/alert-rules");

/** One step of a case: an envelope's readings for one device, or a clock tick. */
type Step = { tick: number } | EnvelopeStep;
type EnvelopeStep = { site: string; device: string; readings: Reading[] };

function parseTs(text: string, where: string): number {
  const ts = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (Number.isNaN(ts)) throw new Error(`${where}: expected an ISO-8601 time or ms, found ${JSON.stringify(text)}`);
  return ts;
}

/**
 * The readings cut into envelopes — consecutive rows of one (site, device), cut again at a blank
 * line — with each tick placed before the first row whose source time is after it.
 */
function loadSteps(dir: string): Step[] {
  const lines = readFileSync(join(dir, "readings.csv"), "utf8").split(/\r?\n/);
  const header = (lines.shift() ?? "").split(",");
  expect(header.slice(0, 6)).toEqual(["site", "device", "metric", "ts", "value", "quality"]);
  let ticks: number[] = [];
  try {
    const tickLines = readFileSync(join(dir, "ticks.csv"), "utf8").split(/\r?\n/).slice(1);
    ticks = tickLines.filter((l) => l.trim() !== "").map((l, i) => parseTs(l.trim(), `ticks.csv:${i + 2}`));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const steps: Step[] = [];
  let batch: EnvelopeStep | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === "") {
      batch = undefined;
      return;
    }
    const [site = "", device = "", metric = "", ts = "", value = "", quality = "", unit = ""] = line.split(",");
    const reading = { metric, ts: parseTs(ts, `readings.csv:${i + 2}`), value: Number(value), unit, quality };
    while (ticks.length > 0 && (ticks[0] as number) < reading.ts) {
      steps.push({ tick: ticks.shift() as number });
      batch = undefined;
    }
    if (batch === undefined || batch.site !== site || batch.device !== device) {
      batch = { site, device, readings: [] };
      steps.push(batch);
    }
    batch.readings.push(reading as Reading);
  });
  for (const tick of ticks) steps.push({ tick });
  return steps;
}

function run(engine: RuleEngine, steps: readonly Step[]): AlertCondition[] {
  return steps.flatMap((step) =>
    "tick" in step ? engine.tick(step.tick) : engine.evaluate(step.site, step.device, step.readings),
  );
}

/** Times as ISO strings, as expected.json writes them. */
function readable(condition: AlertCondition): unknown {
  const iso = (ts: unknown) => (typeof ts === "number" ? new Date(ts).toISOString() : ts);
  const { window, decidedAt, ...evidence } = condition.evidence;
  return {
    ...condition,
    at: iso(condition.at),
    evidence: {
      ...evidence,
      ...(window === undefined ? {} : { window: { ...window, from: iso(window.from), to: iso(window.to) } }),
      ...(decidedAt === undefined ? {} : { decidedAt: iso(decidedAt) }),
    },
  };
}

const PROMISED = [
  "threshold-hysteresis",
  "threshold-min-duration",
  "escalation",
  "rate-rise",
  "window-15min-clock",
  "window-sliding-1h",
  "daily-exceedance",
  "stale",
  "flatline",
  "combined",
  "model-score",
  "bad-quality-ignored",
  "replay-ignored",
];
const cases = readdirSync(ROOT).filter((name) => statSync(join(ROOT, name)).isDirectory());

describe("alert rule test cases", () => {
  it("has the cases the corpus promises", () => {
    expect(cases).toEqual(expect.arrayContaining(PROMISED));
  });

  describe.each(cases)("%s", (name) => {
    const dir = join(ROOT, name);
    const rules = alertRulesSchema.parse(JSON.parse(readFileSync(join(dir, "rules.json"), "utf8")));
    const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
    const steps = loadSteps(dir);

    it("emits exactly the expected conditions", () => {
      expect(run(new RuleEngine(rules), steps).map(readable)).toEqual(expected);
    });

    it("emits nothing when every envelope is delivered again", () => {
      const engine = new RuleEngine(rules);
      run(engine, steps);
      const again = steps.filter((s) => !("tick" in s));
      expect(run(engine, again)).toEqual([]);
    });

    it("continues from a snapshot taken half-way as if it had not stopped", () => {
      const engine = new RuleEngine(rules);
      const half = Math.floor(steps.length / 2);
      const first = run(engine, steps.slice(0, half));
      const restored = RuleEngine.restore(JSON.parse(JSON.stringify(engine.snapshot())));
      const rest = run(restored, steps.slice(half));
      expect([...first, ...rest].map(readable)).toEqual(expected);
    });
  });
});
