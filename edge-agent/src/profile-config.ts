import { LifelineError } from "@lifeline/contracts";
import { type ResolvedProfile, verifySignedProfile } from "@lifeline/firmware-profiles";
import type { AgentConfigInput } from "./agent-config.ts";

/**
 * Turns a resolved gateway profile into the agent's configuration. Secrets stay references
 * (`env:NAME`, `file:/path`); the agent resolves them on the gateway when it opens the uplink.
 */
export function agentConfigFromProfile(profile: ResolvedProfile): AgentConfigInput {
  return {
    site: profile.site.id,
    gateway: profile.gateway.id,
    uplink: profile.uplink,
    devices: profile.devices,
    rules: profile.rules,
    journal: profile.journal,
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
