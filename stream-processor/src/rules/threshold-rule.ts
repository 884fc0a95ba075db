import { type ModelRule, modelScoreMetric, type ThresholdRule } from "@lifeline/contracts";
import { quantity, verdict } from "./condition-summary.ts";
import { judgeValue, levelLadder, limitOf } from "./level-ladder.ts";
import type { RuleEvaluator } from "./rule-evaluator.ts";

interface ThresholdState {
  /** Per level of the ladder, the source time of the first reading of the current run past it. */
  since: (number | null)[];
}

/** A threshold on each reading; a model rule is the same on a model's score metric. */
export function thresholdEvaluator(rule: ThresholdRule | ModelRule): RuleEvaluator {
  const metric = rule.kind === "model" ? modelScoreMetric(rule) : rule.metric;
  const ladder = levelLadder(rule.levels, rule.direction === "above");
  const options = { hysteresis: rule.hysteresis, forMs: rule.forMs, since: [] as (number | null)[] };
  const subject = rule.kind === "model" ? `${rule.model} model score` : metric;
  return {
    metrics: [metric],
    clocked: false,
    eager: false,
    init: (): ThresholdState => ({ since: ladder.levels.map(() => null) }),
    onReading(key, reading, decide) {
      options.since = (key.state as ThresholdState).since;
      const level = judgeValue(ladder, key.level, reading.value, reading.ts, options);
      if (level === key.level) return;
      decide({
        level,
        at: reading.ts,
        metric,
        value: reading.value,
        summary: `${subject} ${quantity(reading.value, reading.unit)} ${verdict(ladder, level, reading.value, rule.hysteresis)}`,
        evidence: { values: { [metric]: reading.value }, threshold: limitOf(ladder, level) },
      });
    },
    onTick() {},
  };
}
