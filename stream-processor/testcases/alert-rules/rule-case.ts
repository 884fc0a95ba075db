import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { type AlertRule, alertRulesSchema, type Reading } from "@lifeline/contracts";

/** This folder: one sub-folder per case (README.md describes the format). */
export const ALERT_RULE_CASES_DIR = import.meta.dirname;

/** One step of a case, in the order it runs: an envelope of one device, a clock tick, or an operator command. */
export type CaseStep = EnvelopeStep | TickStep | CommandStep;

export interface EnvelopeStep {
  kind: "envelope";
  site: string;
  device: string;
  readings: Reading[];
}

export interface TickStep {
  kind: "tick";
  at: number;
}

export const OPERATOR_COMMANDS = ["acknowledge", "resolve", "close"] as const;
export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];

/** An operator's command on the open alert of (rule, device) at `at`. */
export interface CommandStep {
  kind: "command";
  at: number;
  command: OperatorCommand;
  rule: string;
  device: string;
  by: string;
  note: string;
  /** `<case>/commands.csv:<line>`, for messages. */
  where: string;
}

/** The lifecycle policy of a case: lifecycle.json over the corpus default (no re-notification). */
export interface CasePolicy {
  renotifyEveryMs: number;
  flapWindowMs?: number;
  flapMaxChanges?: number;
}

export interface CaseSilence {
  id: string;
  site: string;
  device: string;
  rule: string;
  startsAt: number;
  endsAt: number;
  by: string;
  comment: string;
}

export interface RuleCase {
  name: string;
  dir: string;
  rules: AlertRule[];
  steps: CaseStep[];
  /** expected.json: the conditions, times as ISO strings. */
  expected: unknown[];
  /** alerts.json: the lifecycle outputs, one line each; absent when the case states none. */
  alerts: string[] | undefined;
  policy: CasePolicy;
  silences: CaseSilence[];
}

/** The case folders, in name order. */
export function ruleCaseNames(root: string = ALERT_RULE_CASES_DIR): string[] {
  return readdirSync(root)
    .filter((name) => statSync(join(root, name)).isDirectory())
    .sort();
}

/** The case `name` of the corpus in `root`. */
export function loadRuleCase(name: string, root: string = ALERT_RULE_CASES_DIR): RuleCase {
  const dir = join(root, name);
  const alerts = readJson(dir, "alerts.json");
  if (alerts !== undefined && !(Array.isArray(alerts) && alerts.every((a) => typeof a === "string"))) {
    throw new Error(`${name}/alerts.json: expected an array of strings`);
  }
  return {
    name,
    dir,
    rules: alertRulesSchema.parse(requireJson(dir, "rules.json")),
    steps: loadSteps(dir),
    expected: requireJson(dir, "expected.json") as unknown[],
    alerts: alerts as string[] | undefined,
    policy: parsePolicy(readJson(dir, "lifecycle.json"), `${name}/lifecycle.json`),
    silences: parseSilences(readJson(dir, "silences.json") ?? [], `${name}/silences.json`),
  };
}

export function parseTs(text: string, where: string): number {
  const ts = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (Number.isNaN(ts)) throw new Error(`${where}: expected an ISO-8601 time or ms, found ${JSON.stringify(text)}`);
  return ts;
}

/**
 * The readings cut into envelopes — consecutive rows of one (site, device), cut again at a blank
 * line — with each tick and command placed before the first row whose source time is after it
 * (at one time, ticks before commands).
 */
export function loadSteps(dir: string): CaseStep[] {
  const lines = readFileSync(join(dir, "readings.csv"), "utf8").split(/\r?\n/);
  const file = `${basename(dir)}/readings.csv`;
  checkHeader(lines.shift(), ["site", "device", "metric", "ts", "value", "quality"], file);
  const clock = [...loadTicks(dir), ...loadCommands(dir)].sort((a, b) => a.at - b.at);
  const steps: CaseStep[] = [];
  let batch: EnvelopeStep | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === "") {
      batch = undefined;
      return;
    }
    const [site = "", device = "", metric = "", ts = "", value = "", quality = "", unit = ""] = line.split(",");
    const reading = { metric, ts: parseTs(ts, `${file}:${i + 2}`), value: Number(value), unit, quality };
    while (clock.length > 0 && (clock[0] as TickStep | CommandStep).at < reading.ts) {
      steps.push(clock.shift() as TickStep | CommandStep);
      batch = undefined;
    }
    if (batch === undefined || batch.site !== site || batch.device !== device) {
      batch = { kind: "envelope", site, device, readings: [] };
      steps.push(batch);
    }
    batch.readings.push(reading as Reading);
  });
  steps.push(...clock);
  return steps;
}

function loadTicks(dir: string): TickStep[] {
  return timedRows(dir, "ticks.csv", ["ts"]).map(({ at }) => ({ kind: "tick", at }));
}

function loadCommands(dir: string): CommandStep[] {
  const rows = timedRows(dir, "commands.csv", ["ts", "command", "rule", "device", "by", "note"]);
  return rows.map(({ at, fields, where }): CommandStep => {
    const [, command = "", rule = "", device = "", by = "", ...note] = fields;
    if (!(OPERATOR_COMMANDS as readonly string[]).includes(command)) {
      throw new Error(
        `${where}: expected a command of ${OPERATOR_COMMANDS.join(", ")}, found ${JSON.stringify(command)}`,
      );
    }
    // The note is the rest of the line: it may hold commas.
    return { kind: "command", at, command: command as OperatorCommand, rule, device, by, note: note.join(","), where };
  });
}

/**
 * The data rows of an optional CSV file whose first column is a time (none when the file is
 * absent), in time order, each with its time and `case/file:line`.
 */
function timedRows(dir: string, file: string, header: readonly string[]): TimedRow[] {
  const text = readOptional(join(dir, file));
  if (text === undefined) return [];
  const lines = text.split(/\r?\n/);
  const name = `${basename(dir)}/${file}`;
  checkHeader(lines.shift(), header, name);
  const rows: TimedRow[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const fields = line.split(",");
    const where = `${name}:${i + 2}`;
    const at = parseTs((fields[0] as string).trim(), where);
    const previous = rows[rows.length - 1];
    if (previous !== undefined && at < previous.at) throw new Error(`${where}: earlier than ${previous.where}`);
    rows.push({ at, fields, where });
  });
  return rows;
}

interface TimedRow {
  at: number;
  fields: string[];
  where: string;
}

function checkHeader(line: string | undefined, expected: readonly string[], file: string): void {
  const found = (line ?? "").split(",").slice(0, expected.length);
  if (found.join(",") !== expected.join(",")) {
    throw new Error(`${file}: expected a header starting ${expected.join(",")}, found ${JSON.stringify(line ?? "")}`);
  }
}

const POLICY_KEYS = ["renotifyEveryMs", "flapWindowMs", "flapMaxChanges"] as const;

function parsePolicy(json: unknown, where: string): CasePolicy {
  const policy: CasePolicy = { renotifyEveryMs: 0 };
  if (json === undefined) return policy;
  for (const [key, value] of Object.entries(asObject(json, where))) {
    if (!(POLICY_KEYS as readonly string[]).includes(key)) {
      throw new Error(`${where}: unknown key ${key}; expected ${POLICY_KEYS.join(", ")}`);
    }
    if (!Number.isInteger(value) || (value as number) < 0) {
      throw new Error(`${where}: ${key} must be an integer of at least 0, found ${JSON.stringify(value)}`);
    }
    policy[key as (typeof POLICY_KEYS)[number]] = value as number;
  }
  return policy;
}

const SILENCE_KEYS = ["id", "site", "device", "rule", "startsAt", "endsAt", "by", "comment"] as const;

function parseSilences(json: unknown, where: string): CaseSilence[] {
  if (!Array.isArray(json)) throw new Error(`${where}: expected an array of silences`);
  return json.map((item, i) => {
    const s = asObject(item, `${where}[${i}]`);
    const keys = Object.keys(s).sort();
    if (keys.join(",") !== [...SILENCE_KEYS].sort().join(",")) {
      throw new Error(`${where}[${i}]: expected exactly the keys ${SILENCE_KEYS.join(", ")}, found ${keys.join(", ")}`);
    }
    for (const key of SILENCE_KEYS) {
      if (typeof s[key] !== "string") throw new Error(`${where}[${i}].${key}: expected a string`);
    }
    const text = s as Record<(typeof SILENCE_KEYS)[number], string>;
    return {
      ...text,
      startsAt: parseTs(text.startsAt, `${where}[${i}].startsAt`),
      endsAt: parseTs(text.endsAt, `${where}[${i}].endsAt`),
    };
  });
}

function asObject(json: unknown, where: string): Record<string, unknown> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${where}: expected an object`);
  return json as Record<string, unknown>;
}

function readJson(dir: string, file: string): unknown {
  const text = readOptional(join(dir, file));
  return text === undefined ? undefined : JSON.parse(text);
}

function requireJson(dir: string, file: string): unknown {
  return JSON.parse(readFileSync(join(dir, file), "utf8"));
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
