import { idSchema } from "@lifeline/contracts";
import { z } from "zod";
import { hj212ReceiverSchema } from "./adapters/hj212/config.ts";
import { modbusDeviceSchema } from "./adapters/modbus/config.ts";
import { opcuaDeviceSchema } from "./adapters/opcua/config.ts";
import { sl651ReceiverSchema } from "./adapters/sl651/config.ts";

/** One entry per adapter type; the discriminator is `type`. */
export const deviceSchema = z.discriminatedUnion("type", [
  modbusDeviceSchema,
  sl651ReceiverSchema,
  hj212ReceiverSchema,
  opcuaDeviceSchema,
]);

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
  })
  .superRefine((config, ctx) => {
    // Adapter ids and the device ids their readings carry (a receiver names one per station) must all differ.
    const ids = new Set<string>();
    config.devices.forEach((d, i) => {
      for (const [id, path] of namesOf(d)) {
        if (ids.has(id))
          ctx.addIssue({ code: "custom", path: ["devices", i, ...path], message: `duplicate device id ${id}` });
        ids.add(id);
      }
    });
  });

type Device = z.infer<typeof deviceSchema>;

function namesOf(d: Device): Array<[string, PropertyKey[]]> {
  switch (d.type) {
    case "modbus":
      return [[d.id, ["id"]]];
    case "opcua": {
      // A point may name its own device (a server that aggregates many field devices).
      const names: Array<[string, PropertyKey[]]> = [[d.id, ["id"]]];
      const seen = new Set([d.id]);
      d.points.forEach((p, j) => {
        if (p.device === undefined || seen.has(p.device)) return;
        seen.add(p.device);
        names.push([p.device, ["points", j, "device"]]);
      });
      return names;
    }
    case "sl651":
    case "hj212":
      return [
        [d.id, ["id"]],
        ...d.stations.map((s, j): [string, PropertyKey[]] => [s.device, ["stations", j, "device"]]),
      ];
  }
}

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type DeviceConfig = z.infer<typeof deviceSchema>;
