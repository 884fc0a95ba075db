import type { AlertRunResult } from "./alert-load.ts";
import { type LatencySummary, summarizeLatency } from "./latency-summary.ts";
import type { ProbeCheck } from "./probe-check.ts";

export interface ReportedStep {
  /** Share of the maximum ingest rate; 0 is the idle pipeline, the peer. */
  percent: number;
  /** Data points per second asked for. */
  offered: number;
  run: AlertRunResult;
  /** Rows the processor stored during the step. */
  stored: number;
  /** Process name → % of one core during the load. */
  cpu: Record<string, number>;
  /** The receiving thread's event-loop delay during the load (it stamps conditions, events and webhooks), ms. */
  loopDelay: { p99: number; max: number };
  check: ProbeCheck;
}

export interface AlertBenchReport {
  command: string;
  settings: string;
  steps: ReportedStep[];
  /** Requests the receiver refused (bad signature, stale timestamp…). */
  refused: readonly string[];
}

/** The goal of issue 7: p99 under 500 ms at 50 % of the maximum ingest rate. */
const GOAL_PERCENT = 50;
const GOAL_P99_MS = 500;

const fmt = (n: number) => (Number.isNaN(n) ? "–" : Math.round(n).toLocaleString("en-US"));
const labelOf = (s: ReportedStep) => (s.percent === 0 ? "0 % (idle: the peer)" : `${s.percent} %`);

/** The markdown tables and verdicts of bench:alerts. */
export function alertBenchReport(r: AlertBenchReport): string {
  const idle = r.steps.find((s) => s.percent === 0);
  const floor = idle === undefined ? undefined : summarizeLatency(idle.check.latencies);
  const goalStep = r.steps.find((s) => s.percent === GOAL_PERCENT);
  const goalP99 = goalStep === undefined ? undefined : summarizeLatency(goalStep.check.latencies).p99;
  const goal =
    goalP99 === undefined
      ? `not measured (no ${GOAL_PERCENT} % step)`
      : `${goalP99 < GOAL_P99_MS ? "met" : "NOT met"} (${fmt(goalP99)} ms)`;
  const problems = r.steps.flatMap(problemsOf);
  if (r.refused.length > 0) problems.push(`receiver refused ${r.refused.length}: ${r.refused[0]}`);
  return [
    "",
    `command: ${r.command}`,
    `settings: ${r.settings}`,
    "latency = webhook received (signature verified) − the alert's `at` = Date.now() when the deciding reading's MQTT publish was issued",
    "",
    "| load | data points/s offered (achieved) | data points stored | alert events expected / received / duplicates | p50 ms | p90 ms | p99 ms | max ms | p50, p99 ÷ idle | CPU, % of one core |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...r.steps.map((s) => latencyRow(s, floor)),
    "",
    "By hop, p50 / p99 ms, as the bench saw them: PUBACK at the meter (load thread), condition and event on NATS and the webhook (main thread); a time is late by up to its thread's event-loop delay:",
    "",
    "| load | publish → PUBACK (gateway, JetStream) | → condition (rule engine) | → alert event (alert service) | → webhook received (dispatcher) | event-loop delay p99 / max: load thread; main thread |",
    "| --- | --- | --- | --- | --- | --- |",
    ...r.steps.map(hopRow),
    "",
    `goal p99 < ${GOAL_P99_MS} ms at ${GOAL_PERCENT} %: ${goal}`,
    problems.length === 0
      ? "every probe: exactly fired + resolved, at its readings' times, each delivered once"
      : `PROBLEMS:\n${problems.join("\n")}`,
    "",
  ].join("\n");
}

function latencyRow(s: ReportedStep, floor: LatencySummary | undefined): string {
  const l = summarizeLatency(s.check.latencies);
  const ratio = (a: number, b: number | undefined) => (b === undefined || !(b > 0) ? "–" : `${(a / b).toFixed(1)}×`);
  const exact = s.stored === s.run.dataPoints && s.run.acked === s.run.messages;
  const stored = exact
    ? fmt(s.stored)
    : `${fmt(s.stored)} of ${fmt(s.run.dataPoints)} sent (${fmt(s.run.acked)}/${fmt(s.run.messages)} acked)`;
  const c = s.check;
  const cpu = Object.entries(s.cpu)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(", ");
  return `| ${labelOf(s)} | ${fmt(s.offered)} (${fmt(s.run.dataPoints / s.run.seconds)}) | ${stored} | ${c.expected} / ${c.received} / ${c.duplicates} | ${fmt(l.p50)} | ${fmt(l.p90)} | ${fmt(l.p99)} | ${fmt(l.max)} | ${ratio(l.p50, floor?.p50)}, ${ratio(l.p99, floor?.p99)} | ${cpu} |`;
}

function hopRow(s: ReportedStep): string {
  const hop = (v: number[]) => {
    const x = summarizeLatency(v);
    return `${fmt(x.p50)} / ${fmt(x.p99)}`;
  };
  const h = s.check.stages;
  return `| ${labelOf(s)} | ${hop(h.toStored)} | ${hop(h.toCondition)} | ${hop(h.toEvent)} | ${hop(h.toWebhook)} | ${fmt(s.run.loopDelay.p99)} / ${fmt(s.run.loopDelay.max)}; ${fmt(s.loopDelay.p99)} / ${fmt(s.loopDelay.max)} |`;
}

function problemsOf(s: ReportedStep): string[] {
  const out: string[] = [];
  const c = s.check;
  if (c.missing.length > 0) out.push(`${labelOf(s)}: missing ${c.missing.length}: ${c.missing.slice(0, 5).join(", ")}`);
  if (c.unexpected.length > 0) {
    out.push(`${labelOf(s)}: unexpected ${c.unexpected.length}: ${c.unexpected.slice(0, 5).join(", ")}`);
  }
  if (c.duplicates > 0) out.push(`${labelOf(s)}: ${c.duplicates} repeated deliveries (same Idempotency-Key)`);
  return out;
}
