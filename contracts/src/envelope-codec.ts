import type { z } from "zod";
import { ENVELOPE_VERSION, type Envelope, envelopeSchema } from "./envelope.ts";
import {
  BinaryEnvelopeError,
  isBinaryEnvelope,
  readBinaryEnvelope,
  readCheckedBinaryEnvelope,
} from "./envelope-binary.ts";
import { isValidEnvelope } from "./envelope-check.ts";
import { EnvelopeError, type EnvelopeIssue } from "./envelope-error.ts";
import { readCheckedJsonEnvelope } from "./envelope-json-reader.ts";

/** Larger payloads are refused before parsing: MQTT and NATS defaults are 256 KiB to 1 MiB. */
export const MAX_ENVELOPE_BYTES = 1024 * 1024;

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return encoder.encode(JSON.stringify(envelope));
}

export type DecodeResult = { ok: true; envelope: Envelope } | { ok: false; error: EnvelopeError };

/**
 * Decodes and validates one envelope, JSON or binary (`LLB1`, what the Lifeline agent sends; see
 * envelope-binary.ts), reporting every problem at once. Both forms are held to the same rules.
 * Never throws.
 */
export function tryDecodeEnvelope(payload: Uint8Array | string): DecodeResult {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_ENVELOPE_BYTES) {
    return fail(
      "CONTRACT_ENVELOPE_TOO_LARGE",
      `envelope is ${size} bytes, more than the ${MAX_ENVELOPE_BYTES} allowed`,
    );
  }
  if (typeof payload !== "string" && isBinaryEnvelope(payload)) {
    let fields: unknown;
    try {
      const checked = readCheckedBinaryEnvelope(payload);
      if (checked !== undefined) return { ok: true, envelope: checked };
      fields = readBinaryEnvelope(payload);
    } catch (cause) {
      if (!(cause instanceof BinaryEnvelopeError)) throw cause;
      return fail("CONTRACT_MALFORMED_BINARY", `binary envelope: ${cause.message}`, [], cause);
    }
    return validated(fields);
  }
  if (typeof payload !== "string") {
    const checked = readCheckedJsonEnvelope(payload);
    if (checked !== undefined) return { ok: true, envelope: checked };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === "string" ? payload : decoder.decode(payload));
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    return fail("CONTRACT_MALFORMED_JSON", `envelope is not valid UTF-8 JSON: ${why}`, [], cause);
  }
  if (typeof json === "object" && json !== null && !Array.isArray(json)) {
    const v = (json as { v?: unknown }).v;
    if (v !== undefined && v !== ENVELOPE_VERSION) {
      return fail(
        "CONTRACT_UNSUPPORTED_VERSION",
        `envelope version ${JSON.stringify(v)} is not supported (this build reads v${ENVELOPE_VERSION})`,
        [{ path: "v", message: `expected ${ENVELOPE_VERSION}` }],
      );
    }
  }
  return validated(json);
}

function validated(json: unknown): DecodeResult {
  if (isValidEnvelope(json)) return { ok: true, envelope: json };
  const parsed = envelopeSchema.safeParse(json);
  if (parsed.success) return { ok: true, envelope: parsed.data };
  const issues = parsed.error.issues.map(toIssue);
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return fail("CONTRACT_INVALID_ENVELOPE", `invalid envelope: ${summary}`, issues);
}

/** Like {@link tryDecodeEnvelope}, but throws the {@link EnvelopeError}. */
export function decodeEnvelope(payload: Uint8Array | string): Envelope {
  const result = tryDecodeEnvelope(payload);
  if (!result.ok) throw result.error;
  return result.envelope;
}

function fail(
  code: EnvelopeError["code"],
  message: string,
  issues: EnvelopeIssue[] = [],
  cause?: unknown,
): DecodeResult {
  return { ok: false, error: new EnvelopeError(code, message, issues, cause) };
}

/** `["readings", 0, "ts"]` becomes `readings[0].ts`; the root is `(envelope)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(envelope)" : out;
}

function toIssue(issue: z.core.$ZodIssue): EnvelopeIssue {
  if (issue.code === "unrecognized_keys") {
    return { path: formatPath(issue.path), message: `unknown field(s) ${issue.keys.join(", ")}` };
  }
  return { path: formatPath(issue.path), message: issue.message };
}
