import { DAY_MS, type DailyExceedanceRule } from "@lifeline/contracts";
import { addToWindow, type ClockWindow, openWindow, utcOffsetMs, windowStartOf, windowValue } from "./clock-window.ts";
import { AGGREGATE_NAMES, formatNumber, levelLabel, quantity, spanLabel } from "./condition-summary.ts";
import { levelLadder, reachedLevel } from "./level-ladder.ts";
import type { Decide, RuleCounters, RuleEvaluator, RuleKey } from "./rule-evaluator.ts";

interface DailyState {
  /** Start (UTC ms) of the local day being counted; null before the first reading of a day. */
  day: number | null;
  /** Closed windows of that day whose aggregate was past the limit. */
  count: number;
  open: ClockWindow | null;
  closedUntil: number;
}

/**
 * Counts the clock windows of the local day (e.g. hourly averages) whose aggregate passed a limit;
 * the levels are counts. The count starts again at local midnight — decided by the first reading
 * or tick of the next day — and an open condition clears then, `at` midnight.
 */
export function dailyExceedanceEvaluator(rule: DailyExceedanceRule, counters: RuleCounters): RuleEvaluator {
  const ladder = levelLadder(rule.levels);
  const offset = utcOffsetMs(rule.utcOffset);
  const sign = rule.direction === "above" ? 1 : -1;
  const relation = `${rule.direction} ${formatNumber(rule.limit)}`;
  const label = `${spanLabel(rule.windowMs)} ${AGGREGATE_NAMES[rule.aggregate]}`;
  const localDate = (day: number) => new Date(day + offset).toISOString().slice(0, 10);

  const closeWindow = (key: RuleKey, state: DailyState, decide: Decide): void => {
    const window = state.open as ClockWindow;
    const end = window.start + rule.windowMs;
    state.open = null;
    state.closedUntil = end;
    if (window.n < rule.minSamples) return;
    const value = windowValue(window, rule.aggregate);
    if (sign * value <= sign * rule.limit) return;
    state.count++;
    const level = reachedLevel(ladder, state.count);
    if (level === key.level || level === null) return;
    const times = state.count === 1 ? "1 exceedance" : `${state.count} exceedances`;
    decide({
      level,
      at: end,
      metric: rule.metric,
      value: state.count,
      summary: `${rule.metric} ${label} ${quantity(value, window.unit)} ${relation}: ${times} on ${localDate(state.day ?? window.start)} (${levelLabel(level)})`,
      evidence: {
        values: { [rule.metric]: value },
        window: { from: window.start, to: end, aggregate: rule.aggregate },
        threshold: rule.limit,
        count: state.count,
      },
    });
  };

  const endDay = (key: RuleKey, state: DailyState, decide: Decide): void => {
    const day = state.day as number;
    const midnight = day + DAY_MS;
    const count = state.count;
    state.day = null;
    state.count = 0;
    state.closedUntil = Math.max(state.closedUntil, midnight);
    if (key.level === null) return;
    decide({
      level: null,
      at: midnight,
      metric: rule.metric,
      value: 0,
      summary: `${rule.metric}: local day ${localDate(day)} ended with ${count} ${label}${count === 1 ? "" : "s"} ${relation} (cleared)`,
      evidence: { window: { from: day, to: midnight, aggregate: "count" }, threshold: rule.limit, count },
    });
  };

  return {
    metrics: [rule.metric],
    clocked: true,
    eager: false,
    init: (): DailyState => ({ day: null, count: 0, open: null, closedUntil: 0 }),
    onReading(key, reading, decide) {
      const state = key.state as DailyState;
      if (reading.ts < state.closedUntil) {
        counters.late++;
        return;
      }
      if (state.open !== null && reading.ts >= state.open.start + rule.windowMs) closeWindow(key, state, decide);
      if (state.day !== null && reading.ts >= state.day + DAY_MS) endDay(key, state, decide);
      state.day ??= windowStartOf(reading.ts, DAY_MS, offset);
      state.open ??= openWindow(windowStartOf(reading.ts, rule.windowMs, offset), reading.unit);
      addToWindow(state.open, reading.value, reading.unit, rule.aggregate);
    },
    onTick(key, _now, watermark, decide) {
      const state = key.state as DailyState;
      if (state.open !== null && watermark >= state.open.start + rule.windowMs) closeWindow(key, state, decide);
      if (state.day !== null && watermark >= state.day + DAY_MS) endDay(key, state, decide);
    },
  };
}
