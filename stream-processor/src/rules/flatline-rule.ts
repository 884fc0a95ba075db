import { type FlatlineRule, levelRank } from "@lifeline/contracts";
import { durationText, formatNumber, levelLabel, quantity } from "./condition-summary.ts";
import { levelLadder, limitOf, reachedLevel } from "./level-ladder.ts";
import type { RuleEvaluator } from "./rule-evaluator.ts";

interface FlatlineState {
  /** First value of the current run of readings within tolerance of it, and its source time. */
  first: number | null;
  from: number;
  /** Readings in the run. */
  n: number;
}

/**
 * A stuck sensor: every reading for a level's duration stayed within `tolerance` of the first of
 * the run (at least two readings). Decided at readings only — a device that stops reporting is
 * stale, not stuck. A reading outside the tolerance starts a new run and clears.
 */
export function flatlineEvaluator(rule: FlatlineRule): RuleEvaluator {
  const ladder = levelLadder(rule.levels);
  const within = rule.tolerance === 0 ? "" : ` (±${formatNumber(rule.tolerance)})`;
  return {
    metrics: [rule.metric],
    clocked: false,
    eager: false,
    init: (): FlatlineState => ({ first: null, from: 0, n: 0 }),
    onReading(key, reading, decide) {
      const state = key.state as FlatlineState;
      if (state.first === null || Math.abs(reading.value - state.first) > rule.tolerance) {
        const stuck = state.first;
        const duration = reading.ts - state.from;
        state.first = reading.value;
        state.from = reading.ts;
        state.n = 1;
        if (key.level === null || stuck === null) return;
        decide({
          level: null,
          at: reading.ts,
          metric: rule.metric,
          value: duration,
          summary: `${rule.metric} moved to ${quantity(reading.value, reading.unit)} after ${durationText(duration)} at ${formatNumber(stuck)} (cleared)`,
          evidence: {
            values: { [rule.metric]: reading.value },
            window: { from: reading.ts - duration, to: reading.ts, aggregate: "flat" },
            threshold: limitOf(ladder, null),
          },
        });
        return;
      }
      state.n++;
      const duration = reading.ts - state.from;
      const level = reachedLevel(ladder, duration);
      if (level === null || (key.level !== null && levelRank(level) <= levelRank(key.level))) return;
      decide({
        level,
        at: reading.ts,
        metric: rule.metric,
        value: duration,
        summary: `${rule.metric} stuck at ${quantity(state.first, reading.unit)}${within} for ${durationText(duration)} (${levelLabel(level)})`,
        evidence: {
          values: { [rule.metric]: state.first },
          window: { from: state.from, to: reading.ts, aggregate: "flat" },
          threshold: limitOf(ladder, level),
          readings: state.n,
        },
      });
    },
    onTick() {},
  };
}
