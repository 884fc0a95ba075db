import { describe, expect, it } from "vitest";
import { isValidEnvelope } from "../src/envelope-check.ts";
import { type Envelope, readCheckedJsonEnvelope, tryDecodeEnvelope } from "../src/index.ts";

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
    { metric: "dust.pm2_5", ts: 1_767_600_000_126, value: 35.25, unit: "µg/m³", quality: "good" },
    { metric: "temp", ts: 1_767_600_000_127, value: 0, unit: "℃", quality: "good" },
    { metric: "flow", ts: 1_767_600_000_128, value: 4, unit: "", quality: "good" },
  ],
};

const bytes = (text: string) => Buffer.from(text, "utf8");

/** What the slow path makes of the bytes: the envelope, "invalid" (parsed, refused) or "malformed". */
function slowRead(b: Uint8Array): Envelope | "invalid" | "malformed" {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b));
  } catch {
    return "malformed";
  }
  return isValidEnvelope(json) ? json : "invalid";
}

describe("the one-pass JSON envelope reader", () => {
  it("builds exactly what JSON.parse builds, in any key order and with white space", () => {
    const shuffled = `{ "readings" : [${meter.readings
      .map(
        (r) =>
          `{"quality":"${r.quality}",\t"unit":"${r.unit}", "value":${r.value},"ts":${r.ts},"metric":"${r.metric}"}`,
      )
      .join(
        " ,\r\n ",
      )}], "seq":981, "bootId":"b-1a2b3c","device":"meter-17","gateway":"meter-17","site":"meters-3","v":1 }\n`;
    const longest = JSON.stringify({
      ...meter,
      device: "d".repeat(64),
      readings: [{ ...meter.readings[0], metric: `p.${"-".repeat(126)}` }],
    });
    expect(readCheckedJsonEnvelope(bytes(longest))).toEqual(JSON.parse(longest));
    for (const text of [JSON.stringify(meter), JSON.stringify(meter, null, 2), shuffled]) {
      const read = readCheckedJsonEnvelope(bytes(text));
      expect(read).toEqual(JSON.parse(text));
      expect(read).toEqual(meter);
    }
  });

  it("reads numbers exactly as JSON.parse does", () => {
    const numbers = [
      ...["0", "-0", "0.0", "-0.0", "1", "-1", "0.1", "0.2", "0.3", "1.5", "-231.25", "4.35", "1e2", "1E2", "1e+2"],
      ...["1e-7", "-2.5e-3", "123.456e3", "0.000123", "1.7976931348623157e308", "5e-324", "9007199254740991"],
      ...["123456789012345", "1234567890123456", "12345678901234567", "0.1234567890123456789", "1e22", "1e23"],
      ...["3.14159265358979", "2.718281828459045", "100000000000000000000000", "1.0000000000000002", "8.5e-310"],
      // 16 and 17 digits, where digits ÷ 10^k rounds twice and misses the nearest double.
      ...["92907743.81605701", "6020631.7755964340", "344600532281828.29"],
    ];
    for (const n of numbers) {
      const text = JSON.stringify({ ...meter, readings: [meter.readings[0]] }).replace('"value":981', `"value":${n}`);
      const read = readCheckedJsonEnvelope(bytes(text));
      // Object.is: -0 stays -0; every digit of the double is the same.
      expect(Object.is(read?.readings[0]?.value, JSON.parse(n)), n).toBe(true);
    }
    const ts = JSON.stringify({ ...meter, readings: [meter.readings[0]] }).replace("1767600000123", "1767600000123.0");
    expect(readCheckedJsonEnvelope(bytes(ts))?.readings[0]?.ts).toBe(1_767_600_000_123);
  });

  it("leaves the rare forms to JSON.parse, which accepts them", () => {
    const text = JSON.stringify(meter);
    const rare = [
      ["an escape in a unit", text.replace('"unit":"kW"', '"unit":"k\\u0057"')],
      ["a duplicate key", text.replace('"seq":981', '"seq":980,"seq":981')],
      ["a byte-order mark", `\uFEFF${text}`],
      ["an escaped slash in a unit", text.replace('"unit":"kW"', '"unit":"m\\/s"')],
    ] as const;
    for (const [name, form] of rare) {
      expect(readCheckedJsonEnvelope(bytes(form)), name).toBeUndefined();
      const decoded = tryDecodeEnvelope(bytes(form));
      expect(decoded.ok, name).toBe(true);
    }
  });

  it("refuses what the check refuses, and the slow path says why", () => {
    const text = JSON.stringify(meter);
    const refused = [
      ["v 2", text.replace('"v":1', '"v":2'), "CONTRACT_UNSUPPORTED_VERSION"],
      ["a dot in a site", text.replace('"site":"meters-3"', '"site":"meters.3"'), "CONTRACT_INVALID_ENVELOPE"],
      ["a fractional ts", text.replace("1767600000123", "1767600000123.5"), "CONTRACT_INVALID_ENVELOPE"],
      ["a value too large for a double", text.replace('"value":981', '"value":1e400'), "CONTRACT_INVALID_ENVELOPE"],
      ["an unknown key", text.replace('"seq":981', '"seq":981,"note":"x"'), "CONTRACT_INVALID_ENVELOPE"],
      ["no readings", text.replace(/"readings":\[.*\]/, '"readings":[]'), "CONTRACT_INVALID_ENVELOPE"],
      ["a leading zero", text.replace('"value":981', '"value":0981'), "CONTRACT_MALFORMED_JSON"],
      ["a second value", `${text} {}`, "CONTRACT_MALFORMED_JSON"],
      [
        "a device of 65 characters",
        text.replace('"device":"meter-17"', `"device":"${"d".repeat(65)}"`),
        "CONTRACT_INVALID_ENVELOPE",
      ],
      [
        "a metric of 129 characters",
        text.replace('"metric":"power"', `"metric":"${"p".repeat(129)}"`),
        "CONTRACT_INVALID_ENVELOPE",
      ],
      [
        "a metric starting with a dot",
        text.replace('"metric":"power"', '"metric":".power"'),
        "CONTRACT_INVALID_ENVELOPE",
      ],
      [
        "a unit of 33 characters",
        text.replace('"unit":"kW"', `"unit":"${"µ".repeat(33)}"`),
        "CONTRACT_INVALID_ENVELOPE",
      ],
      [
        "a value of 100,000 digits",
        text.replace('"value":981', `"value":1${"0".repeat(100_000)}`),
        "CONTRACT_INVALID_ENVELOPE",
      ],
      ["a broken UTF-8 unit", text.replace('"unit":"kW"', '"unit":"\xc3"'), "CONTRACT_MALFORMED_JSON"],
    ] as const;
    for (const [name, form, code] of refused) {
      const b = name.includes("UTF-8") ? Buffer.from(form, "latin1") : bytes(form);
      expect(readCheckedJsonEnvelope(b), name).toBeUndefined();
      const decoded = tryDecodeEnvelope(b);
      expect(decoded.ok ? "accepted" : decoded.error.code, name).toBe(code);
    }
  });

  it("gives JSON.parse's verdict and envelope over 30,000 corrupted envelopes", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    // Bytes that change the structure, the numbers and the strings: JSON's punctuation, digits and
    // exponents, white space, separators forbidden in ids, escapes, control bytes, broken UTF-8.
    const replacements = [...' "\\,:{}[]09-.eE+a_/\t', "\x00", "\x1f", "\x7f"].map((c) => c.charCodeAt(0));
    replacements.push(0x80, 0xc3, 0xb5, 0xff);
    const numbers = ["-0", "1e400", "0.1", "01", "1.", ".5", "1e-400", "12345678901234567", "1767600000123.0"];
    numbers.push("946684799999", "4102444800001", "1e3", "-1", "4.35", "2e12", "0e0", "92907743.81605701");
    const base = bytes(JSON.stringify(meter));
    const outcomes = { both: 0, slowOnly: 0, invalid: 0, malformed: 0 };
    for (let i = 0; i < 30_000; i++) {
      let text = base;
      if (i % 3 === 0) {
        // A number of the envelope replaced by one from the list.
        const s = text.toString("latin1");
        const spots = [...s.matchAll(/-?\d[\d.eE+-]*/g)];
        const spot = spots[random(spots.length)] as RegExpMatchArray;
        const at = spot.index as number;
        const n = numbers[random(numbers.length)] as string;
        text = Buffer.concat([text.subarray(0, at), bytes(n), text.subarray(at + spot[0].length)]);
      } else {
        text = Buffer.from(text);
      }
      for (let k = random(3); k > 0; k--)
        text[random(text.length)] = replacements[random(replacements.length)] as number;
      const slow = slowRead(text);
      const fast = readCheckedJsonEnvelope(text);
      if (fast !== undefined) {
        expect(slow).toEqual(fast); // toEqual tells -0 from 0
        outcomes.both++;
      } else if (typeof slow === "string") outcomes[slow]++;
      else outcomes.slowOnly++;
    }
    // Every kind of outcome was met many times; what the fast reader left to the slow path and the
    // slow path accepted is only the rare forms (escapes, duplicates, long numbers).
    expect(Math.min(outcomes.both, outcomes.invalid, outcomes.malformed)).toBeGreaterThan(1_000);
    expect(outcomes.slowOnly).toBeLessThan(outcomes.both / 20);
  });
});
