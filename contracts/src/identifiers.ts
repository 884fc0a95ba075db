import { z } from "zod";

/**
 * Site, gateway, device and boot ids become NATS subject tokens and MQTT topic levels, so they
 * must not contain the separators or wildcards of either protocol ('.', '*', '>', '/', '+', '#')
 * or white space (NATS ADR-6, MQTT 3.1.1 §4.7).
 */
export const MAX_ID_LENGTH = 64;
export const ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_ID_LENGTH}}$`);

export const idSchema = z
  .string()
  .regex(ID_PATTERN, `expected 1-${MAX_ID_LENGTH} characters of A-Z, a-z, 0-9, '_' or '-'`);

/** Metric names are dotted paths such as `pm10` or `flow.total`; they never become subjects. */
export const MAX_METRIC_LENGTH = 128;
export const METRIC_PATTERN = new RegExp(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,${MAX_METRIC_LENGTH - 1}}$`);

export const metricSchema = z
  .string()
  .regex(METRIC_PATTERN, `expected 1-${MAX_METRIC_LENGTH} characters of A-Z, a-z, 0-9, '_', '.', '-'`);

export function isId(value: string): boolean {
  return passed(validIds, ID_PATTERN, value);
}

/** Metrics and ids seen to match their pattern: the same few come in every envelope of a site. */
const validIds = new Set<string>();
const validMetrics = new Set<string>();
/** Past this many, a set starts again (an id per device: tens of thousands at a large site). */
const MAX_REMEMBERED = 100_000;

export function isMetricName(value: string): boolean {
  return passed(validMetrics, METRIC_PATTERN, value);
}

/**
 * Whether `value` matches `pattern`, remembering those that did: a set lookup costs a fraction
 * of the regular expression (an envelope of 3 readings was checked against 7 of them), and the
 * stream processor and the gateway check every envelope's ids and metrics.
 */
function passed(seen: Set<string>, pattern: RegExp, value: string): boolean {
  if (seen.has(value)) return true;
  if (!pattern.test(value)) return false;
  if (seen.size >= MAX_REMEMBERED) seen.clear();
  seen.add(value);
  return true;
}
