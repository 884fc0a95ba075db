import { idSchema, metricSchema } from "../identifiers.ts";

/** `+08:00` or `Z`: the UTC offset of the RTU's clock. */
const UTC_OFFSET_PATTERN = /^(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

import { z } from "zod";

const finite = z.number().refine(Number.isFinite, "expected a finite number");

/** Records an element under another metric, unit or scale than the built-in table says. */
export const sl651ElementMappingSchema = z.strictObject({
  metric: metricSchema.describe("Metric name stored with each reading of this element"),
  unit: z.string().max(32).optional().describe("Unit after scale and offset; defaults to the table's"),
  scale: finite.default(1).describe("value × scale + offset"),
  offset: finite.default(0).describe("Added after scaling, e.g. a gauge datum for a relative level"),
});

const ELEMENT_ID = /^([0-9A-Fa-f]{2}|[Ff]{2}[0-9A-Fa-f]{2})$/;

export const sl651StationSchema = z.strictObject({
  address: z
    .string()
    .regex(/^[0-9A-Fa-f]{10}$/, "expected the 5-byte station address as 10 hex digits")
    .transform((s) => s.toUpperCase())
    .describe("Remote station address as it appears in the frame header"),
  device: idSchema.describe("Device id the station's readings are recorded under"),
  password: z
    .string()
    .regex(/^[0-9A-Fa-f]{4}$/, "expected the 2-byte password as 4 hex digits")
    .transform((s) => s.toUpperCase())
    .optional()
    .describe("When set, frames with another password are refused"),
  seriesAnchor: z
    .enum(["end", "start"])
    .default("end")
    .describe("F4/F5 series: the observation time is the last value's (end) or the first value's (start)"),
  elements: z
    .record(
      z.string().regex(ELEMENT_ID, "expected an element identifier such as 39 or FF85"),
      sl651ElementMappingSchema,
    )
    .default({})
    .transform((map) => Object.fromEntries(Object.entries(map).map(([id, m]) => [id.toUpperCase(), m])))
    .describe("Per-identifier overrides of the built-in element table"),
});

export const sl651ReceiverSchema = z
  .strictObject({
    id: idSchema,
    type: z.literal("sl651"),
    listen: z.strictObject({
      host: z.string().min(1).default("0.0.0.0"),
      port: z.int().min(0).max(65_535).describe("TCP port the RTUs connect to (0: any free port)"),
    }),
    timezone: z
      .string()
      .regex(UTC_OFFSET_PATTERN, "expected a UTC offset such as +08:00")
      .default("+08:00")
      .describe("UTC offset of the stations' clocks; SL 651 times carry no zone"),
    reply: z
      .strictObject({
        end: z
          .enum(["ESC", "EOT"])
          .default("ESC")
          .describe("End character of confirmations: ESC keeps the RTU online, EOT lets it hang up"),
        time: z
          .enum(["echo", "clock"])
          .default("echo")
          .describe("Send time of confirmations: the report's own (echo) or the centre's clock"),
      })
      .prefault({}),
    limits: z
      .strictObject({
        maxConnections: z.int().min(1).max(100_000).default(1_024),
        idleTimeoutMs: z.int().min(0).max(86_400_000).default(900_000),
        frameTimeoutMs: z.int().min(10).max(600_000).default(10_000),
        messageTimeoutMs: z.int().min(10).max(3_600_000).default(120_000),
        maxMessageBytes: z
          .int()
          .min(4_096)
          .max(64 * 1_048_576)
          .default(2 * 1_048_576),
      })
      .prefault({}),
    stations: z.array(sl651StationSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const addresses = new Set<string>();
    const devices = new Set<string>();
    config.stations.forEach((s, i) => {
      if (addresses.has(s.address))
        ctx.addIssue({ code: "custom", path: ["stations", i, "address"], message: `duplicate station ${s.address}` });
      if (devices.has(s.device))
        ctx.addIssue({ code: "custom", path: ["stations", i, "device"], message: `duplicate device ${s.device}` });
      addresses.add(s.address);
      devices.add(s.device);
    });
  });

export type Sl651ElementMapping = z.infer<typeof sl651ElementMappingSchema>;
export type Sl651StationConfig = z.infer<typeof sl651StationSchema>;
export type Sl651ReceiverConfig = z.infer<typeof sl651ReceiverSchema>;
export type Sl651ReceiverConfigInput = z.input<typeof sl651ReceiverSchema>;
