import {
  ENVELOPE_VERSION,
  type Envelope,
  MAX_READINGS_PER_ENVELOPE,
  MAX_SOURCE_TS,
  MAX_UNIT_LENGTH,
  MIN_SOURCE_TS,
  QUALITIES,
} from "./envelope.ts";
import { ID_PATTERN, METRIC_PATTERN } from "./identifiers.ts";

const QUALITY_SET: ReadonlySet<unknown> = new Set(QUALITIES);
const isId = (v: unknown) => typeof v === "string" && ID_PATTERN.test(v);

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
  if (typeof seq !== "number" || !Number.isInteger(seq) || seq < 0 || seq > Number.MAX_SAFE_INTEGER) return false;
  const readings = e.readings;
  if (!Array.isArray(readings) || readings.length < 1 || readings.length > MAX_READINGS_PER_ENVELOPE) return false;
  for (const r of readings) if (!isValidReading(r)) return false;
  return true;
}

function isValidReading(r: unknown): boolean {
  if (typeof r !== "object" || r === null || Array.isArray(r)) return false;
  const o = r as Record<string, unknown>;
  if (Object.keys(o).length !== 5) return false;
  const { metric, ts, value, unit, quality } = o;
  if (typeof metric !== "string" || !METRIC_PATTERN.test(metric)) return false;
  if (typeof ts !== "number" || !Number.isInteger(ts) || ts < MIN_SOURCE_TS || ts > MAX_SOURCE_TS) return false;
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  if (typeof unit !== "string" || unit.length > MAX_UNIT_LENGTH) return false;
  return QUALITY_SET.has(quality);
}
