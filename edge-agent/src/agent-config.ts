import { type DeviceConfig, deviceConfigSchema, deviceIdsOf, idSchema } from "@lifeline/contracts";
import { ruleSchema } from "@lifeline/firmware-profiles";
import { z } from "zod";

/** One entry per adapter type; the discriminator is `type` (the schema lives in contracts). */
export const deviceSchema = deviceConfigSchema;

export const mqttUplinkSchema = z.strictObject({
  url: z.string().regex(/^mqtts?:\/\/[^\s]+$/, "expected an mqtt:// or mqtts:// URL"),
  clientId: z.string().min(1).max(128).optional(),
  username: z.string().optional(),
  /** Secrets are never inline: the name of the environment variable that holds the password. */
  passwordEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .optional(),
  /** Envelopes waiting for a PUBACK beyond this are refused and counted (the journal comes with issue 5). */
  maxInflight: z.int().min(1).max(1_000_000).default(10_000),
});

export const agentConfigSchema = z
  .strictObject({
    site: idSchema,
    gateway: idSchema,
    uplink: z.strictObject({ mqtt: mqttUplinkSchema }),
    devices: z.array(deviceSchema).min(1),
    /** Edge rules of the profile (deadband, min-interval, range), per device and metric. */
    rules: z.array(ruleSchema).default([]),
  })
  .superRefine((config, ctx) => {
    // Adapter ids and the device ids their readings carry (a receiver names one per station) must all differ.
    const ids = new Set<string>();
    config.devices.forEach((d, i) => {
      for (const [id, path] of deviceIdsOf(d)) {
        if (ids.has(id))
          ctx.addIssue({ code: "custom", path: ["devices", i, ...path], message: `duplicate device id ${id}` });
        ids.add(id);
      }
    });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type { DeviceConfig };
