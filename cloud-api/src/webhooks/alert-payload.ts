import { type AlertEvent, type AlertState, LEVEL_COLOURS } from "@lifeline/contracts";
import type { WebhookFormat } from "./webhook-subscriber.ts";

export const LIFELINE_PAYLOAD_VERSION = 1;

/**
 * Lifeline's own body: the alert event as stored, unchanged, under a version of this envelope.
 * A receiver orders the events of an alert key by `event.seq` and deduplicates by `event.id`
 * (also sent as `Idempotency-Key`).
 */
export interface LifelinePayload {
  version: typeof LIFELINE_PAYLOAD_VERSION;
  event: AlertEvent;
}

export function lifelinePayload(event: AlertEvent): LifelinePayload {
  return { version: LIFELINE_PAYLOAD_VERSION, event };
}

/**
 * The Prometheus Alertmanager webhook body, version "4" (Alertmanager docs/configuration.md,
 * `<webhook_config>`: "The Alertmanager will send HTTP POST requests in the following JSON format";
 * notify/webhook/webhook.go `Message` = template.Data + version, groupKey, truncatedAlerts). Keys
 * are in the order Go's encoder writes them: struct fields as declared, map keys sorted.
 */
export interface AlertmanagerMessage {
  receiver: string;
  status: AlertmanagerStatus;
  alerts: AlertmanagerAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
}

export interface AlertmanagerAlert {
  status: AlertmanagerStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export type AlertmanagerStatus = "firing" | "resolved";

/** Alertmanager's zero time, which it sends as `endsAt` of a firing alert. */
export const ALERTMANAGER_ZERO_TIME = "0001-01-01T00:00:00Z";

/**
 * By the alert's state after the transition: acknowledging does not end an alert in Alertmanager's
 * model, only resolving or closing does; a re-notification repeats the state it was sent in (a
 * flapping alert that settled resolved is announced as resolved).
 */
export function alertmanagerStatus(state: AlertState): AlertmanagerStatus {
  return state === "resolved" || state === "closed" ? "resolved" : "firing";
}

export interface PayloadOptions {
  /** The subscriber id: Alertmanager's `receiver`. */
  receiver: string;
  /** Where Lifeline's API is reached from the receiver, e.g. `https://lifeline.example.org` (default none). */
  externalUrl?: string | undefined;
}

/**
 * One event as one alert in a group of its own: the group is the alert key (rule, site, device), so
 * `groupLabels` are alertname, device and site and `commonLabels`/`commonAnnotations` are the
 * alert's. `fingerprint` is Alertmanager's label fingerprint over the labels that identify the alert
 * (all but `severity` and `level_colour`): it stays the same when the alert escalates, so a receiver
 * that keys on it sees one alert, not one per level.
 */
export function alertmanagerPayload(e: AlertEvent, options: PayloadOptions): AlertmanagerMessage {
  const status = alertmanagerStatus(e.state);
  const identity = sortedRecord({
    alertname: e.rule,
    site: e.site,
    device: e.device,
    kind: e.kind,
    ...(e.metric === undefined ? {} : { metric: e.metric }),
  });
  const labels = sortedRecord({ ...identity, severity: e.level, level_colour: LEVEL_COLOURS[e.level] });
  const annotations = sortedRecord({ summary: e.summary, description: describe(e) });
  const groupLabels = sortedRecord({ alertname: e.rule, site: e.site, device: e.device });
  const base = (options.externalUrl ?? "").replace(/\/+$/, "");
  return {
    receiver: options.receiver,
    status,
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt: rfc3339(e.firedAt),
        endsAt: status === "resolved" ? rfc3339(e.resolvedAt ?? e.at) : ALERTMANAGER_ZERO_TIME,
        generatorURL: base === "" ? "" : `${base}/v1/alerts/${encodeURIComponent(e.alertId)}`,
        fingerprint: labelsFingerprint(identity),
      },
    ],
    groupLabels,
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: base,
    version: "4",
    groupKey: `{}:${labelSetString(groupLabels)}`,
    truncatedAlerts: 0,
  };
}

export function renderPayload(
  format: WebhookFormat,
  event: AlertEvent,
  options: PayloadOptions,
): LifelinePayload | AlertmanagerMessage {
  return format === "alertmanager" ? alertmanagerPayload(event, options) : lifelinePayload(event);
}

/** What happened, in words, with the facts a person on call needs first. */
function describe(e: AlertEvent): string {
  const parts = [
    `${e.transition} at level ${e.level} (${LEVEL_COLOURS[e.level]})`,
    `rule ${e.rule} (${e.kind}) on ${e.site}/${e.device}`,
  ];
  if (e.metric !== undefined) parts.push(`${e.metric}${e.value === undefined ? "" : ` = ${e.value}`}`);
  else if (e.value !== undefined) parts.push(`value ${e.value}`);
  if (e.evidence.threshold !== undefined) parts.push(`threshold ${e.evidence.threshold}`);
  if (e.by !== undefined) parts.push(`by ${e.by}${e.note ? `: ${e.note}` : ""}`);
  return parts.join("; ");
}

/** RFC 3339 as Go's time.Time marshals it (RFC3339Nano: trailing zeros of the fraction dropped). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : "Z"));
}

const FNV_OFFSET_64 = 14695981039346656037n;
const FNV_PRIME_64 = 1099511628211n;
const MASK_64 = (1n << 64n) - 1n;
const SEPARATOR_BYTE = 255;

/**
 * prometheus/common model.LabelSet.Fingerprint (signature.go `labelSetToFingerprint`): FNV-1a
 * 64 over the label names in order, each name and value followed by the byte 255, as `%016x`.
 */
export function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  let hash = FNV_OFFSET_64;
  const add = (byte: number) => {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME_64) & MASK_64;
  };
  const encoder = new TextEncoder();
  for (const name of Object.keys(labels).sort()) {
    for (const byte of encoder.encode(name)) add(byte);
    add(SEPARATOR_BYTE);
    for (const byte of encoder.encode(labels[name])) add(byte);
    add(SEPARATOR_BYTE);
  }
  return hash.toString(16).padStart(16, "0");
}

/** model.LabelSet.String(): `{a="x", b="y"}`, names sorted, values quoted. */
function labelSetString(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`)
    .join(", ")}}`;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
