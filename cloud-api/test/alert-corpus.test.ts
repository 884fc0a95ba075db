import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AlertCondition, AlertTransition } from "@lifeline/contracts";
import { RuleEngine } from "@lifeline/stream-processor";
import { describe, expect, it } from "vitest";
import {
  type CommandStep,
  loadRuleCase,
  type OperatorCommand,
  type RuleCase,
  ruleCaseNames,
} from "../../stream-processor/testcases/alert-rules/rule-case.ts";
import { AlertLifecycle, type LifecycleOutput } from "../src/alerts/alert-lifecycle.ts";

/**
 * The alert-rule corpus end to end: readings → RuleEngine → AlertLifecycle, for every case that
 * states its alert sequence (alerts.json). Ticks drive both the engine and the lifecycle.
 */

interface Played {
  conditions: AlertCondition[];
  outputs: LifecycleOutput[];
  /** What each command of commands.csv produced, in order. */
  commanded: { step: CommandStep; output: LifecycleOutput }[];
  lifecycle: AlertLifecycle;
}

/** Runs a case's steps in order; at a tick the engine's conditions are applied before the lifecycle's own tick. */
function play(c: RuleCase): Played {
  const engine = new RuleEngine(c.rules);
  const lifecycle = new AlertLifecycle(c.policy);
  lifecycle.setSilences(c.silences.map((s) => ({ ...s, createdAt: s.startsAt })));
  const played: Played = { conditions: [], outputs: [], commanded: [], lifecycle };
  const apply = (conditions: AlertCondition[]) => {
    for (const condition of conditions) {
      played.conditions.push(condition);
      played.outputs.push(...lifecycle.applyCondition(condition));
    }
  };
  for (const step of c.steps) {
    if (step.kind === "envelope") apply(engine.evaluate(step.site, step.device, step.readings));
    else if (step.kind === "tick") {
      apply(engine.tick(step.at));
      played.outputs.push(...lifecycle.tick(step.at));
    } else {
      const output = command(lifecycle, step);
      played.outputs.push(output);
      played.commanded.push({ step, output });
    }
  }
  return played;
}

function command(lifecycle: AlertLifecycle, step: CommandStep): LifecycleOutput {
  const open = lifecycle.open().filter((e) => e.rule === step.rule && e.device === step.device);
  if (open.length !== 1) {
    throw new Error(`${step.where}: expected one open alert of ${step.rule} on ${step.device}, found ${open.length}`);
  }
  const { alertId } = open[0] as { alertId: string };
  const { by, note, at } = step;
  if (step.command === "acknowledge") return lifecycle.acknowledge(alertId, by, note, at);
  return step.command === "resolve" ? lifecycle.resolve(alertId, by, note, at) : lifecycle.close(alertId, by, note, at);
}

const TRANSITION_OF: Readonly<Record<OperatorCommand, AlertTransition>> = {
  acknowledge: "acknowledged",
  resolve: "resolved",
  close: "closed",
};

/** UTC, milliseconds only when there are some: 2024-06-01T10:05:00Z. */
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/** One line of alerts.json. */
const line = ({ event: e, notify }: LifecycleOutput) =>
  `${e.key} ${e.transition} ${e.state} ${e.level} ${iso(e.at)} ${notify ? "sent" : "held"}`;

/**
 * Per key, the episodes (alerts) in order: each opens with `fired` at seq 1, keeps its alertId,
 * firedAt and counts seq up by one, and ends with `closed`; the next output of the key is a new alert.
 */
function episodeProblems(outputs: readonly LifecycleOutput[]): string[] {
  const problems: string[] = [];
  const last = new Map<string, LifecycleOutput["event"]>();
  for (const { event: e } of outputs) {
    const previous = last.get(e.key);
    const where = `${e.key} ${e.transition} at ${iso(e.at)}`;
    if (previous === undefined || previous.state === "closed") {
      if (e.transition !== "fired" || e.seq !== 1) problems.push(`${where}: a new alert must open with fired, seq 1`);
      if (previous !== undefined && e.alertId === previous.alertId) problems.push(`${where}: reuses a closed alertId`);
    } else {
      if (e.alertId !== previous.alertId) problems.push(`${where}: alertId changed before the alert was closed`);
      if (e.seq !== previous.seq + 1) problems.push(`${where}: seq ${e.seq} after ${previous.seq}`);
      if (e.firedAt !== previous.firedAt) problems.push(`${where}: firedAt changed`);
    }
    if (e.id !== `${e.alertId}-${e.seq}`) problems.push(`${where}: id ${e.id} is not alertId-seq`);
    last.set(e.key, e);
  }
  return problems;
}

const PROMISED = [
  "threshold-hysteresis",
  "escalation",
  "stale",
  "flapping",
  "silence",
  "acknowledge-and-escalate",
  "reopen",
];
const all = ruleCaseNames().map((name) => loadRuleCase(name));
const cases = all.filter((c) => c.alerts !== undefined);

describe("alert corpus: readings → rule engine → lifecycle", () => {
  it("states the alert sequence of the cases the corpus promises", () => {
    expect(cases.map((c) => c.name)).toEqual(expect.arrayContaining(PROMISED));
  });

  it("has no lifecycle inputs in a case without alerts.json (they would go unchecked)", () => {
    const lifecycleFiles = ["lifecycle.json", "silences.json", "commands.csv"];
    const unchecked = all.filter(
      (c) => c.alerts === undefined && lifecycleFiles.some((file) => existsSync(join(c.dir, file))),
    );
    expect(unchecked.map((c) => c.name)).toEqual([]);
  });

  describe.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    it("produces exactly the alert sequence of alerts.json", () => {
      expect(play(c).outputs.map(line)).toEqual(c.alerts);
    });

    it("records each operator command with its author and note", () => {
      const { commanded } = play(c);
      const commands = c.steps.filter((s) => s.kind === "command");
      expect(commanded.map(({ output: { event: e } }) => [e.transition, e.by, e.note])).toEqual(
        commands.map((s) => [TRANSITION_OF[s.command], s.by, s.note]),
      );
    });

    it("keeps one alert per key from fired to closed, with ordered ids", () => {
      expect(episodeProblems(play(c).outputs)).toEqual([]);
    });

    it("changes nothing when the conditions are delivered again", () => {
      const { conditions, lifecycle } = play(c);
      expect(conditions.flatMap((condition) => lifecycle.applyCondition(condition))).toEqual([]);
    });
  });
});
