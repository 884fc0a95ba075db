import {
  gatewayOfStatusTopic,
  type Logger,
  MQTT_PROFILE_STATUS_FILTER,
  PROFILE_BUCKET,
  PROFILE_HISTORY,
  PROFILE_STATUS_BUCKET,
  type ProfileDelivery,
  profileTopic,
} from "@lifeline/contracts";
import { type KV, Kvm, KvWatchInclude } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Aedes, PublishPacket } from "aedes";

export interface ProfileBridge {
  /** Deliveries published to agents so far. */
  delivered(): number;
  close(): Promise<void>;
}

/** Opens (creating if needed) the two profile buckets. */
export async function openProfileBuckets(nats: NatsConnection): Promise<{ profiles: KV; statuses: KV }> {
  const kvm = new Kvm(nats);
  return {
    profiles: await kvm.create(PROFILE_BUCKET, { history: PROFILE_HISTORY }),
    statuses: await kvm.create(PROFILE_STATUS_BUCKET, { history: PROFILE_HISTORY }),
  };
}

/**
 * Carries profiles from the KV bucket to agents and their statuses back. Each profile is
 * published as a retained QoS 1 message (MQTT 3.1.1 §3.3.1.3), so an agent that connects later,
 * or reconnects, gets the latest version at once; each agent status is written to PROFILE_STATUS.
 */
export async function startProfileBridge(options: {
  nats: NatsConnection;
  broker: Aedes;
  log: Logger;
}): Promise<ProfileBridge> {
  const { broker, log } = options;
  const { profiles, statuses } = await openProfileBuckets(options.nats);
  let delivered = 0;
  const watch = await profiles.watch({ include: KvWatchInclude.LastValue });
  const pump = (async () => {
    for await (const entry of watch) {
      if (entry.operation !== "PUT") continue;
      let signed: unknown;
      try {
        signed = entry.json();
      } catch {
        log.warn("profile in the bucket is not JSON; not delivered", { gateway: entry.key, version: entry.revision });
        continue;
      }
      const delivery: ProfileDelivery = { version: entry.revision, signed };
      const packet = {
        cmd: "publish",
        topic: profileTopic(entry.key),
        payload: Buffer.from(JSON.stringify(delivery)),
        qos: 1,
        retain: true,
        dup: false,
      } as PublishPacket;
      await new Promise<void>((resolve) => broker.publish(packet, () => resolve()));
      delivered++;
      log.info("profile delivered to the agent", { gateway: entry.key, version: entry.revision });
    }
  })();

  const onStatus = (packet: PublishPacket, done: () => void) => {
    const gateway = gatewayOfStatusTopic(packet.topic);
    if (gateway === undefined) return done();
    statuses.put(gateway, packet.payload as Uint8Array).then(
      () => done(),
      (error: unknown) => {
        log.warn("agent status not stored", { gateway, error: (error as Error).message });
        done();
      },
    );
  };
  await new Promise<void>((resolve) => broker.subscribe(MQTT_PROFILE_STATUS_FILTER, onStatus, resolve));

  return {
    delivered: () => delivered,
    async close() {
      watch.stop();
      await pump.catch(() => undefined);
      await new Promise<void>((resolve) => broker.unsubscribe(MQTT_PROFILE_STATUS_FILTER, onStatus, resolve));
    },
  };
}
