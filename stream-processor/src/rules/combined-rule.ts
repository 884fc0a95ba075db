import type { AlertLevel, CombinedOp, CombinedRule, CombinedTerm } from "@lifeline/contracts";
import { formatNumber, levelLabel, perText, quantity, spanLabel } from "./condition-summary.ts";
import type { RuleEvaluator } from "./rule-evaluator.ts";
import { aggregateOf, dropBeforeBase, rateOf, type SampleSpan } from "./sample-span.ts";

interface MetricSeries {
  span: SampleSpan;
  unit: string;
}

interface CombinedState {
  /** Per metric of the terms (in the order of `metrics`): the readings its measures need, and its unit. */
  series: (MetricSeries | null)[];
  /** Source time of the reading from which the terms have held; null while they do not. */
  since: number | null;
}

const COMPARE: Readonly<Record<CombinedOp, (a: number, b: number) => boolean>> = {
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
};

/**
 * Several terms on metrics of one device — rainfall intensity above 30 mm/h AND water level rising
 * faster than 0.05 m per 10 min — judged whenever one of their metrics gets a reading, each on the
 * latest state of its metric. A term on a metric not seen yet (or without enough history for its
 * rate) does not hold.
 */
export function combinedEvaluator(rule: CombinedRule): RuleEvaluator {
  const terms = rule.all ?? rule.any ?? [];
  const joiner = rule.all === undefined ? " or " : " and ";
  const metrics = [...new Set(terms.map((t) => t.metric))];
  const termMetric = terms.map((t) => metrics.indexOf(t.metric));
  // How far back each metric's readings are needed: the longest span of its rate and avg terms.
  const keep = metrics.map((m) => Math.max(0, ...terms.filter((t) => t.metric === m).map(spanOf)));
  return {
    metrics,
    clocked: false,
    eager: false,
    init: (): CombinedState => ({ series: metrics.map(() => null), since: null }),
    onReading(key, reading, decide) {
      const state = key.state as CombinedState;
      const m = metrics.indexOf(reading.metric);
      const series = state.series[m] ?? { span: { ts: [], v: [] }, unit: reading.unit };
      state.series[m] = series;
      series.unit = reading.unit;
      series.span.ts.push(reading.ts);
      series.span.v.push(reading.value);
      dropBeforeBase(series.span, reading.ts - (keep[m] ?? 0));
      const measures = terms.map((term, i) => measureOf(term, state.series[termMetric[i] as number]));
      const holds = terms.map((term, i) => {
        const measure = measures[i];
        return measure !== undefined && COMPARE[term.op](measure, term.value);
      });
      const truth = rule.all === undefined ? holds.some(Boolean) : holds.every(Boolean);
      let level: AlertLevel | null = null;
      if (truth) {
        state.since ??= reading.ts;
        level = reading.ts - state.since >= rule.forMs ? rule.level : key.level;
      } else {
        state.since = null;
      }
      if (level === key.level) return;
      const values: [string, number][] = [];
      const phrases = terms.map((term, i) => {
        const measure = measures[i];
        const label = termLabel(term);
        if (measure === undefined) return `${label} not known`;
        values.push([term.measure === "value" ? term.metric : `${term.metric}:${term.measure}`, measure]);
        const unit = state.series[termMetric[i] as number]?.unit ?? "";
        return `${label} ${quantity(measure, unit)} ${holds[i] ? "" : "not "}${term.op} ${formatNumber(term.value)}`;
      });
      decide({
        level,
        at: reading.ts,
        metric: reading.metric,
        value: reading.value,
        summary: `${phrases.join(joiner)} (${level === null ? "cleared" : levelLabel(level)})`,
        evidence: { values: Object.fromEntries(values) },
      });
    },
    onTick() {},
  };
}

function spanOf(term: CombinedTerm): number {
  return term.measure === "value" ? 0 : (term.overMs ?? 0);
}

function measureOf(term: CombinedTerm, series: MetricSeries | null | undefined): number | undefined {
  if (series == null) return undefined;
  const { span } = series;
  switch (term.measure) {
    case "value":
      return span.v[span.v.length - 1];
    case "avg":
      return aggregateOf(span, term.overMs ?? 0, "avg")?.value;
    case "rate":
      return rateOf(span, term.overMs ?? 0, term.per ?? 1)?.rate;
  }
}

function termLabel(term: CombinedTerm): string {
  if (term.measure === "avg") return `${term.metric} ${spanLabel(term.overMs ?? 0)} average`;
  if (term.measure === "rate") return `${term.metric} change ${perText(term.per ?? 1)}`;
  return term.metric;
}
