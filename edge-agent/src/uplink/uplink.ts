import type { Envelope } from "@lifeline/contracts";

/** What an uplink needs to route an envelope and name it for deduplication. */
export type EnvelopeRoute = Pick<Envelope, "site" | "gateway" | "device" | "bootId" | "seq">;

export interface UplinkStats {
  /** Envelopes handed to the transport. */
  sent: number;
  /** Envelopes the next hop acknowledged as durable (an MQTT PUBACK, a JetStream ack). */
  acked: number;
  /** Of the acknowledged, those the next hop recognised as a replay of one it already held. */
  duplicates: number;
  /** Publishes that failed or timed out; the envelope stays in the journal and is sent again. */
  failed: number;
  inflight: number;
}

/**
 * Where the agent sends its envelopes. `publish` resolves only when the next hop made the envelope
 * durable and rejects otherwise; the caller (the forwarder) keeps the envelope until it resolves.
 */
export interface Uplink {
  readonly kind: "mqtt" | "nats";
  /** `resend`: this envelope may have been sent before (the processor then looks it up before storing it). */
  publish(route: EnvelopeRoute, payload: Uint8Array, resend?: boolean): Promise<void>;
  isConnected(): boolean;
  /** Calls `listener` each time the transport (re)connects. */
  onConnect(listener: () => void): void;
  stats(): UplinkStats;
  /** Waits up to `timeoutMs` for publishes in flight, then disconnects. */
  close(timeoutMs?: number): Promise<void>;
}

export function emptyUplinkStats(): UplinkStats {
  return { sent: 0, acked: 0, duplicates: 0, failed: 0, inflight: 0 };
}
