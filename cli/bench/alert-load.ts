import { monitorEventLoopDelay } from "node:perf_hooks";
import { telemetryTopic } from "@lifeline/contracts";
import mqtt, { type MqttClient } from "mqtt";

export interface AlertLoadOptions {
  mqttUrl: string;
  site: string;
  /** MQTT connections; each is one smart meter (its own gateway id and sequence). */
  meters: number;
  /** Names this step's meters and probe devices, so that every step's alert keys are fresh. */
  prefix: string;
  /** The metric the rule watches; the load keeps it under `loadCeiling` (it counts 0, 1, … with seq). */
  metric: string;
  loadCeiling: number;
  /** What a probe reports to fire the rule, and then to resolve it. */
  fireValue: number;
  resolveValue: number;
}

export interface AlertRunOptions {
  /** Data points per second of steady load (3 per message); 0 publishes only the probes. */
  dataPointsPerSecond: number;
  /** Load before the probes start, not measured: a pipeline taken from idle to load settles first. */
  settleSeconds: number;
  /** Steady load with the probes, after the settling. */
  seconds: number;
  /** Probes started per second, spread evenly over the run. */
  probesPerSecond: number;
  /** How long a probe stays past the threshold before it reports the resolving value. */
  holdMs: number;
}

/**
 * One probe device: its firing and resolving readings' source times (= wall clock at publish), and
 * when their PUBACKs came (the gateway acknowledges once JetStream stored the message; 0: not yet).
 */
export interface ProbeRecord {
  device: string;
  firedTs: number;
  resolvedTs: number;
  firedAckAt: number;
  resolvedAckAt: number;
}

export interface AlertRunResult {
  messages: number;
  acked: number;
  dataPoints: number;
  /** From the first publish to the last, settling included. */
  seconds: number;
  probes: ProbeRecord[];
  /** This generator's event-loop delay after the settling, ms: PUBACK times are late by up to this. */
  loopDelay: { p99: number; max: number };
}

const READINGS_PER_MESSAGE = 3;
const TICK_MS = 10;

interface ProbeAction {
  dueMs: number;
  probe: number;
  fire: boolean;
}

/**
 * Smart meters over MQTT (3 readings per message, QoS 1, as bench:ingest's MeterFleet) whose
 * watched metric stays under a rule's threshold, plus probe devices that cross it and come back
 * at known times. A probe publishes through one of the meters' connections (its gateway), as a
 * second device behind that meter; each probe device fires once and resolves once, so that its
 * alert key sees exactly two transitions (the lifecycle calls a key that changes four times
 * within 10 minutes flapping and stops notifying it). Every reading's `ts` is `Date.now()` when
 * its publish is issued: the latency of an alert event is measured from there.
 */
export class AlertLoad {
  readonly #o: AlertLoadOptions;
  readonly #clients: MqttClient[] = [];
  readonly #seq: number[] = [];
  readonly #bootId = `b${Math.random().toString(36).slice(2, 10)}`;
  #sent = 0;
  #acked = 0;

  constructor(options: AlertLoadOptions) {
    this.#o = options;
  }

  #meter(i: number): string {
    return `${this.#o.prefix}m${String(i).padStart(4, "0")}`;
  }

  async connect(): Promise<void> {
    for (let i = 0; i < this.#o.meters; i++) {
      this.#clients.push(
        await mqtt.connectAsync(this.#o.mqttUrl, { clientId: this.#meter(i), clean: true, reconnectPeriod: 500 }),
      );
      this.#seq.push(0);
    }
  }

  /** One message of meter `i` about `device`, the watched metric at `value` (load: under the ceiling); returns its ts. */
  #publish(i: number, device: string, value?: number, onAck?: () => void): number {
    const client = this.#clients[i] as MqttClient;
    const gateway = this.#meter(i);
    const seq = this.#seq[i] as number;
    this.#seq[i] = seq + 1;
    const ts = Date.now();
    const { site, metric } = this.#o;
    const readings =
      `{"metric":"${metric}","ts":${ts},"value":${value ?? seq % this.#o.loadCeiling},"unit":"kW","quality":"good"},` +
      `{"metric":"energy","ts":${ts + 1},"value":${seq + 0.5},"unit":"kWh","quality":"good"},` +
      `{"metric":"voltage","ts":${ts + 2},"value":${220 + (seq % 10)},"unit":"V","quality":"good"}`;
    const payload = `{"v":1,"site":"${site}","gateway":"${gateway}","device":"${device}","bootId":"${this.#bootId}","seq":${seq},"readings":[${readings}]}`;
    this.#sent++;
    client.publish(telemetryTopic({ site, gateway, device }), payload, { qos: 1 }, (error) => {
      if (!error) this.#acked++;
      onAck?.();
    });
    return ts;
  }

  #schedule(run: AlertRunOptions): ProbeAction[] {
    const count = Math.max(1, Math.round(run.probesPerSecond * run.seconds));
    // Probes start half a second into the steady load and resolve half a second before it ends.
    const span = run.seconds * 1000 - run.holdMs - 1000;
    const actions: ProbeAction[] = [];
    for (let p = 0; p < count; p++) {
      const dueMs = run.settleSeconds * 1000 + 500 + (count === 1 ? 0 : (span * p) / (count - 1));
      actions.push({ dueMs, probe: p, fire: true }, { dueMs: dueMs + run.holdMs, probe: p, fire: false });
    }
    return actions.sort((a, b) => a.dueMs - b.dueMs);
  }

  /**
   * Open loop: the load in 10 ms ticks, the probes at their times; `onSteady` runs when the
   * settling is over. Resolves when every message was acknowledged (or after a minute).
   */
  async run(run: AlertRunOptions, onSteady?: () => void): Promise<AlertRunResult> {
    const messagesPerSecond = run.dataPointsPerSecond / READINGS_PER_MESSAGE;
    const endMs = (run.settleSeconds + run.seconds) * 1000;
    const actions = this.#schedule(run);
    const probes: ProbeRecord[] = [];
    const loop = monitorEventLoopDelay({ resolution: 5 });
    const start = performance.now();
    let due = 0;
    let action = 0;
    for (let steady = false; ; ) {
      const elapsedMs = performance.now() - start;
      if (elapsedMs >= endMs && action >= actions.length) break;
      if (!steady && elapsedMs >= run.settleSeconds * 1000) {
        steady = true;
        loop.enable();
        onSteady?.();
      }
      const target = Math.floor(Math.min(elapsedMs, endMs) * (messagesPerSecond / 1000));
      for (; due < target; due++) this.#publish(due % this.#clients.length, this.#meter(due % this.#clients.length));
      for (; action < actions.length && (actions[action] as ProbeAction).dueMs <= elapsedMs; action++) {
        this.#probe(actions[action] as ProbeAction, probes);
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    const seconds = (performance.now() - start) / 1000;
    loop.disable();
    const deadline = Date.now() + 60_000;
    while (this.#acked < this.#sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return {
      messages: this.#sent,
      acked: this.#acked,
      dataPoints: this.#sent * READINGS_PER_MESSAGE,
      seconds,
      probes,
      loopDelay: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    };
  }

  /** A probe's firing or resolving message, through one of the meters, with its times noted. */
  #probe({ probe, fire }: ProbeAction, probes: ProbeRecord[]): void {
    const device = `${this.#o.prefix}p${String(probe).padStart(4, "0")}`;
    const meter = (probe * 7) % this.#clients.length;
    if (fire) {
      const record: ProbeRecord = { device, firedTs: 0, resolvedTs: 0, firedAckAt: 0, resolvedAckAt: 0 };
      probes[probe] = record;
      record.firedTs = this.#publish(meter, device, this.#o.fireValue, () => {
        record.firedAckAt = Date.now();
      });
      return;
    }
    const record = probes[probe] as ProbeRecord;
    record.resolvedTs = this.#publish(meter, device, this.#o.resolveValue, () => {
      record.resolvedAckAt = Date.now();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.endAsync(true)));
  }
}
