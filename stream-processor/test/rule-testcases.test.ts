import type { AlertCondition } from "@lifeline/contracts";
import { describe, expect, it } from "vitest";
import { RuleEngine } from "../src/rules/rule-engine.ts";
import { type CaseStep, loadRuleCase, ruleCaseNames } from "../testcases/alert-rules/rule-case.ts";

/** Operator commands are the lifecycle's business (cloud-api/test/alert-corpus.test.ts): the engine skips them. */
function run(engine: RuleEngine, steps: readonly CaseStep[]): AlertCondition[] {
  return steps.flatMap((step) => {
    if (step.kind === "tick") return engine.tick(step.at);
    return step.kind === "envelope" ? engine.evaluate(step.site, step.device, step.readings) : [];
  });
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
  "flapping",
  "silence",
  "acknowledge-and-escalate",
  "reopen",
];
const cases = ruleCaseNames();

describe("alert rule test cases", () => {
  it("has the cases the corpus promises", () => {
    expect(cases).toEqual(expect.arrayContaining(PROMISED));
  });

  describe.each(cases)("%s", (name) => {
    const { rules, expected, steps } = loadRuleCase(name);

    it("emits exactly the expected conditions", () => {
      expect(run(new RuleEngine(rules), steps).map(readable)).toEqual(expected);
    });

    it("emits nothing when every envelope is delivered again", () => {
      const engine = new RuleEngine(rules);
      run(engine, steps);
      const again = steps.filter((s) => s.kind === "envelope");
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
