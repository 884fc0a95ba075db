import { describe, expect, it } from "vitest";
import { envelopeSchema } from "../src/envelope.ts";
import { isValidEnvelope } from "../src/envelope-check.ts";

// The fast check must never accept what the schema refuses, and should accept what it accepts.

const valid = () => ({
  v: 1,
  site: "mine-7",
  gateway: "gw-01",
  device: "dust-01",
  bootId: "b1",
  seq: 12,
  readings: [
    { metric: "pm10", ts: Date.UTC(2026, 0, 5), value: 0.153, unit: "mg/m3", quality: "good" },
    { metric: "flow.total", ts: Date.UTC(2026, 0, 5) + 1, value: -4, unit: "", quality: "uncertain" },
  ],
});

type Json = Record<string, unknown>;
const reading = (e: Json) => (e.readings as Json[])[0] as Json;

const MUTATIONS: Array<[string, (e: Json) => void]> = [
  ["v 2", (e) => (e.v = 2)],
  ["v string", (e) => (e.v = "1")],
  ["site with a dot", (e) => (e.site = "mine.7")],
  ["site empty", (e) => (e.site = "")],
  ["site 65 chars", (e) => (e.site = "a".repeat(65))],
  ["gateway number", (e) => (e.gateway = 1)],
  ["device with a slash", (e) => (e.device = "a/b")],
  ["bootId missing", (e) => delete e.bootId],
  ["unknown key", (e) => (e.extra = true)],
  [
    "unknown key instead of one",
    (e) => {
      delete e.bootId;
      e.bootid = "b1";
    },
  ],
  ["__proto__ key", (e) => Object.defineProperty(e, "__proto__", { value: 1, enumerable: true })],
  ["seq negative", (e) => (e.seq = -1)],
  ["seq fraction", (e) => (e.seq = 1.5)],
  ["seq too large", (e) => (e.seq = 2 ** 53)],
  ["seq string", (e) => (e.seq = "3")],
  ["readings empty", (e) => (e.readings = [])],
  ["readings object", (e) => (e.readings = {})],
  ["reading null", (e) => ((e.readings as unknown[])[0] = null)],
  ["reading array", (e) => ((e.readings as unknown[])[0] = [])],
  ["metric bad", (e) => (reading(e).metric = ".pm10")],
  ["metric 129", (e) => (reading(e).metric = "m".repeat(129))],
  ["ts fraction", (e) => (reading(e).ts = 1.5e12 + 0.5)],
  ["ts before 2000", (e) => (reading(e).ts = Date.UTC(1999, 11, 31))],
  ["ts after 2100", (e) => (reading(e).ts = Date.UTC(2100, 0, 1) + 1)],
  ["ts string", (e) => (reading(e).ts = "2026-01-05")],
  ["value string", (e) => (reading(e).value = "1")],
  ["value null", (e) => (reading(e).value = null)],
  ["unit 33", (e) => (reading(e).unit = "u".repeat(33))],
  ["unit number", (e) => (reading(e).unit = 1)],
  ["quality other", (e) => (reading(e).quality = "ok")],
  ["reading unknown key", (e) => (reading(e).note = "x")],
  ["reading missing key", (e) => delete reading(e).unit],
];

describe("isValidEnvelope (the decoding hot path)", () => {
  it("accepts a valid envelope, as the schema does", () => {
    expect(isValidEnvelope(valid())).toBe(true);
    expect(envelopeSchema.safeParse(valid()).success).toBe(true);
  });

  it.each(MUTATIONS)("refuses what the schema refuses: %s", (_name, mutate) => {
    const e = valid() as Json;
    mutate(e);
    expect(envelopeSchema.safeParse(e).success).toBe(false);
    expect(isValidEnvelope(e)).toBe(false);
  });

  it("never accepts what the schema refuses, over 20,000 random mutations", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const values = [
      undefined,
      null,
      0,
      -1,
      1.5,
      2 ** 53,
      "",
      "x",
      "a.b",
      "good",
      [],
      {},
      true,
      1e12,
      Date.UTC(2026, 0, 1),
    ];
    const keys = [
      "v",
      "site",
      "gateway",
      "device",
      "bootId",
      "seq",
      "readings",
      "metric",
      "ts",
      "value",
      "unit",
      "quality",
      "x",
    ];
    let acceptedByBoth = 0;
    for (let i = 0; i < 20_000; i++) {
      const e = valid() as Json;
      const target = random() < 0.5 ? e : reading(e);
      const key = keys[Math.floor(random() * keys.length)] as string;
      const value = values[Math.floor(random() * values.length)];
      if (value === undefined) delete target[key];
      else target[key] = value;
      const fast = isValidEnvelope(e);
      const schema = envelopeSchema.safeParse(e).success;
      if (fast) expect(schema).toBe(true);
      if (fast && schema) acceptedByBoth++;
    }
    expect(acceptedByBoth).toBeGreaterThan(100); // the check is not merely refusing everything
  });
});
