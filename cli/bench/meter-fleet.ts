import { type Envelope, encodeBinaryEnvelope, telemetryTopic } from "@lifeline/contracts";
import { MqttPublisher } from "./mqtt-publisher.ts";

export interface FleetOptions {
  mqttUrl: string;
  site: string;
  /** MQTT connections; each is one smart meter (its own gateway id, boot and sequence). */
  meters: number;
  /** Readings per message (ThingsBoard's scenario: 3). */
  readingsPerMessage: number;
  /** Binary envelopes, as the Lifeline agent sends them (meters send JSON). */
  binary?: boolean;
}

export interface FleetResult {
  sent: number;
  acked: number;
  readings: number;
  seconds: number;
}

const METRICS = ["energy", "power", "voltage", "current", "frequency"];
const UNITS = ["kWh", "kW", "V", "A", "Hz"];

/**
 * Smart meters over MQTT: each connection publishes envelopes with QoS 1 and counts PUBACKs.
 * Payloads are built from a template and sent by `MqttPublisher`, not mqtt.js: the generator shares
 * the machine with what it measures and must cost little next to it.
 */
export class MeterFleet {
  readonly #o: FleetOptions;
  readonly #clients: MqttPublisher[] = [];
  readonly #seq: number[] = [];
  /** A fresh boot id per fleet, as a device restarting gets: fleets reusing meter ids stay apart. */
  readonly #bootId = `b${Math.random().toString(36).slice(2, 10)}`;
  #sent = 0;
  #acked = 0;

  constructor(options: FleetOptions) {
    this.#o = options;
  }

  async connect(): Promise<void> {
    for (let i = 0; i < this.#o.meters; i++) {
      const id = `m${String(i).padStart(5, "0")}`;
      this.#clients.push(await MqttPublisher.connect(this.#o.mqttUrl, `${this.#o.site}-${id}`));
      this.#seq.push(0);
    }
  }

  /** One message from meter `i`; `onAck` runs when its PUBACK arrives. */
  #publish(i: number, ts: number, readings: number, onAck?: () => void): void {
    const client = this.#clients[i] as MqttPublisher;
    const meter = `m${String(i).padStart(5, "0")}`;
    const seq = this.#seq[i] as number;
    this.#seq[i] = seq + 1;
    const route = { site: this.#o.site, gateway: meter, device: meter };
    let payload: string | Uint8Array;
    if (this.#o.binary) {
      // An agent encodes its envelopes itself: what that costs here is the agent's, not the pipeline's.
      const list: Envelope["readings"] = [];
      for (let r = 0; r < readings; r++) {
        const m = r % METRICS.length;
        const metric = `${METRICS[m]}${r >= METRICS.length ? r : ""}`;
        list.push({ metric, ts: ts + r, value: (seq % 1000) + r * 0.5, unit: UNITS[m] as string, quality: "good" });
      }
      payload = encodeBinaryEnvelope({ v: 1, ...route, bootId: this.#bootId, seq, readings: list });
    } else {
      let body = "";
      for (let r = 0; r < readings; r++) {
        const m = r % METRICS.length;
        body += `${r ? "," : ""}{"metric":"${METRICS[m]}${r >= METRICS.length ? r : ""}","ts":${ts + r},"value":${(seq % 1000) + r * 0.5},"unit":"${UNITS[m]}","quality":"good"}`;
      }
      payload = `{"v":1,"site":"${route.site}","gateway":"${meter}","device":"${meter}","bootId":"${this.#bootId}","seq":${seq},"readings":[${body}]}`;
    }
    this.#sent++;
    client.publish(telemetryTopic(route), payload, (error) => {
      if (!error) this.#acked++;
      onAck?.();
    });
  }

  /** Open loop: `messagesPerSecond` spread over the meters for `seconds`, in 10 ms ticks. */
  async runPaced(messagesPerSecond: number, seconds: number): Promise<FleetResult> {
    const start = performance.now();
    let due = 0;
    let next = 0;
    while (performance.now() - start < seconds * 1000) {
      const elapsed = (performance.now() - start) / 1000;
      const target = Math.floor(elapsed * messagesPerSecond);
      const now = Date.now();
      for (; due < target; due++) {
        this.#publish(next, now, this.#o.readingsPerMessage);
        next = (next + 1) % this.#clients.length;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.#settle(start);
  }

  /** Closed loop: each meter keeps `window` messages unacknowledged, as an agent's forwarder does. */
  async runClosed(window: number, seconds: number): Promise<FleetResult> {
    const start = performance.now();
    const inflight = new Array<number>(this.#clients.length).fill(0);
    let stopping = false;
    await new Promise<void>((resolve) => {
      const pump = (i: number) => {
        while (!stopping && (inflight[i] as number) < window) {
          inflight[i] = (inflight[i] as number) + 1;
          this.#publish(i, Date.now(), this.#o.readingsPerMessage, () => {
            inflight[i] = (inflight[i] as number) - 1;
            pump(i);
          });
        }
      };
      for (let i = 0; i < this.#clients.length; i++) pump(i);
      setTimeout(() => {
        stopping = true;
        resolve();
      }, seconds * 1000);
    });
    return this.#settle(start);
  }

  async #settle(start: number): Promise<FleetResult> {
    const deadline = Date.now() + 60_000;
    while (this.#acked < this.#sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return {
      sent: this.#sent,
      acked: this.#acked,
      readings: this.#sent * this.#o.readingsPerMessage,
      seconds: (performance.now() - start) / 1000,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.close()));
  }
}
