import type { Envelope } from "./envelope.ts";

/**
 * Every subject, stream and topic name lives here so that producers and consumers cannot drift.
 * NATS subjects: `tlm.<site>.<gateway>.<device>`. MQTT topics: `lifeline/v1/tlm/<site>/<gateway>/<device>`.
 */
export const TELEMETRY_STREAM = "TLM";
export const TELEMETRY_SUBJECT_PREFIX = "tlm";
export const TELEMETRY_SUBJECTS = `${TELEMETRY_SUBJECT_PREFIX}.>`;

/** Payloads that could not be read are kept, with the reason, never dropped. */
export const QUARANTINE_STREAM = "QRN";
export const QUARANTINE_SUBJECT_PREFIX = "qrn";
export const QUARANTINE_SUBJECTS = `${QUARANTINE_SUBJECT_PREFIX}.>`;

/** The durable consumer that writes telemetry into ClickHouse. */
export const CLICKHOUSE_SINK_CONSUMER = "clickhouse-sink";
export const QUARANTINE_SINK_CONSUMER = "quarantine-sink";

/** NATS message headers set by the gateway. */
export const HEADER_QUARANTINE_CODE = "Lifeline-Quarantine-Code";
export const HEADER_QUARANTINE_REASON = "Lifeline-Quarantine-Reason";
export const HEADER_SOURCE = "Lifeline-Source";

export const MQTT_TELEMETRY_PREFIX = "lifeline/v1/tlm";
/** What a gateway subscribes to (MQTT 3.1.1 §4.7.1.2 multi-level wildcard). */
export const MQTT_TELEMETRY_FILTER = `${MQTT_TELEMETRY_PREFIX}/#`;

/** Site, gateway and device: where a reading comes from, as subjects and topics name it. */
export type Route = Pick<Envelope, "site" | "gateway" | "device">;

export function telemetrySubject(r: Route): string {
  return `${TELEMETRY_SUBJECT_PREFIX}.${r.site}.${r.gateway}.${r.device}`;
}

export function telemetryTopic(r: Route): string {
  return `${MQTT_TELEMETRY_PREFIX}/${r.site}/${r.gateway}/${r.device}`;
}

const TELEMETRY_TOPIC_START = `${MQTT_TELEMETRY_PREFIX}/`;

/**
 * Whether a topic — or a subscription's topic filter — is the telemetry prefix or under it, with
 * or without the three levels `parseTelemetryTopic` wants: what the gateway bridges to JetStream
 * and does not deliver on MQTT.
 */
export function isTelemetryTopic(topic: string): boolean {
  return topic.startsWith(TELEMETRY_TOPIC_START) || topic === MQTT_TELEMETRY_PREFIX;
}

/**
 * Splits a telemetry topic into its route (three non-empty levels after the prefix), or returns
 * undefined if it is not one. Found by `indexOf`, not `split`: the gateway calls it for every
 * MQTT message.
 */
export function parseTelemetryTopic(topic: string): Route | undefined {
  if (!topic.startsWith(TELEMETRY_TOPIC_START)) return undefined;
  const site = TELEMETRY_TOPIC_START.length;
  const gateway = topic.indexOf("/", site) + 1;
  const device = gateway === 0 ? 0 : topic.indexOf("/", gateway) + 1;
  if (gateway - 1 <= site || device - 1 <= gateway || device === topic.length) return undefined;
  if (topic.indexOf("/", device) !== -1) return undefined;
  return {
    site: topic.slice(site, gateway - 1),
    gateway: topic.slice(gateway, device - 1),
    device: topic.slice(device),
  };
}

/** Where a bad payload goes: `qrn.<source>` (source is e.g. `mqtt`, `tlm`). */
export function quarantineSubject(source: string): string {
  return `${QUARANTINE_SUBJECT_PREFIX}.${source}`;
}
