import { z } from "zod";
import { QUALITIES } from "../envelope.ts";
import { idSchema, metricSchema } from "../identifiers.ts";
import {
  HJ212_BUILTIN_FACTORS as BUILTIN_FACTORS,
  HJ212_DATA_FLAGS as DATA_FLAGS,
  UTC_OFFSET_PATTERN,
} from "./hj212-tables.ts";

/** A factor code as HJ 212 Appendix B writes them: `a34002`, `w01018`, `LA`. */
export const factorCodeSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]{0,15}$/, "expected a factor code such as a34002");

const unitSchema = z.string().max(32);

export const hj212FactorSchema = z.strictObject({
  metric: metricSchema.optional().describe("Metric of the real-time value; defaults to the built-in table's"),
  unit: unitSchema.optional().describe("Unit of the values; defaults to the built-in table's"),
  couUnit: unitSchema.optional().describe("Unit of the cumulative value (-Cou), when it differs from `unit`"),
});

export const hj212StationSchema = z.strictObject({
  mn: z
    .string()
    .regex(/^[0-9A-Za-z_.-]{1,27}$/, "expected the logger's MN: 1-27 of 0-9, A-Z, a-z, '_', '.', '-'")
    .describe("The data logger's unique id (MN), HJ 212-2017 §6.3.2"),
  device: idSchema.describe("Device id its readings are published under"),
  password: z
    .string()
    .regex(/^[\x21-\x7e]{0,32}$/, "expected printable ASCII")
    .optional()
    .describe("Access password (PW); when set, frames with another PW are refused. PW travels in clear text"),
  factors: z
    .record(factorCodeSchema, hj212FactorSchema)
    .default({})
    .describe("Per factor code: metric and unit, over the built-in table"),
  ignoreFactors: z.array(factorCodeSchema).default([]).describe("Factor codes the station sends that are not wanted"),
});

const suffixSchema = z.string().regex(/^[a-z0-9]{1,8}$/, "expected 1-8 of a-z, 0-9, such as 10m");

export const hj212ReceiverSchema = z
  .strictObject({
    id: idSchema.describe("Name of this receiver, for errors that belong to no station"),
    type: z.literal("hj212"),
    listen: z.strictObject({
      host: z.string().min(1).default("0.0.0.0"),
      port: z.int().min(0).max(65_535).describe("TCP port the data loggers connect to (0: any free port)"),
    }),
    timezone: z
      .string()
      .regex(UTC_OFFSET_PATTERN, "expected a UTC offset such as +08:00")
      .default("+08:00")
      .describe("UTC offset of the loggers' clocks; DataTime carries none"),
    crc: z
      .enum(["hj212", "modbus", "either"])
      .default("hj212")
      .describe("CRC accepted: the standard's (Appendix A), CRC-16/MODBUS, or either"),
    statSuffix: z
      .strictObject({
        minute: suffixSchema.default("1m"),
        hour: suffixSchema.default("1h"),
        day: suffixSchema.default("1d"),
      })
      .default({ minute: "1m", hour: "1h", day: "1d" })
      .describe("Window part of statistic metric names (pm10_avg_1m); set minute to the logger's MinInterval"),
    flagQuality: z
      .partialRecord(z.enum(DATA_FLAGS), z.enum(QUALITIES))
      .default({})
      .describe("Overrides of the data flag → quality table"),
    maxConnections: z.int().min(1).max(100_000).default(1_024),
    stations: z.array(hj212StationSchema).min(1),
  })
  .superRefine((receiver, ctx) => {
    const mns = new Set<string>();
    const devices = new Set<string>();
    receiver.stations.forEach((station, i) => {
      if (mns.has(station.mn))
        ctx.addIssue({ code: "custom", path: ["stations", i, "mn"], message: `duplicate MN ${station.mn}` });
      if (devices.has(station.device))
        ctx.addIssue({
          code: "custom",
          path: ["stations", i, "device"],
          message: `duplicate device ${station.device}`,
        });
      mns.add(station.mn);
      devices.add(station.device);
      for (const [code, factor] of Object.entries(station.factors)) {
        if (factor.metric === undefined && BUILTIN_FACTORS[code] === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["stations", i, "factors", code, "metric"],
            message: `station ${station.mn}: factor ${code} is not in the built-in table, so it needs a metric`,
          });
        }
      }
    });
  });

export type Hj212FactorConfig = z.infer<typeof hj212FactorSchema>;
export type Hj212StationConfig = z.infer<typeof hj212StationSchema>;
export type Hj212ReceiverConfig = z.infer<typeof hj212ReceiverSchema>;
export type Hj212ReceiverInput = z.input<typeof hj212ReceiverSchema>;
