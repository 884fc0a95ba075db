import { idSchema } from "./identifiers.ts";

/**
 * The Chinese four-level warning scale (GB/T 22163 and the national emergency plans): IV blue is
 * the least severe, I red the most. Listed here from least to most severe, so the index is the rank.
 */
export const ALERT_LEVELS = ["IV", "III", "II", "I"] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

export const LEVEL_COLOURS: Readonly<Record<AlertLevel, string>> = {
  IV: "blue",
  III: "yellow",
  II: "orange",
  I: "red",
};

/** 1 (IV blue) … 4 (I red): a higher rank is more severe. */
export function levelRank(level: AlertLevel): number {
  return ALERT_LEVELS.indexOf(level) + 1;
}

/** The more severe of two levels. */
export function higherLevel(a: AlertLevel, b: AlertLevel): AlertLevel {
  return levelRank(a) >= levelRank(b) ? a : b;
}

/** What kind of rule raised an alert; `model` is an ONNX score compared like any reading. */
export const ALERT_KINDS = [
  "threshold",
  "rate",
  "window",
  "daily-exceedance",
  "stale",
  "flatline",
  "combined",
  "model",
  "video",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * What a rule saw: the values (by metric) that decided, the window they were taken over, the
 * limit they were compared with, and a link to evidence such as a camera snapshot.
 */
export interface AlertEvidence {
  values?: Record<string, number>;
  window?: { from: number; to: number; aggregate: string };
  threshold?: number;
  snapshot?: string;
  [more: string]: unknown;
}

/**
 * A change of a rule's condition for one (rule, site, device), as the rule engine sees it: raised
 * to a level, or cleared (`level: null`). `at` is the source time of the reading that decided (or
 * the clock time, for stale data). Conditions are idempotent by (key, at): the lifecycle ignores a
 * condition not newer than the last one it applied for the key, so a replay changes nothing.
 */
export interface AlertCondition {
  rule: string;
  site: string;
  device: string;
  kind: AlertKind;
  level: AlertLevel | null;
  at: number;
  metric?: string;
  value?: number;
  summary: string;
  evidence: AlertEvidence;
}

export const ALERT_STATES = ["firing", "acknowledged", "resolved", "closed"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/**
 * What happened to an alert. `fired` opens it; `escalated`/`deescalated` change its level;
 * `renotified` repeats it while nobody acknowledged it; `acknowledged`, `resolved` (the condition
 * cleared, or an operator resolved it), `closed` (an operator closed it), `reopened` (the condition
 * came back before the alert was closed).
 */
export const ALERT_TRANSITIONS = [
  "fired",
  "escalated",
  "deescalated",
  "renotified",
  "acknowledged",
  "resolved",
  "reopened",
  "closed",
] as const;
export type AlertTransition = (typeof ALERT_TRANSITIONS)[number];

export const ALERT_EVENT_VERSION = 1;

/**
 * One transition of one alert: what is stored in ClickHouse, put in the outbox and delivered to
 * subscribers. `id` is unique and stable (the idempotency key of a delivery); `seq` orders the
 * transitions of one alert (1, 2, …); an alert (`alertId`) is one episode of a key, from `fired`
 * to `closed`; there is at most one open alert per key.
 */
export interface AlertEvent {
  v: typeof ALERT_EVENT_VERSION;
  id: string;
  alertId: string;
  key: string;
  seq: number;
  rule: string;
  site: string;
  device: string;
  kind: AlertKind;
  metric?: string;
  transition: AlertTransition;
  state: AlertState;
  level: AlertLevel;
  /** Time of this transition, ms since the epoch. */
  at: number;
  /** When the alert fired (source time of the deciding reading). */
  firedAt: number;
  /** When its condition cleared, once it has. */
  resolvedAt?: number;
  value?: number;
  summary: string;
  evidence: AlertEvidence;
  /** Who acknowledged, resolved or closed it, and their note. */
  by?: string;
  note?: string;
  /** Stored and listed, but not sent to subscribers (a silence or maintenance window matched). */
  silenced: boolean;
  /** The condition changed too often recently; further changes are not notified until it settles. */
  flapping: boolean;
}

/** The key of an alert: at most one alert is open per (rule, site, device). */
export function alertKey(a: Pick<AlertCondition, "rule" | "site" | "device">): string {
  return `${a.rule}/${a.site}/${a.device}`;
}

/**
 * Conditions travel from the stream processor to the alert service on `alertcond.<site>.<device>`;
 * alert events (the outbox) on `alert.<site>.<level>.<kind>.<device>`, so that a subscriber's filter
 * on site, level or kind is a subject filter (the rule id is in the payload).
 */
export const ALERT_CONDITION_STREAM = "ALERT_CONDITIONS";
export const ALERT_CONDITION_PREFIX = "alertcond";
export const ALERT_CONDITION_SUBJECTS = `${ALERT_CONDITION_PREFIX}.>`;
export const ALERT_STREAM = "ALERTS";
export const ALERT_SUBJECT_PREFIX = "alert";
export const ALERT_SUBJECTS = `${ALERT_SUBJECT_PREFIX}.>`;
/** The durable consumer of the alert service on the condition stream. */
export const ALERT_LIFECYCLE_CONSUMER = "alert-lifecycle";
/** The durable consumer of the rule engine on the telemetry stream. */
export const ALERT_RULES_CONSUMER = "alert-rules";
export const MQTT_ALERT_PREFIX = "lifeline/v1/alert";
/**
 * Alert rules set through the API, one per key `<site>.<rule id>` (JSON); rules declared in a
 * gateway profile (its `alerts` list) come from the profile bucket.
 */
export const ALERT_RULE_BUCKET = "ALERT_RULES";

/** The key of an API rule in {@link ALERT_RULE_BUCKET}. */
export function alertRuleKey(site: string, rule: string): string {
  return `${site}.${rule}`;
}

export function alertConditionSubject(c: Pick<AlertCondition, "site" | "device">): string {
  return `${ALERT_CONDITION_PREFIX}.${c.site}.${c.device}`;
}

export function alertSubject(e: Pick<AlertEvent, "site" | "level" | "kind" | "device">): string {
  return `${ALERT_SUBJECT_PREFIX}.${e.site}.${e.level}.${e.kind}.${e.device}`;
}

/** The MQTT topic of an alert event for legacy systems: `lifeline/v1/alert/<site>/<level>/<kind>/<device>`. */
export function alertTopic(e: Pick<AlertEvent, "site" | "level" | "kind" | "device">): string {
  return `${MQTT_ALERT_PREFIX}/${e.site}/${e.level}/${e.kind}/${e.device}`;
}

/** Rule ids are subject-safe ids like site and device ids. */
export const ruleIdSchema = idSchema;
