import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  type DeviceRows,
  type ExceedanceForecasterDefinition,
  type ExceedanceRule,
  exceedanceTargets,
  type LabelledSeries,
  labelledRuns,
} from "@lifeline/analytics";
import { LifelineError } from "@lifeline/contracts";
import { type ClickHouseDriver, openDriver } from "@lifeline/store";
import {
  type ForecastData,
  type ForecastOptionValues,
  type ForecastScenario,
  trainingOptionError,
} from "./analytics-forecast.ts";
import { readDeviceRows, type StoreReader, siteDevices, storeReader } from "./store-device-rows.ts";

export interface Period {
  /** Inclusive, ms since the epoch. */
  from: number;
  /** Exclusive. */
  to: number;
}

/** Share of --from … --to held out when no --eval-from/--eval-to is given: the last quarter. */
const HELD_OUT_SHARE = 0.25;
/** A time with its zone, or a date (UTC midnight): a time without a zone would be read in the local one. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * The training and held-out series of a site's stored history: the rows of its devices (every
 * input averaged per step), split at gaps, labelled by the scenario's incident rule.
 */
export async function storeForecastData(s: ForecastScenario, values: ForecastOptionValues): Promise<ForecastData> {
  const other = s.limitOption === "limit" ? "warning-level" : "limit";
  if (values[other] !== undefined) {
    throw trainingOptionError(
      `--${other}`,
      `is not a setting of ${s.definition.name}; its limit is --${s.limitOption}`,
    );
  }
  if (values.site === undefined) throw trainingOptionError("--site", "is required with --from-store: the site to read");
  const site = values.site;
  const { stepMs, inputs } = s.definition;
  const periods = storePeriods(values, stepMs);
  const rule = s.rule(limitOf(values[s.limitOption], s));
  const { driver, where } = openStoreDriver(values);
  let rows: { training: DeviceRows[]; heldOut: DeviceRows[] };
  try {
    const store = storeReader(driver);
    const devices = await chooseDevices(store, site, inputs, values.devices);
    const read = (p: Period) => readDeviceRows(store, { site, devices, inputs, from: p.from, to: p.to, stepMs });
    rows = { training: await read(periods.training), heldOut: await read(periods.heldOut) };
  } catch (error) {
    if (error instanceof LifelineError && error.code.startsWith("ANALYTICS_")) throw error;
    throw new LifelineError("ANALYTICS_TRAINING_STORE", `reading ${where}: ${(error as Error).message}`, {
      cause: error,
      detail: { store: where },
    });
  } finally {
    await driver.close();
  }
  const training = rows.training.flatMap((r) => labelledRuns(r, rule, { stepMs }));
  const heldOut = rows.heldOut.flatMap((r) => labelledRuns(r, rule, { stepMs }));
  checkLearnable(s.definition, training, heldOut, { site, rule, unit: s.limitUnit, periods });
  const span = (p: Period) => `${iso(p.from)} – ${iso(p.to)}`;
  const readRows = (list: readonly DeviceRows[]) => list.reduce((n, r) => n + r.timestamps.length, 0);
  return {
    training,
    heldOut,
    site,
    trainedOn: `${readRows(rows.training)} rows of ${rows.training.length} devices at ${site} (${span(periods.training)}, ${training.length} series)`,
    heldOutOn: `(${span(periods.heldOut)}, ${heldOut.length} series)`,
    preamble: `${rowsTable(rows, training, heldOut)}\n\nincidents: ${ruleText(rule, s.limitUnit)}\n\n`,
    summary: `Trained on the stored history of ${site} (${span(periods.training)}), shown on the held-out ${span(periods.heldOut)}; incidents: ${ruleText(rule, s.limitUnit)}.`,
  };
}

/** --from … --to, and the held-out period: --eval-from … --eval-to, or the last quarter. */
export function storePeriods(values: ForecastOptionValues, stepMs: number): { training: Period; heldOut: Period } {
  const from = isoTime(values.from, "--from", stepMs);
  const to = isoTime(values.to, "--to", stepMs);
  if (to <= from) throw trainingOptionError("--to", `${values.to} is not after --from ${values.from}`);
  const [evalFrom, evalTo] = [values["eval-from"], values["eval-to"]];
  if (evalFrom === undefined && evalTo === undefined) {
    const split = from + Math.floor(((1 - HELD_OUT_SHARE) * (to - from)) / stepMs) * stepMs;
    if (split <= from || split >= to) {
      throw trainingOptionError(
        "--to",
        `--from … --to is too short to hold out its last quarter; give --eval-from/--eval-to`,
      );
    }
    return { training: { from, to: split }, heldOut: { from: split, to } };
  }
  if (evalFrom === undefined || evalTo === undefined) {
    throw trainingOptionError(
      evalFrom === undefined ? "--eval-from" : "--eval-to",
      "give --eval-from and --eval-to together",
    );
  }
  const heldOut = { from: isoTime(evalFrom, "--eval-from", stepMs), to: isoTime(evalTo, "--eval-to", stepMs) };
  if (heldOut.to <= heldOut.from)
    throw trainingOptionError("--eval-to", `${evalTo} is not after --eval-from ${evalFrom}`);
  if (heldOut.from < to && heldOut.to > from) {
    throw trainingOptionError(
      "--eval-from",
      `${evalFrom} … ${evalTo} overlaps --from … --to: held-out data must be data the model did not learn from`,
    );
  }
  return { training: { from, to }, heldOut };
}

function isoTime(text: string | undefined, option: string, stepMs: number): number {
  if (text === undefined) throw trainingOptionError(option, "is required with --from-store");
  const ms = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw trainingOptionError(
      option,
      `expected an ISO 8601 time with its zone (2026-06-01T00:00+08:00, 2026-06-01T00:00Z) or a date (UTC), got '${text}'`,
    );
  }
  if (ms % stepMs !== 0)
    throw trainingOptionError(option, `${text} is not on the model's ${stepMs / 1000} s grid of rows`);
  return ms;
}

function limitOf(text: string | undefined, s: ForecastScenario): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) {
    throw trainingOptionError(`--${s.limitOption}`, `expected a number (${s.limitUnit}), got '${text}'`);
  }
  return value;
}

/** Embedded chdb under --data (which must exist: a typo would create an empty store), or a server. */
function openStoreDriver(values: ForecastOptionValues): { driver: ClickHouseDriver; where: string } {
  const url = (values["clickhouse-url"] ?? process.env.CLICKHOUSE_URL)?.trim();
  if (url) return { driver: openDriver({ clickhouseUrl: url, dataDir: "" }), where: withoutPassword(url) };
  const dir = resolve(values.data ?? ".lifeline/clickhouse");
  if (!existsSync(dir)) {
    throw trainingOptionError(
      "--data",
      `no store at ${dir}: give the folder of \`lifeline processor --data\` (DIR/clickhouse of \`lifeline up --data DIR\`), or --clickhouse-url`,
    );
  }
  return { driver: openDriver({ dataDir: dir }), where: dir };
}

function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "the ClickHouse server";
  }
}

/** The devices named by --devices (each must have every input), or all the site's that do. */
async function chooseDevices(
  store: StoreReader,
  site: string,
  inputs: readonly string[],
  option: string | undefined,
): Promise<string[]> {
  const known = await siteDevices(store, site, inputs);
  const lacking = [...known.partial].map(([device, missing]) => `${device} lacks ${missing.join(", ")}`);
  if (option === undefined) {
    if (known.complete.length > 0) return known.complete;
    throw new LifelineError(
      "ANALYTICS_TRAINING_NO_DATA",
      `--site ${site}: no device has every input of the model (${inputs.join(", ")})${lacking.length > 0 ? `: ${lacking.join("; ")}` : ""}`,
      { detail: { site } },
    );
  }
  const asked = [...new Set(option.split(",").map((d) => d.trim()))].filter((d) => d !== "");
  if (asked.length === 0) throw trainingOptionError("--devices", "expected device names separated by commas");
  for (const device of asked) {
    if (known.complete.includes(device)) continue;
    const missing = known.partial.get(device);
    throw trainingOptionError(
      "--devices",
      missing === undefined
        ? `site ${site} has no device ${device} with the model's inputs (${inputs.join(", ")})`
        : `${device} at site ${site} has no ${missing.join(", ")} (the model's inputs: ${inputs.join(", ")})`,
    );
  }
  return asked;
}

interface LearnableContext {
  site: string;
  rule: ExceedanceRule;
  unit: string;
  periods: { training: Period; heldOut: Period };
}

/** Rows the forecaster can learn from (a full window and a known target) and incidents among them, or a clear error. */
function checkLearnable(
  definition: ExceedanceForecasterDefinition,
  training: readonly LabelledSeries[],
  heldOut: readonly LabelledSeries[],
  c: LearnableContext,
): void {
  const noData = (message: string) =>
    new LifelineError("ANALYTICS_TRAINING_NO_DATA", message, { detail: { site: c.site } });
  const span = (p: Period) => `${iso(p.from)} – ${iso(p.to)}`;
  let rows = 0;
  let positives = 0;
  for (const s of training) {
    const { targets, known } = exceedanceTargets(s, definition.horizonMs);
    for (let i = definition.window - 1; i < s.timestamps.length; i++) {
      if (known[i] !== 1) continue;
      rows++;
      positives += targets[i] as number;
    }
  }
  if (training.length === 0) {
    throw noData(`--from … --to: no rows with every input at ${c.site} in ${span(c.periods.training)}`);
  }
  if (rows === 0) {
    throw noData(
      `--from … --to: no stretch without gaps in ${span(c.periods.training)} is long enough for a window of ${definition.window} rows and the ${definition.horizonMs / 60_000}-minute horizon`,
    );
  }
  if (positives === 0) {
    throw new LifelineError(
      "ANALYTICS_TRAINING_NO_INCIDENTS",
      `--from … --to: no incident to learn from in ${span(c.periods.training)} (${ruleText(c.rule, c.unit)}): widen the period or lower the limit`,
      { detail: { site: c.site, limit: c.rule.limit } },
    );
  }
  if (heldOut.length === 0) {
    throw noData(`--eval-from … --eval-to: no rows with every input at ${c.site} in ${span(c.periods.heldOut)}`);
  }
}

function ruleText(rule: ExceedanceRule, unit: string): string {
  const what =
    rule.averagingMs === undefined ? rule.input : `the ${rule.averagingMs / 60_000}-minute average of ${rule.input}`;
  return `${what} above ${rule.limit} ${unit}`;
}

/** Rows, series (runs between gaps) and incidents per device, training and held out. */
function rowsTable(
  rows: { training: readonly DeviceRows[]; heldOut: readonly DeviceRows[] },
  training: readonly LabelledSeries[],
  heldOut: readonly LabelledSeries[],
): string {
  const count = (series: readonly LabelledSeries[], device: string) => {
    const mine = series.filter((s) => s.device === device);
    return `${mine.length} | ${mine.reduce((n, s) => n + s.incidents.length, 0)}`;
  };
  const lines = rows.training.map((r, k) => {
    const held = rows.heldOut[k] as DeviceRows;
    return `| ${r.device} | ${r.timestamps.length} | ${count(training, r.device)} | ${held.timestamps.length} | ${count(heldOut, r.device)} |`;
  });
  return [
    "| device | training rows | series | incidents | held-out rows | series | incidents |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...lines,
  ].join("\n");
}

const iso = (ms: number) => new Date(ms).toISOString();
