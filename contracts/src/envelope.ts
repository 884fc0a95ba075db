import { z } from "zod";
import { idSchema, metricSchema } from "./identifiers.ts";

export const ENVELOPE_VERSION = 1;

/** Source timestamps before 2000-01-01 or after 2100-01-01 are clock faults, not data. */
export const MIN_SOURCE_TS = Date.UTC(2000, 0, 1);
export const MAX_SOURCE_TS = Date.UTC(2100, 0, 1);

/** How a reading should be trusted, after OPC UA's Good/Uncertain/Bad (IEC 62541-4 §7.34). */
export const QUALITIES = ["good", "uncertain", "bad"] as const;
export type Quality = (typeof QUALITIES)[number];

/** Longest unit, in UTF-16 code units (as zod counts a string). */
export const MAX_UNIT_LENGTH = 32;

export const readingSchema = z.strictObject({
  metric: metricSchema,
  ts: z
    .number()
    .int("expected an integer number of milliseconds since the epoch")
    .min(MIN_SOURCE_TS, "expected a source time on or after 2000-01-01")
    .max(MAX_SOURCE_TS, "expected a source time before 2100-01-01"),
  value: z.number().refine(Number.isFinite, "expected a finite number"),
  unit: z.string().max(MAX_UNIT_LENGTH, `expected a unit of at most ${MAX_UNIT_LENGTH} characters`),
  quality: z.enum(QUALITIES),
});

export const MAX_READINGS_PER_ENVELOPE = 10_000;

export const envelopeSchema = z.strictObject({
  v: z.literal(ENVELOPE_VERSION),
  site: idSchema,
  gateway: idSchema,
  device: idSchema,
  /** A fresh id each time the agent process starts; (gateway, bootId, seq) identifies a message. */
  bootId: idSchema,
  /** Per (gateway, bootId), increasing by one per envelope, starting at 0. */
  seq: z.number().int("expected an integer").min(0).max(Number.MAX_SAFE_INTEGER),
  readings: z
    .array(readingSchema)
    .min(1, "expected at least one reading")
    .max(MAX_READINGS_PER_ENVELOPE, `expected at most ${MAX_READINGS_PER_ENVELOPE} readings`),
});

export type Reading = z.infer<typeof readingSchema>;
export type Envelope = z.infer<typeof envelopeSchema>;

/** The identity that makes a replayed envelope recognisable at every hop. */
export function envelopeId(e: Pick<Envelope, "site" | "gateway" | "bootId" | "seq">): string {
  return `${e.site}.${e.gateway}.${e.bootId}.${e.seq}`;
}
