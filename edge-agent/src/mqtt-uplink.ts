import { type Envelope, encodeEnvelope, type Logger, telemetryTopic } from "@lifeline/contracts";
import mqtt, { type MqttClient } from "mqtt";

export interface MqttUplinkOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  maxInflight: number;
  log: Logger;
}

export interface UplinkStats {
  /** Envelopes handed to the MQTT client. */
  sent: number;
  /** Envelopes the gateway acknowledged (PUBACK: JetStream has them). */
  acked: number;
  /** Envelopes refused because `maxInflight` were already waiting. */
  refused: number;
  inflight: number;
}

/**
 * Publishes envelopes with QoS 1 (MQTT 3.1.1 §4.3.2) on a persistent session (clean = false), so
 * that unacknowledged envelopes are sent again after a reconnect.
 */
export class MqttUplink {
  readonly #client: MqttClient;
  readonly #o: MqttUplinkOptions;
  readonly #stats: UplinkStats = { sent: 0, acked: 0, refused: 0, inflight: 0 };

  constructor(options: MqttUplinkOptions) {
    this.#o = options;
    this.#client = mqtt.connect(options.url, {
      clientId: options.clientId,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
    });
    this.#client.on("error", (error) => options.log.warn("mqtt uplink error", { error: error.message }));
  }

  stats(): UplinkStats {
    return { ...this.#stats };
  }

  /** Returns false if the envelope was refused because too many are waiting for a PUBACK. */
  publish(envelope: Envelope): boolean {
    if (this.#stats.inflight >= this.#o.maxInflight) {
      this.#stats.refused++;
      return false;
    }
    this.#stats.sent++;
    this.#stats.inflight++;
    this.#client.publish(telemetryTopic(envelope), Buffer.from(encodeEnvelope(envelope)), { qos: 1 }, (error) => {
      this.#stats.inflight--;
      if (error) this.#o.log.warn("envelope not acknowledged", { seq: envelope.seq, error: error.message });
      else this.#stats.acked++;
    });
    return true;
  }

  /** Waits (up to `timeoutMs`) for every envelope in flight to be acknowledged, then disconnects. */
  async close(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#stats.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.#client.endAsync(this.#stats.inflight > 0);
  }
}
