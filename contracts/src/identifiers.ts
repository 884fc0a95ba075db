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
  return ID_PATTERN.test(value);
}
