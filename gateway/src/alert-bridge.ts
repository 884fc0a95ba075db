import { ALERT_SUBJECTS, type AlertEvent, alertTopic, type Logger, MQTT_ALERT_PREFIX } from "@lifeline/contracts";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Aedes, PublishPacket } from "aedes";

export interface AlertBridge {
  /** Alert events passed to MQTT subscribers. */
  forwarded(): number;
  close(): Promise<void>;
}

/** True for topics only the gateway itself may publish on (clients publishing there are refused). */
export function isAlertTopic(topic: string): boolean {
  return topic === MQTT_ALERT_PREFIX || topic.startsWith(`${MQTT_ALERT_PREFIX}/`);
}

/**
 * Alert events for legacy systems that speak only MQTT: every event published on `alert.>` (the
 * ALERTS outbox) goes out on `lifeline/v1/alert/<site>/<level>/<kind>/<device>` at QoS 1, not
 * retained (an alert is an event, not a state). This is a live feed: a legacy system that was
 * disconnected catches up through the API or a webhook subscription, which are durable.
 */
export function startAlertBridge(options: { nats: NatsConnection; broker: Aedes; log: Logger }): AlertBridge {
  let forwarded = 0;
  const sub = options.nats.subscribe(ALERT_SUBJECTS);
  const done = (async () => {
    for await (const m of sub) {
      let event: AlertEvent;
      try {
        event = m.json<AlertEvent>();
      } catch {
        options.log.warn("alert event not forwarded to MQTT: not JSON", { subject: m.subject });
        continue;
      }
      const packet = {
        cmd: "publish",
        topic: alertTopic(event),
        payload: Buffer.from(m.data),
        qos: 1,
        retain: false,
        dup: false,
      } as PublishPacket;
      await new Promise<void>((resolve) => options.broker.publish(packet, () => resolve()));
      forwarded++;
    }
  })();
  return {
    forwarded: () => forwarded,
    async close() {
      sub.unsubscribe();
      await done;
    },
  };
}
