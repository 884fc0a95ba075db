import { type DeviceConfig, deviceConfigSchema, deviceIdsOf, idSchema } from "@lifeline/contracts";
import { journalSchema, ruleSchema, uplinkSchema } from "@lifeline/firmware-profiles";
import { z } from "zod";

/** One entry per adapter type; the discriminator is `type` (the schema lives in contracts). */
export const deviceSchema = deviceConfigSchema;

/**
 * The agent's configuration is the gateway profile's runtime part: the same uplink (secrets by
 * reference, resolved on the gateway), devices, edge rules and journal.
 */
export const agentConfigSchema = z
  .strictObject({
    site: idSchema,
    gateway: idSchema,
    uplink: uplinkSchema,
    devices: z.array(deviceSchema).min(1),
    /** Edge rules of the profile (deadband, min-interval, range), per device and metric. */
    rules: z.array(ruleSchema).default([]),
    journal: journalSchema,
  })
  .superRefine((config, ctx) => {
    // Adapter ids and the device ids their readings carry (a receiver names one per station) must all
    // differ, and differ from the gateway's id: the agent reports on itself under that name.
    const ids = new Set<string>([config.gateway]);
    config.devices.forEach((d, i) => {
      for (const [id, path] of deviceIdsOf(d)) {
        if (ids.has(id)) {
          const what = id === config.gateway ? `device id ${id} is the gateway's id` : `duplicate device id ${id}`;
          ctx.addIssue({ code: "custom", path: ["devices", i, ...path], message: what });
        }
        ids.add(id);
      }
    });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type { DeviceConfig };
