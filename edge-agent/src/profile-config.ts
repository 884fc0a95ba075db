import { LifelineError } from "@lifeline/contracts";
import { type ResolvedProfile, verifySignedProfile } from "@lifeline/firmware-profiles";
import type { AgentConfigInput } from "./agent-config.ts";

/**
 * Turns a resolved gateway profile into the agent's configuration. Secrets stay references: an
 * `env:NAME` password becomes the name of the variable the agent reads. What this agent cannot do
 * yet is refused with a reason rather than ignored.
 */
export function agentConfigFromProfile(profile: ResolvedProfile): AgentConfigInput {
  const uplink = profile.uplink;
  if (uplink.mqtt === undefined) {
    throw new LifelineError(
      "PROFILE_UPLINK_UNSUPPORTED",
      "uplink: this agent publishes over MQTT; a NATS uplink is not supported yet",
    );
  }
  const ref = uplink.mqtt.passwordRef;
  if (ref !== undefined && !ref.startsWith("env:")) {
    throw new LifelineError(
      "PROFILE_UPLINK_UNSUPPORTED",
      `uplink.mqtt.passwordRef: this agent reads env:NAME references only, found ${ref.split(":")[0]}:`,
    );
  }
  return {
    site: profile.site.id,
    gateway: profile.gateway.id,
    uplink: {
      mqtt: {
        url: uplink.mqtt.url,
        ...(uplink.mqtt.clientId === undefined ? {} : { clientId: uplink.mqtt.clientId }),
        ...(uplink.mqtt.username === undefined ? {} : { username: uplink.mqtt.username }),
        ...(ref === undefined ? {} : { passwordEnv: ref.slice("env:".length) }),
      },
    },
    devices: profile.devices,
    rules: profile.rules,
  };
}

/**
 * What a gateway accepts: a profile signed by one of its trusted keys (key id → public key PEM),
 * meant for this gateway. Throws a LifelineError whose code and message become the `rejected` status.
 */
export function acceptSignedProfile(gateway: string, trustedKeys: ReadonlyMap<string, string>) {
  return (signed: unknown): AgentConfigInput => {
    const verified = verifySignedProfile(signed, trustedKeys);
    if (!verified.ok) throw verified.error;
    if (verified.profile.gateway.id !== gateway) {
      throw new LifelineError(
        "PROFILE_WRONG_GATEWAY",
        `the profile is for gateway ${verified.profile.gateway.id}, this is ${gateway}`,
      );
    }
    return agentConfigFromProfile(verified.profile);
  };
}
