import type { WindowRule } from "@lifeline/contracts";
import { addToWindow, type ClockWindow, openWindow, utcOffsetMs, windowStartOf, windowValue } from "./clock-window.ts";
import { AGGREGATE_NAMES, quantity, spanLabel, verdict } from "./condition-summary.ts";
import { judgeValue, levelLadder, limitOf } from "./level-ladder.ts";
import type { Decide, Judgement, RuleCounters, RuleEvaluator, RuleKey } from "./rule-evaluator.ts";
import { aggregateOf, dropThrough, type SampleSpan } from "./sample-span.ts";

interface ClockState {
  open: ClockWindow | null;
  /** End of the last window judged: a reading before it came too late. */
  closedUntil: number;
}

interface SlidingState {
  span: SampleSpan;
}

/** A window aggregate (e.g. a 15-min average of PM10) against levels: clock-aligned or sliding. */
export function windowEvaluator(rule: WindowRule, counters: RuleCounters): RuleEvaluator {
  return rule.alignment === "clock" ? clockWindowEvaluator(rule, counters) : slidingWindowEvaluator(rule);
}

function windowJudge(rule: WindowRule) {
  const ladder = levelLadder(rule.levels, rule.direction === "above");
  const options = { hysteresis: rule.hysteresis, forMs: 0, since: [] };
  const label = `${rule.metric} ${spanLabel(rule.windowMs)}${rule.alignment === "sliding" ? " moving" : ""} ${AGGREGATE_NAMES[rule.aggregate]}`;
  /** The judgement of a window's value at `at`, when it changes the key's level. */
  return (key: RuleKey, value: number, unit: string, at: number, window: Judgement["evidence"]["window"]) => {
    const level = judgeValue(ladder, key.level, value, at, options);
    if (level === key.level) return undefined;
    return {
      level,
      at,
      metric: rule.metric,
      value,
      summary: `${label} ${quantity(value, unit)} ${verdict(ladder, level, value, rule.hysteresis)}`,
      evidence: { values: { [rule.metric]: value }, window, threshold: limitOf(ladder, level) },
    } satisfies Judgement;
  };
}

/**
 * Windows [start, end) of the local clock, judged when they close: at the first reading at or
 * after the end, or at a tick whose watermark passed it; `at` is the window end. A window with
 * fewer than minSamples readings is not judged, and the key keeps its level.
 */
function clockWindowEvaluator(rule: WindowRule, counters: RuleCounters): RuleEvaluator {
  const judge = windowJudge(rule);
  const offset = utcOffsetMs(rule.utcOffset);
  const close = (key: RuleKey, state: ClockState, decide: Decide): void => {
    const window = state.open as ClockWindow;
    const end = window.start + rule.windowMs;
    state.open = null;
    state.closedUntil = end;
    if (window.n < rule.minSamples) return;
    const value = windowValue(window, rule.aggregate);
    const judgement = judge(key, value, window.unit, end, { from: window.start, to: end, aggregate: rule.aggregate });
    if (judgement !== undefined) decide({ ...judgement, evidence: { ...judgement.evidence, samples: window.n } });
  };
  return {
    metrics: [rule.metric],
    clocked: true,
    eager: false,
    init: (): ClockState => ({ open: null, closedUntil: 0 }),
    onReading(key, reading, decide) {
      const state = key.state as ClockState;
      if (reading.ts < state.closedUntil) {
        counters.late++;
        return;
      }
      if (state.open !== null && reading.ts >= state.open.start + rule.windowMs) close(key, state, decide);
      state.open ??= openWindow(windowStartOf(reading.ts, rule.windowMs, offset), reading.unit);
      addToWindow(state.open, reading.value, reading.unit, rule.aggregate);
    },
    onTick(key, _now, watermark, decide) {
      const state = key.state as ClockState;
      if (state.open !== null && watermark >= state.open.start + rule.windowMs) close(key, state, decide);
    },
  };
}

/** The window (ts − windowMs, ts] judged at each reading; only its samples are kept. */
function slidingWindowEvaluator(rule: WindowRule): RuleEvaluator {
  const judge = windowJudge(rule);
  return {
    metrics: [rule.metric],
    clocked: false,
    eager: false,
    init: (): SlidingState => ({ span: { ts: [], v: [] } }),
    onReading(key, reading, decide) {
      const { span } = key.state as SlidingState;
      span.ts.push(reading.ts);
      span.v.push(reading.value);
      dropThrough(span, reading.ts - rule.windowMs);
      if (span.ts.length < rule.minSamples) return;
      const aggregate = aggregateOf(span, rule.windowMs, rule.aggregate);
      if (aggregate === undefined) return;
      const window = { from: reading.ts - rule.windowMs, to: reading.ts, aggregate: rule.aggregate };
      const judgement = judge(key, aggregate.value, reading.unit, reading.ts, window);
      if (judgement !== undefined) decide({ ...judgement, evidence: { ...judgement.evidence, samples: aggregate.n } });
    },
    onTick() {},
  };
}
