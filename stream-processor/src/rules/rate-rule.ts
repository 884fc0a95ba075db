import type { RateRule } from "@lifeline/contracts";
import { formatNumber, perText, verdict } from "./condition-summary.ts";
import { judgeValue, levelLadder, limitOf } from "./level-ladder.ts";
import type { RuleEvaluator } from "./rule-evaluator.ts";
import { dropBeforeBase, rateOf, type SampleSpan } from "./sample-span.ts";

interface RateState {
  span: SampleSpan;
  since: (number | null)[];
}

/**
 * The speed of a rise (or fall) of a metric over `overMs`, in unit per `per`, against levels of
 * speed: a fall rule compares the speed of the fall, so its levels are positive like a rise's.
 * A series younger than overMs has no rate yet and is not judged.
 */
export function rateEvaluator(rule: RateRule): RuleEvaluator {
  const ladder = levelLadder(rule.levels);
  const options = { hysteresis: rule.hysteresis, forMs: rule.forMs, since: [] as (number | null)[] };
  const verb = rule.direction === "rise" ? "rising" : "falling";
  const per = perText(rule.per);
  return {
    metrics: [rule.metric],
    clocked: false,
    eager: false,
    init: (): RateState => ({ span: { ts: [], v: [] }, since: ladder.levels.map(() => null) }),
    onReading(key, reading, decide) {
      const state = key.state as RateState;
      state.span.ts.push(reading.ts);
      state.span.v.push(reading.value);
      dropBeforeBase(state.span, reading.ts - rule.overMs);
      const rate = rateOf(state.span, rule.overMs, rule.per);
      if (rate === undefined) return;
      const speed = rule.direction === "rise" ? rate.rate : -rate.rate;
      options.since = state.since;
      const level = judgeValue(ladder, key.level, speed, reading.ts, options);
      if (level === key.level) return;
      const unit = reading.unit === "" ? "" : `${reading.unit} `;
      decide({
        level,
        at: reading.ts,
        metric: rule.metric,
        value: speed,
        summary: `${rule.metric} ${verb} ${formatNumber(speed)} ${unit}${per} ${verdict(ladder, level, speed, rule.hysteresis, "faster than")}`,
        evidence: {
          values: { [rule.metric]: rate.toValue },
          window: { from: rate.from, to: rate.to, aggregate: "rate" },
          threshold: limitOf(ladder, level),
          from: rate.fromValue,
        },
      });
    },
    onTick() {},
  };
}
