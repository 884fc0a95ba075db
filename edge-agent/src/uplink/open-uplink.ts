import type { Logger } from "@lifeline/contracts";
import type { AgentConfig } from "../agent-config.ts";
import { MqttUplink } from "./mqtt-uplink.ts";
import { NatsUplink } from "./nats-uplink.ts";
import { resolveSecretRef } from "./secret-ref.ts";
import type { Uplink } from "./uplink.ts";

/** Opens the uplink the configuration names, resolving its secret reference first (throws if it cannot). */
export function openUplink(config: AgentConfig, env: Record<string, string | undefined>, log: Logger): Uplink {
  const { mqtt, nats } = config.uplink;
  if (mqtt !== undefined) {
    const password =
      mqtt.passwordRef === undefined ? undefined : resolveSecretRef(mqtt.passwordRef, env, "uplink.mqtt.passwordRef");
    return new MqttUplink({
      url: mqtt.url,
      clientId: mqtt.clientId ?? `lifeline-agent-${config.site}-${config.gateway}`,
      username: mqtt.username,
      password,
      log,
    });
  }
  if (nats !== undefined) {
    const credentials =
      nats.credentialsRef === undefined
        ? undefined
        : resolveSecretRef(nats.credentialsRef, env, "uplink.nats.credentialsRef");
    return new NatsUplink({ url: nats.url, credentials, log });
  }
  throw new Error("uplink: expected mqtt or nats (the schema guarantees one)");
}
