import {
  ENVELOPE_VERSION,
  type Envelope,
  MAX_READINGS_PER_ENVELOPE,
  MAX_SOURCE_TS,
  MAX_UNIT_LENGTH,
  MIN_SOURCE_TS,
  QUALITIES,
} from "./envelope.ts";
import { isId as isIdString, isMetricName } from "./identifiers.ts";

const QUALITY_SET: ReadonlySet<unknown> = new Set(QUALITIES);
const isId = (v: unknown) => typeof v === "string" && isIdString(v);

// The envelope's rules on its values, one place for both forms: the JSON check below and the
// binary reader (`readCheckedBinaryEnvelope`), which meets the values already typed.

/** An envelope's sequence number: an integer in [0, 2^53). */
export const isEnvelopeSeq = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= Number.MAX_SAFE_INTEGER;
/** How many readings an envelope may hold. */
export const isReadingCount = (n: number): boolean => n >= 1 && n <= MAX_READINGS_PER_ENVELOPE;
/** A source time: whole milliseconds within [2000, 2100]. */
export const isSourceTs = (n: number): boolean => Number.isInteger(n) && n >= MIN_SOURCE_TS && n <= MAX_SOURCE_TS;
export const isMetric: (s: string) => boolean = isMetricName;
export const isUnit = (s: string): boolean => s.length <= MAX_UNIT_LENGTH;

/**
 * The hot path of decoding: the same rules as `envelopeSchema`, checked by hand, without
 * building errors. It is never more lenient than the schema (a test holds the two together on
 * valid, broken and mutated envelopes); when it says no, the schema runs and says why.
 */
export function isValidEnvelope(json: unknown): json is Envelope {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return false;
  const e = json as Record<string, unknown>;
  // Seven known keys, all present: then there is no unknown one (strict object).
  if (Object.keys(e).length !== 7) return false;
  if (e.v !== ENVELOPE_VERSION) return false;
  if (!isId(e.site) || !isId(e.gateway) || !isId(e.device) || !isId(e.bootId)) return false;
  const seq = e.seq;
  if (typeof seq !== "number" || !isEnvelopeSeq(seq)) return false;
  const readings = e.readings;
  if (!Array.isArray(readings) || !isReadingCount(readings.length)) return false;
  for (const r of readings) if (!isValidReading(r)) return false;
  return true;
}

function isValidReading(r: unknown): boolean {
  if (typeof r !== "object" || r === null || Array.isArray(r)) return false;
  const o = r as Record<string, unknown>;
  if (Object.keys(o).length !== 5) return false;
  const { metric, ts, value, unit, quality } = o;
  if (typeof metric !== "string" || !isMetric(metric)) return false;
  if (typeof ts !== "number" || !isSourceTs(ts)) return false;
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  if (typeof unit !== "string" || !isUnit(unit)) return false;
  return QUALITY_SET.has(quality);
}
