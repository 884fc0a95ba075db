import { describe, expect, it } from "vitest";
import { isValidEnvelope } from "../src/envelope-check.ts";
import {
  BinaryEnvelopeError,
  type Envelope,
  encodeBinaryEnvelope,
  encodeEnvelope,
  isBinaryEnvelope,
  MAX_SOURCE_TS,
  readBinaryEnvelope,
  readBinaryEnvelopeHead,
  readCheckedBinaryEnvelope,
  tryDecodeEnvelope,
} from "../src/index.ts";

const meter: Envelope = {
  v: 1,
  site: "meters-3",
  gateway: "meter-17",
  device: "meter-17",
  bootId: "b-1a2b3c",
  seq: 981,
  readings: [
    { metric: "power", ts: 1_767_600_000_123, value: 981, unit: "kW", quality: "good" },
    { metric: "voltage", ts: 1_767_600_000_124, value: 231.5, unit: "V", quality: "uncertain" },
    { metric: "current", ts: 1_767_600_000_125, value: -0.000_1, unit: "A", quality: "bad" },
  ],
};

/** Decodes through the public entry point and fails the test on an error. */
function decoded(bytes: Uint8Array): Envelope {
  const result = tryDecodeEnvelope(bytes);
  if (!result.ok) throw result.error;
  return result.envelope;
}

function errorOf(bytes: Uint8Array): { code: string; message: string; issues: readonly unknown[] } {
  const result = tryDecodeEnvelope(bytes);
  if (result.ok) throw new Error("expected an error");
  return { code: result.error.code, message: result.error.message, issues: result.error.issues };
}

describe("binary envelopes (LLB1)", () => {
  it("decode to exactly the envelope that was encoded, in less than half the bytes", () => {
    const bytes = encodeBinaryEnvelope(meter);
    expect(isBinaryEnvelope(bytes)).toBe(true);
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("LLB1");
    // 4 + ids (9+9+9+9) + seq 8 + table (2 + 6+8+8+3+2+2) + count 4 + 3 × 21
    expect(bytes.length).toBe(146);
    expect(encodeEnvelope(meter).length).toBe(358);
    expect(decoded(bytes)).toEqual(meter);
    expect(
      Object.is(
        decoded(encodeBinaryEnvelope({ ...meter, readings: [{ ...meter.readings[0], value: -0 }] } as Envelope))
          .readings[0]?.value,
        -0,
      ),
    ).toBe(true);
  });

  it("keep UTF-8 units, extreme numbers and a string table shared by many readings", () => {
    const readings = Array.from({ length: 10_000 }, (_, i) => ({
      metric: `m${i % 7}.flow`,
      ts: i === 0 ? MAX_SOURCE_TS : 1_767_600_000_000 + i,
      value: i === 1 ? Number.MAX_VALUE : i === 2 ? Number.MIN_VALUE : i / 3,
      unit: i % 2 === 0 ? "µg/m³" : "m³/h",
      quality: "good" as const,
    }));
    const big: Envelope = { ...meter, seq: Number.MAX_SAFE_INTEGER, readings };
    const bytes = encodeBinaryEnvelope(big);
    // 9 distinct strings: 7 metrics and 2 units, each written once.
    expect(bytes.readUInt16LE(4 + 36 + 8)).toBe(9);
    expect(decoded(bytes)).toEqual(big);
  });

  it("are held to the same rules as JSON, with the same issues", () => {
    const bad = {
      ...meter,
      site: "mine.7",
      seq: 1.5,
      readings: [
        { ...meter.readings[0], ts: 1_767_600_000, value: Number.NaN },
        { ...meter.readings[1], metric: "", unit: "u".repeat(33) },
      ],
    } as unknown as Envelope;
    const binary = errorOf(encodeBinaryEnvelope(bad));
    expect(binary.code).toBe("CONTRACT_INVALID_ENVELOPE");
    expect(binary.issues).toEqual([
      { path: "site", message: "expected 1-64 characters of A-Z, a-z, 0-9, '_' or '-'" },
      { path: "seq", message: "expected an integer" },
      { path: "readings[0].ts", message: "expected a source time on or after 2000-01-01" },
      { path: "readings[0].value", message: "Invalid input: expected number, received NaN" },
      { path: "readings[1].metric", message: "expected 1-128 characters of A-Z, a-z, 0-9, '_', '.', '-'" },
      { path: "readings[1].unit", message: "expected a unit of at most 32 characters" },
    ]);
    // The JSON form says the same (NaN aside, which JSON cannot carry).
    const json = errorOf(
      encodeEnvelope({ ...bad, readings: [{ ...bad.readings[0], value: 1 }, bad.readings[1]] } as Envelope),
    );
    expect(json.issues).toEqual(binary.issues.filter((i) => (i as { path: string }).path !== "readings[0].value"));
  });

  it("refuse broken framing with the field and the byte offset, and never throw", () => {
    const bytes = encodeBinaryEnvelope(meter);
    expect(errorOf(bytes.subarray(0, 10))).toMatchObject({
      code: "CONTRACT_MALFORMED_BINARY",
      message: "binary envelope: site at byte 4: 9 bytes needed, 6 left",
    });
    expect(errorOf(bytes.subarray(0, bytes.length - 1)).message).toBe(
      "binary envelope: readings at byte 83: 3 readings need 63 bytes, 62 are there",
    );
    expect(errorOf(Buffer.concat([bytes, Buffer.from([0])])).message).toBe(
      "binary envelope: readings at byte 83: 3 readings need 63 bytes, 64 are there",
    );
    const badQuality = Buffer.from(bytes);
    badQuality[83 + 4] = 3;
    expect(errorOf(badQuality).message).toBe("binary envelope: reading 0 at byte 83: no such quality");
    const badMetric = Buffer.from(bytes);
    badMetric.writeUInt16LE(6, 83);
    expect(errorOf(badMetric).message).toBe("binary envelope: reading 0 at byte 83: no such metric");
    const badUtf8 = Buffer.from(
      encodeBinaryEnvelope({ ...meter, readings: [{ ...meter.readings[0], unit: "µ" }] } as Envelope),
    );
    const unitAt = badUtf8.indexOf(Buffer.from("µ")); // 0xC2 0xB5
    badUtf8[unitAt + 1] = 0x41;
    expect(errorOf(badUtf8).message).toBe(`binary envelope: string 1 at byte ${unitAt - 1}: not valid UTF-8`);
    expect(() => readBinaryEnvelope(Buffer.from('{"v":1}'))).toThrow(BinaryEnvelopeError);

    // Every truncation and 5,000 random byte changes: an error or a valid envelope, never a throw.
    let rejected = 0;
    for (let n = 4; n < bytes.length; n++) if (!tryDecodeEnvelope(bytes.subarray(0, n)).ok) rejected++;
    expect(rejected).toBe(bytes.length - 4);
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5_000; i++) {
      const mutated = Buffer.from(bytes);
      mutated[4 + Math.floor(random() * (mutated.length - 4))] = Math.floor(random() * 256);
      const result = tryDecodeEnvelope(mutated);
      if (!result.ok) expect(result.error.code).toMatch(/^CONTRACT_(MALFORMED_BINARY|INVALID_ENVELOPE)$/);
    }
  });

  it("are read and checked in one pass exactly as read-then-checked, over 30,000 corrupted envelopes", () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    // Bytes that make the interesting values: separators in ids and metrics, NaN/∞ and fractions in
    // numbers, non-ASCII and broken UTF-8 in strings, string indexes and qualities out of range.
    const bytes = [0x00, 0x01, 0x02, 0x03, 0x2e, 0x2f, 0x41, 0x7f, 0x80, 0xc3, 0xe0, 0xf0, 0xff, 0x3f, 0x7e];
    const base = encodeBinaryEnvelope({
      ...meter,
      readings: [
        ...meter.readings,
        { metric: "flow.total", ts: 1_767_600_000_200, value: 4, unit: "", quality: "good" },
      ],
    });
    // And numbers a reading's ts or value may be set to (the last 4 readings are 21 bytes each).
    const numbers = [Number.NaN, Number.POSITIVE_INFINITY, -0, 0.5, MAX_SOURCE_TS, MAX_SOURCE_TS + 1, 946_684_799_999];
    const outcomes = { accepted: 0, refused: 0, framing: 0 };
    for (let i = 0; i < 30_000; i++) {
      const b = Buffer.from(base);
      if (i % 2 === 0) {
        const at = b.length - 21 * (1 + random(4)) + (random(2) === 0 ? 5 : 13);
        b.writeDoubleLE(numbers[random(numbers.length)] as number, at);
      }
      for (let k = random(3); k > 0; k--) b[random(b.length)] = bytes[random(bytes.length)] as number;
      let slow: Envelope | undefined | "framing";
      try {
        const fields = readBinaryEnvelope(b);
        slow = isValidEnvelope(fields) ? fields : undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(BinaryEnvelopeError);
        slow = "framing";
      }
      let fast: Envelope | undefined | "framing";
      try {
        fast = readCheckedBinaryEnvelope(b);
      } catch (error) {
        expect(error).toBeInstanceOf(BinaryEnvelopeError);
        fast = "framing";
      }
      // Broken framing the one-pass reader may meet as a failed check: it only has to refuse it.
      if (slow === "framing") expect(fast === "framing" || fast === undefined).toBe(true);
      else expect(fast).toEqual(slow);
      outcomes[slow === "framing" ? "framing" : slow === undefined ? "refused" : "accepted"]++;
    }
    // Every kind of outcome was met many times: the corruption reached all of them.
    expect(Math.min(outcomes.accepted, outcomes.refused, outcomes.framing)).toBeGreaterThan(1_000);
  });

  it("check each envelope's metrics afresh, whatever the envelope before held (one set of marks is reused)", () => {
    // 70 distinct metrics: more than the marks first hold, so they grow; all pass.
    const wide = {
      ...meter,
      readings: Array.from({ length: 70 }, (_, i) => ({ ...meter.readings[0], metric: `m${i}`, unit: `u${i}` })),
    } as Envelope;
    expect(readCheckedBinaryEnvelope(encodeBinaryEnvelope(wide))?.readings.length).toBe(70);
    // Then a bad metric and a bad unit at the indexes that passed just before: refused.
    const badMetric = { ...meter, readings: [{ ...meter.readings[0], metric: "no/slash" }] } as Envelope;
    expect(readCheckedBinaryEnvelope(encodeBinaryEnvelope(badMetric))).toBeUndefined();
    const badUnit = { ...meter, readings: [{ ...meter.readings[0], unit: "u".repeat(33) }] } as Envelope;
    expect(readCheckedBinaryEnvelope(encodeBinaryEnvelope(badUnit))).toBeUndefined();
    expect(readCheckedBinaryEnvelope(encodeBinaryEnvelope(meter))).toEqual(meter);
  });

  it("decode many different strings right (the interned strings are looked up by content)", () => {
    for (let i = 0; i < 20_000; i++) {
      const device = `d-${(i * 7_919).toString(36)}`;
      const e = decoded(encodeBinaryEnvelope({ ...meter, device, seq: i }));
      if (e.device !== device) expect(e.device).toBe(device);
    }
    expect(decoded(encodeBinaryEnvelope({ ...meter, device: "x" })).device).toBe("x");
  });

  it("give their head (route, identity, reading count) without their readings being read", () => {
    const bytes = encodeBinaryEnvelope(meter);
    const head = { site: "meters-3", gateway: "meter-17", device: "meter-17", bootId: "b-1a2b3c", seq: 981 };
    expect(readBinaryEnvelopeHead(bytes)).toEqual({ ...head, readings: 3 });
    // The readings' bytes are not looked at: a head reads even when they are cut off.
    expect(readBinaryEnvelopeHead(bytes.subarray(0, 83))).toEqual({ ...head, readings: 3 });
    expect(() => readBinaryEnvelopeHead(bytes.subarray(0, 60))).toThrow("string 2 at byte 59: 8 bytes needed, 1 left");
  });

  it("cannot hold a string over 255 UTF-8 bytes: the encoder says which", () => {
    const long = { ...meter, readings: [{ ...meter.readings[0], unit: "µ".repeat(128) }] } as Envelope;
    expect(() => encodeBinaryEnvelope(long)).toThrow(`unit "${"µ".repeat(40)}": 256 UTF-8 bytes, more than 255`);
  });
});
