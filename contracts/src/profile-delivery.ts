import { idSchema } from "./identifiers.ts";

/**
 * How gateway profiles travel. The operator's tools put a signed profile in the NATS KV bucket
 * PROFILES under the gateway's id (the KV revision is the profile's version); each gateway process
 * bridges that key to the agent as a retained MQTT message, and the agent's status back into the
 * bucket PROFILE_STATUS. Agents need nothing but their MQTT uplink.
 */
export const PROFILE_BUCKET = "PROFILES";
/**
 * Versions kept per gateway: what `lifeline profile rollback` can go back to. Whoever creates the
 * bucket first (gateway, rule engine) creates it with this history.
 */
export const PROFILE_HISTORY = 16;
export const PROFILE_STATUS_BUCKET = "PROFILE_STATUS";
export const MQTT_PROFILE_PREFIX = "lifeline/v1/profile";
export const MQTT_PROFILE_STATUS_PREFIX = "lifeline/v1/profile-status";
/** What a gateway subscribes to for agents' statuses (MQTT 3.1.1 §4.7.1.3 single-level wildcard). */
export const MQTT_PROFILE_STATUS_FILTER = `${MQTT_PROFILE_STATUS_PREFIX}/+`;

export function profileTopic(gateway: string): string {
  return `${MQTT_PROFILE_PREFIX}/${gateway}`;
}

export function profileStatusTopic(gateway: string): string {
  return `${MQTT_PROFILE_STATUS_PREFIX}/${gateway}`;
}

/** The gateway id a status topic is about, if it is one and the id is valid. */
export function gatewayOfStatusTopic(topic: string): string | undefined {
  const prefix = `${MQTT_PROFILE_STATUS_PREFIX}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const id = topic.slice(prefix.length);
  return idSchema.safeParse(id).success ? id : undefined;
}

/** A profile on its way to a gateway: the signed document and the version (KV revision) it is. */
export interface ProfileDelivery {
  version: number;
  /** A SignedProfile (see @lifeline/firmware-profiles). */
  signed: unknown;
}

export type ProfileState = "applied" | "rejected" | "rolled-back";

/** What an agent says after a delivery, and keeps saying (retained) until the next one. */
export interface ProfileStatus {
  gateway: string;
  /** The version this status is about. */
  version: number;
  state: ProfileState;
  /** The version the agent runs now (differs from `version` after a rejection or a rollback). */
  running: number | undefined;
  /** Versions this agent applied, oldest first (the last 16): where a rollback can go. */
  applied: number[];
  code?: string;
  reason?: string;
  at: number;
  health: Array<{
    device: string;
    metric: string;
    lastValue: number | undefined;
    lastTs: number | undefined;
    lastSuccessAt: number | undefined;
    lastError: { code: string; message: string; at: number } | undefined;
  }>;
}
