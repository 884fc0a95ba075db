import { type Logger, telemetryTopic } from "@lifeline/contracts";
import mqtt, { type MqttClient } from "mqtt";
import { type EnvelopeRoute, emptyUplinkStats, type Uplink, type UplinkStats } from "./uplink.ts";

export interface MqttUplinkOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  log: Logger;
}

/**
 * Publishes envelopes with QoS 1 (MQTT 3.1.1 §4.3.2) on a persistent session (clean = false): a
 * publish resolves on its PUBACK, which the Lifeline gateway sends only once JetStream stored the
 * envelope. mqtt.js keeps unacknowledged publishes in its outgoing store and sends them again
 * after a reconnect (§4.4), so a publish in flight across an outage is not failed but completes late.
 * An envelope that may have been sent before goes with the DUP flag (§3.3.1.1): the gateway packs
 * envelopes without a per-envelope message id, and the flag tells the stream processor to look
 * it up before storing it.
 */
export class MqttUplink implements Uplink {
  readonly kind = "mqtt";
  readonly #client: MqttClient;
  readonly #stats: UplinkStats = emptyUplinkStats();

  constructor(options: MqttUplinkOptions) {
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

  isConnected(): boolean {
    return this.#client.connected;
  }

  onConnect(listener: () => void): void {
    this.#client.on("connect", listener);
  }

  stats(): UplinkStats {
    return { ...this.#stats };
  }

  publish(route: EnvelopeRoute, payload: Uint8Array, resend = false): Promise<void> {
    this.#stats.sent++;
    this.#stats.inflight++;
    return new Promise((resolve, reject) => {
      this.#client.publish(telemetryTopic(route), Buffer.from(payload), { qos: 1, dup: resend }, (error) => {
        this.#stats.inflight--;
        if (error) {
          this.#stats.failed++;
          reject(error);
        } else {
          this.#stats.acked++;
          resolve();
        }
      });
    });
  }

  async close(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#stats.inflight > 0 && this.#client.connected && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.#client.endAsync(this.#stats.inflight > 0);
  }
}
