import {
  ALERT_CONDITION_PREFIX,
  ALERT_SUBJECT_PREFIX,
  type AlertCondition,
  type AlertEvent,
} from "@lifeline/contracts";
import { connect, type NatsConnection } from "@nats-io/transport-node";

/**
 * Watches a site's alert subjects on NATS (plain subscriptions: JetStream streams are subjects,
 * and every publish to them reaches a subscriber too) and notes when each condition and each
 * alert event went by, to split an alert's latency into its hops: reading → condition (gateway,
 * telemetry stream, rule engine), condition → event (alert service), event → webhook (dispatcher).
 * Only the site's alerts pass here: a few messages a second, not the telemetry.
 */
export class AlertStageTap {
  readonly #nc: NatsConnection;
  /** `device@at` of a condition → when it was first seen. */
  readonly conditions = new Map<string, number>();
  /** Event id → when it was first seen. */
  readonly events = new Map<string, number>();

  private constructor(nc: NatsConnection, site: string) {
    this.#nc = nc;
    nc.subscribe(`${ALERT_CONDITION_PREFIX}.${site}.>`, {
      callback: (_error, msg) => {
        const c = msg.json<AlertCondition>();
        const key = `${c.device}@${c.at}`;
        if (!this.conditions.has(key)) this.conditions.set(key, Date.now());
      },
    });
    nc.subscribe(`${ALERT_SUBJECT_PREFIX}.${site}.>`, {
      callback: (_error, msg) => {
        const e = msg.json<AlertEvent>();
        if (!this.events.has(e.id)) this.events.set(e.id, Date.now());
      },
    });
  }

  static async open(natsUrl: string, site: string): Promise<AlertStageTap> {
    const nc = await connect({ servers: natsUrl, name: "bench-alert-stage-tap" });
    const tap = new AlertStageTap(nc, site);
    await nc.flush();
    return tap;
  }

  async close(): Promise<void> {
    await this.#nc.drain();
  }
}
