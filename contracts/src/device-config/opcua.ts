import { z } from "zod";
import { idSchema, metricSchema } from "../identifiers.ts";

/** MessageSecurityMode, IEC 62541-4 §7.20. */
export const SECURITY_MODES = ["None", "Sign", "SignAndEncrypt"] as const;
/** The policies the adapter is tested with (IEC 62541-7 security policy profiles). */
export const SECURITY_POLICIES = ["None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"] as const;
export type SecurityModeName = (typeof SECURITY_MODES)[number];
export type SecurityPolicyName = (typeof SECURITY_POLICIES)[number];

/**
 * A NodeId in its string form, IEC 62541-6 §5.3.1.10: `ns=<index>;` (optional, 0 by default) then
 * `i=<numeric>`, `s=<string>`, `g=<guid>` or `b=<base64 opaque>`.
 */
export const NODE_ID_PATTERN =
  /^(ns=\d{1,5};)?(i=\d{1,10}|s=.+|g=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|b=[A-Za-z0-9+/]+={0,2})$/s;

const finite = z.number().refine(Number.isFinite, "expected a finite number");

/** DataChangeFilter deadband, IEC 62541-4 §7.17.2; `percent` is of the node's EURange (IEC 62541-8 §6.2). */
export const deadbandSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("none") }),
  z.strictObject({
    type: z.literal("absolute"),
    value: finite.min(0).describe("Smallest change, in the server's raw units, that is reported"),
  }),
  z.strictObject({
    type: z.literal("percent"),
    value: finite.min(0).max(100).describe("Smallest change, in percent of the node's EURange, that is reported"),
  }),
]);

export const opcuaPointSchema = z.strictObject({
  name: z.string().min(1).max(128).describe("Name as the plant documentation gives it"),
  metric: metricSchema.describe("Metric name stored with each reading"),
  nodeId: z.string().regex(NODE_ID_PATTERN, "expected a NodeId such as ns=2;s=Boiler.Temperature or ns=3;i=1042"),
  device: idSchema.optional().describe("Device id of this point's readings; the adapter's id when absent"),
  unit: z.string().max(32).default("").describe("Unit of the engineering value"),
  samplingIntervalMs: z
    .int()
    .min(0)
    .max(86_400_000)
    .default(1_000)
    .describe("How often the server samples the node; 0 asks for the fastest practical rate"),
  queueSize: z.int().min(1).max(10_000).default(10).describe("Changes the server queues between two publishes"),
  discardOldest: z.boolean().default(true).describe("When the queue is full, drop the oldest change (else the newest)"),
  deadband: deadbandSchema.default({ type: "none" }),
  scale: finite.default(1),
  offset: finite.default(0),
});

export const usernameAuthSchema = z.strictObject({
  type: z.literal("username"),
  username: z.string().min(1).max(256),
  /** Secrets are never inline: the name of the environment variable that holds the password. */
  passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "expected an environment variable name such as OPCUA_PASSWORD"),
});

export const authSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("anonymous") }),
  usernameAuthSchema,
]);

/** What connecting to a server takes; shared by the adapter and `browseOpcua`. */
export const opcuaConnectionShape = {
  endpointUrl: z
    .string()
    .regex(/^opc\.tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s/:[\]]+)(:\d{1,5})?(\/\S*)?$/, "expected an opc.tcp://host:port URL")
    .describe("The server's endpoint, e.g. opc.tcp://192.0.2.20:4840"),
  securityMode: z.enum(SECURITY_MODES).default("SignAndEncrypt"),
  /** Defaults to Basic256Sha256, or None with securityMode None. */
  securityPolicy: z.enum(SECURITY_POLICIES).optional(),
  auth: authSchema.default({ type: "anonymous" }),
  pkiDir: z
    .string()
    .min(1)
    .describe("The client's certificate store: own/ (its certificate), trusted/, rejected/, issuers/"),
  autoAcceptUnknownCertificates: z
    .boolean()
    .default(false)
    .describe("Demo mode only: trust any server certificate on first sight instead of rejecting it"),
  applicationName: z.string().min(1).max(64).default("Lifeline edge agent"),
  connectTimeoutMs: z.int().min(100).max(120_000).default(10_000),
};

export const opcuaDeviceSchema = z
  .strictObject({
    id: idSchema,
    type: z.literal("opcua"),
    ...opcuaConnectionShape,
    publishingIntervalMs: z.int().min(10).max(3_600_000).default(1_000),
    reconnect: z
      .strictObject({
        initialDelayMs: z.int().min(10).max(600_000).default(1_000),
        maxDelayMs: z.int().min(10).max(3_600_000).default(30_000),
      })
      .default({ initialDelayMs: 1_000, maxDelayMs: 30_000 }),
    /** Points the server refused (unknown node, refused filter) are asked for again this often. */
    retryRefusedPointsMs: z.int().min(100).max(86_400_000).default(60_000),
    points: z.array(opcuaPointSchema).min(1).max(100_000),
  })
  .superRefine((device, ctx) => {
    checkSecurity(device, ctx);
    if (device.reconnect.maxDelayMs < device.reconnect.initialDelayMs) {
      ctx.addIssue({ code: "custom", path: ["reconnect", "maxDelayMs"], message: "expected at least initialDelayMs" });
    }
    const names = new Set<string>();
    device.points.forEach((p, i) => {
      if (names.has(p.name))
        ctx.addIssue({ code: "custom", path: ["points", i, "name"], message: `duplicate point name ${p.name}` });
      names.add(p.name);
    });
  });

/** Cross-field rule: a mode and a policy that cannot go together (IEC 62541-4 §7.20). */
export function checkSecurity(
  config: { securityMode: SecurityModeName; securityPolicy?: SecurityPolicyName | undefined },
  ctx: z.RefinementCtx,
): void {
  const { securityMode: mode, securityPolicy: policy } = config;
  if (mode === "None" && policy !== undefined && policy !== "None") {
    ctx.addIssue({ code: "custom", path: ["securityPolicy"], message: `securityMode None cannot use ${policy}` });
  }
  if (mode !== "None" && policy === "None") {
    ctx.addIssue({ code: "custom", path: ["securityPolicy"], message: `securityMode ${mode} needs a security policy` });
  }
}

export const opcuaConnectionSchema = z.strictObject(opcuaConnectionShape).superRefine(checkSecurity);

/** The policy in effect: the configured one, else what the mode implies. */
export function effectivePolicy(config: {
  securityMode: SecurityModeName;
  securityPolicy?: SecurityPolicyName | undefined;
}): SecurityPolicyName {
  return config.securityPolicy ?? (config.securityMode === "None" ? "None" : "Basic256Sha256");
}

export type OpcuaPoint = z.infer<typeof opcuaPointSchema>;
export type OpcuaDeadband = z.infer<typeof deadbandSchema>;
export type OpcuaAuth = z.infer<typeof authSchema>;
export type OpcuaConnectionConfig = z.infer<typeof opcuaConnectionSchema>;
export type OpcuaConnectionInput = z.input<typeof opcuaConnectionSchema>;
export type OpcuaDeviceConfig = z.infer<typeof opcuaDeviceSchema>;
export type OpcuaDeviceInput = z.input<typeof opcuaDeviceSchema>;
