import { describe, expect, it } from "vitest";
import {
  decodeEnvelope,
  type Envelope,
  EnvelopeError,
  encodeEnvelope,
  envelopeId,
  MAX_ENVELOPE_BYTES,
  parseTelemetryTopic,
  telemetrySubject,
  telemetryTopic,
  tryDecodeEnvelope,
} from "../src/index.ts";

const good: Envelope = {
  v: 1,
  site: "mine-7",
  gateway: "gw-01",
  device: "dust-01",
  bootId: "b1",
  seq: 42,
  readings: [{ metric: "pm10", ts: 1_767_225_600_000, value: 0.153, unit: "mg/m3", quality: "good" }],
};

const withReading = (patch: Record<string, unknown>) => ({ ...good, readings: [{ ...good.readings[0], ...patch }] });

/** Each malformed envelope and exactly the error it must produce. */
const malformed: Array<[name: string, payload: unknown, code: string, issues: Array<[string, string]>]> = [
  ["not JSON", "{v:1", "CONTRACT_MALFORMED_JSON", []],
  ["a JSON array", [], "CONTRACT_INVALID_ENVELOPE", [["(envelope)", "Invalid input: expected object, received array"]]],
  ["version 2", { ...good, v: 2 }, "CONTRACT_UNSUPPORTED_VERSION", [["v", "expected 1"]]],
  ["no version", { ...good, v: undefined }, "CONTRACT_INVALID_ENVELOPE", [["v", "Invalid input: expected 1"]]],
  [
    "site with a dot",
    { ...good, site: "mine.7" },
    "CONTRACT_INVALID_ENVELOPE",
    [["site", "expected 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"]],
  ],
  [
    "device with an MQTT wildcard",
    { ...good, device: "dust+" },
    "CONTRACT_INVALID_ENVELOPE",
    [["device", "expected 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"]],
  ],
  [
    "negative seq",
    { ...good, seq: -1 },
    "CONTRACT_INVALID_ENVELOPE",
    [["seq", "Too small: expected number to be >=0"]],
  ],
  ["fractional seq", { ...good, seq: 1.5 }, "CONTRACT_INVALID_ENVELOPE", [["seq", "expected an integer"]]],
  [
    "no readings",
    { ...good, readings: [] },
    "CONTRACT_INVALID_ENVELOPE",
    [["readings", "expected at least one reading"]],
  ],
  [
    "ts in seconds, not ms",
    withReading({ ts: 1_767_225_600 }),
    "CONTRACT_INVALID_ENVELOPE",
    [["readings[0].ts", "expected a source time on or after 2000-01-01"]],
  ],
  [
    "fractional ts",
    withReading({ ts: 1_767_225_600_000.5 }),
    "CONTRACT_INVALID_ENVELOPE",
    [["readings[0].ts", "expected an integer number of milliseconds since the epoch"]],
  ],
  [
    "value as a string",
    withReading({ value: "0.15" }),
    "CONTRACT_INVALID_ENVELOPE",
    [["readings[0].value", "Invalid input: expected number, received string"]],
  ],
  [
    "unknown quality",
    withReading({ quality: "ok" }),
    "CONTRACT_INVALID_ENVELOPE",
    [["readings[0].quality", 'Invalid option: expected one of "good"|"uncertain"|"bad"']],
  ],
  [
    "unknown field on a reading",
    withReading({ valeu: 1 }),
    "CONTRACT_INVALID_ENVELOPE",
    [["readings[0]", "unknown field(s) valeu"]],
  ],
  [
    "two problems at once",
    { ...good, gateway: "", readings: [{ ...good.readings[0], metric: "" }] },
    "CONTRACT_INVALID_ENVELOPE",
    [
      ["gateway", "expected 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"],
      ["readings[0].metric", "expected 1-128 characters of A-Z, a-z, 0-9, '_', '.', '-'"],
    ],
  ],
];

describe("envelope codec", () => {
  it("round-trips a valid envelope", () => {
    expect(decodeEnvelope(encodeEnvelope(good))).toEqual(good);
  });

  it.each(malformed)("rejects %s", (_name, payload, code, issues) => {
    const text = typeof payload === "string" ? payload : JSON.stringify(payload);
    const result = tryDecodeEnvelope(Buffer.from(text));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(EnvelopeError);
    expect(result.error.code).toBe(code);
    expect(result.error.issues.map((i) => [i.path, i.message])).toEqual(issues);
    for (const [path] of issues) expect(result.error.message).toContain(path);
  });

  it("rejects an oversized payload before parsing it", () => {
    const result = tryDecodeEnvelope(Buffer.alloc(MAX_ENVELOPE_BYTES + 1, 0x20));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe("CONTRACT_ENVELOPE_TOO_LARGE");
      expect(result.error.message).toBe(`envelope is ${MAX_ENVELOPE_BYTES + 1} bytes, more than the 1048576 allowed`);
    }
  });

  it("rejects bytes that are not UTF-8", () => {
    const result = tryDecodeEnvelope(Uint8Array.of(0x7b, 0xff, 0x7d));
    expect(result.ok ? undefined : result.error.code).toBe("CONTRACT_MALFORMED_JSON");
  });

  it("throws the same error from decodeEnvelope", () => {
    expect(() => decodeEnvelope('{"v":1}')).toThrow(EnvelopeError);
  });
});

describe("names", () => {
  it("derives subject, topic and identity from the route", () => {
    expect(telemetrySubject(good)).toBe("tlm.mine-7.gw-01.dust-01");
    expect(telemetryTopic(good)).toBe("lifeline/v1/tlm/mine-7/gw-01/dust-01");
    expect(envelopeId(good)).toBe("mine-7.gw-01.b1.42");
  });

  it("parses telemetry topics and refuses others", () => {
    expect(parseTelemetryTopic("lifeline/v1/tlm/mine-7/gw-01/dust-01")).toEqual({
      site: "mine-7",
      gateway: "gw-01",
      device: "dust-01",
    });
    expect(parseTelemetryTopic("lifeline/v1/tlm/mine-7/gw-01")).toBeUndefined();
    expect(parseTelemetryTopic("lifeline/v1/tlm/mine-7//dust-01")).toBeUndefined();
    expect(parseTelemetryTopic("other/topic/a/b/c")).toBeUndefined();
    for (const levels of ["", "m", "m/", "/g/d", "m//d", "m/g/", "m/g/d/", "m/g/d/x", "//", "m/g//"]) {
      expect(parseTelemetryTopic(`lifeline/v1/tlm/${levels}`), levels).toBeUndefined();
    }
    expect(parseTelemetryTopic("lifeline/v1/tlm/m/g/d")).toEqual({ site: "m", gateway: "g", device: "d" });
    expect(parseTelemetryTopic("lifeline/v1/tlmx/m/g/d")).toBeUndefined();
  });
});
