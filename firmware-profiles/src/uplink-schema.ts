import { z } from "zod";

/**
 * Secrets never appear in a profile (profiles are diffed, signed, stored and shown): only where
 * the agent finds them — an environment variable or a file on the gateway.
 */
export const SECRET_REF_PATTERN = /^(env:[A-Z_][A-Z0-9_]*|file:\/\S+)$/;

export const secretRefSchema = z
  .string()
  .regex(SECRET_REF_PATTERN, "expected a reference such as env:LIFELINE_MQTT_PASSWORD or file:/etc/lifeline/secret");

export const mqttUplinkSchema = z
  .strictObject({
    url: z
      .string()
      .max(512)
      .regex(/^mqtts?:\/\/[^\s/]+(\/\S*)?$/, "expected an mqtt:// or mqtts:// URL such as mqtt://127.0.0.1:1883")
      .describe("The gateway's MQTT broker: mqtt://host:port, or mqtts:// for TLS"),
    clientId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\x21-\x7e]+$/, "expected printable ASCII without spaces")
      .optional()
      .describe("MQTT client identifier (MQTT 3.1.1 §3.1.3.1); defaults to <site>-<gateway>"),
    username: z.string().min(1).max(256).optional().describe("MQTT user name (MQTT 3.1.1 §3.1.3.4)"),
    passwordRef: secretRefSchema
      .optional()
      .describe("Where the agent reads the MQTT password: env:NAME (environment variable) or file:/path"),
  })
  .superRefine((mqtt, ctx) => {
    // MQTT 3.1.1 §3.1.2.9: a password without a user name is a protocol violation.
    if (mqtt.passwordRef !== undefined && mqtt.username === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["username"],
        message: "expected a username beside passwordRef (MQTT 3.1.1 §3.1.2.9), found nothing",
      });
    }
  });

export const natsUplinkSchema = z.strictObject({
  url: z
    .string()
    .max(512)
    .regex(/^(nats|tls):\/\/[^\s/]+$/, "expected a nats:// or tls:// URL such as nats://127.0.0.1:4222")
    .describe("The NATS server the agent publishes to: nats://host:port, or tls:// for TLS"),
  credentialsRef: secretRefSchema
    .optional()
    .describe("Where the agent reads its NATS credentials (.creds file or token): env:NAME or file:/path"),
});

export const uplinkSchema = z
  .strictObject({
    mqtt: mqttUplinkSchema.optional().describe("Publish over MQTT to a Lifeline gateway (QoS 1)"),
    nats: natsUplinkSchema.optional().describe("Publish straight to NATS JetStream"),
  })
  .superRefine((uplink, ctx) => {
    if (uplink.mqtt === undefined && uplink.nats === undefined) {
      ctx.addIssue({ code: "custom", path: [], message: "expected exactly one of mqtt or nats, found neither" });
    } else if (uplink.mqtt !== undefined && uplink.nats !== undefined) {
      ctx.addIssue({ code: "custom", path: ["nats"], message: "expected exactly one of mqtt or nats, found both" });
    }
  })
  .describe("Where the agent sends its readings: exactly one of mqtt or nats");

export type MqttUplink = z.infer<typeof mqttUplinkSchema>;
export type NatsUplink = z.infer<typeof natsUplinkSchema>;
export type Uplink = z.infer<typeof uplinkSchema>;
