import { isTelemetryTopic } from "@lifeline/contracts";
import type { Aedes, Client, PublishPacket } from "aedes";

type Done = (error?: Error | null) => void;
/** aedes's own publish: its handlers call it with the publishing client (lib/handlers/publish.js). */
type BrokerPublish = (packet: PublishPacket, client: Client | null | Done, done?: Done) => void;

/**
 * Telemetry a client publishes is bridged to JetStream by the publish authorisation, and the
 * PUBACK goes back once JetStream stored it; after that aedes would deliver the message to MQTT
 * subscribers as any broker does — for QoS 1 a packet copy, a lookup of offline sessions' matching
 * subscriptions (a promise and a trie walk) and a second trie walk to match live ones, per message,
 * ~10 % of the gateway's main thread with nobody subscribed (CPU profile, meters at 110,000
 * readings/s). Nobody is meant to: live telemetry is on NATS (`tlm.>`) and in the API, where
 * every copy is the durable one. So a client's publish on a telemetry topic ends at the bridge;
 * what the gateway itself publishes (alerts, profiles) and clients' other topics are delivered as
 * before. A subscription whose filter can only match telemetry is refused at its SUBACK (0x80, in
 * `startGateway`).
 */
export function bridgeTelemetryOnly(broker: Aedes): void {
  const internal = broker as unknown as { publish: BrokerPublish };
  const deliver = internal.publish.bind(broker);
  internal.publish = (packet, client, done) => {
    if (client !== null && typeof client === "object" && isTelemetryTopic(packet.topic)) done?.(null);
    else deliver(packet, client, done);
  };
}
