import { levelRank, type StaleRule } from "@lifeline/contracts";
import { durationText, isoTime, levelLabel } from "./condition-summary.ts";
import { levelLadder, limitOf, reachedLevel } from "./level-ladder.ts";
import type { RuleEvaluator } from "./rule-evaluator.ts";

interface StaleState {
  /** Source time of the latest reading; null for a device never seen (which is unknown, not stale). */
  last: number | null;
}

/**
 * Silence of a device (or of one of its metrics), decided by ticks: a level is raised once
 * `now − last` reaches its duration, `at` = last + duration (the most severe level reached wins,
 * so a late tick escalates at once). The next reading clears it, `at` its source time.
 */
export function staleEvaluator(rule: StaleRule): RuleEvaluator {
  const ladder = levelLadder(rule.levels);
  const since = rule.since === undefined ? null : Date.parse(rule.since);
  const what = rule.metric === undefined ? "reading" : `${rule.metric} reading`;
  const metric = rule.metric === undefined ? {} : { metric: rule.metric };
  return {
    metrics: rule.metric === undefined ? [] : [rule.metric],
    clocked: true,
    eager: since !== null && rule.device !== "*",
    init: (): StaleState => ({ last: since }),
    onReading(key, reading, decide) {
      const state = key.state as StaleState;
      const previous = state.last;
      if (previous !== null && reading.ts <= previous) return;
      state.last = reading.ts;
      if (key.level === null || previous === null) return;
      const silence = reading.ts - previous;
      decide({
        level: null,
        at: reading.ts,
        ...metric,
        value: silence,
        summary: `${rule.metric ?? "device"} reported again after ${durationText(silence)} of silence (cleared)`,
        evidence: {
          window: { from: previous, to: reading.ts, aggregate: "silence" },
          threshold: limitOf(ladder, null),
        },
      });
    },
    onTick(key, now, _watermark, decide) {
      const state = key.state as StaleState;
      if (state.last === null) return;
      const level = reachedLevel(ladder, now - state.last);
      if (level === null || (key.level !== null && levelRank(level) <= levelRank(key.level))) return;
      const limit = limitOf(ladder, level);
      decide({
        level,
        at: state.last + limit,
        ...metric,
        value: limit,
        summary: `no ${what} for ${durationText(limit)} since ${isoTime(state.last)} (${levelLabel(level)})`,
        evidence: { window: { from: state.last, to: state.last + limit, aggregate: "silence" }, threshold: limit },
      });
    },
  };
}
