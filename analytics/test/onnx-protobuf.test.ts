import { describe, expect, it } from "vitest";
import { AnalyticsError } from "../src/onnx/analytics-error.ts";
import { fieldInt, fieldText, protobufFields } from "../src/onnx/protobuf-reader.ts";
import { ProtobufWriter } from "../src/onnx/protobuf-writer.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

// Vectors from https://protobuf.dev/programming-guides/encoding/ unless noted.
describe("ProtobufWriter", () => {
  it("writes field 1 = 150 as 08 96 01 (§A Simple Message)", () => {
    expect(hex(new ProtobufWriter().int64(1, 150).finish())).toBe("089601");
  });

  it("writes the string 'testing' in field 2 as 12 07 74 65 73 74 69 6e 67 (§Length-Delimited Records)", () => {
    expect(hex(new ProtobufWriter().string(2, "testing").finish())).toBe("120774657374696e67");
  });

  it("writes an embedded message {1: 150} in field 3 as 1a 03 08 96 01 (§Submessages)", () => {
    expect(hex(new ProtobufWriter().message(3, (m) => m.int64(1, 150)).finish())).toBe("1a03089601");
  });

  it("writes int64 -2 as ten bytes of two's complement (§Signed Integers)", () => {
    expect(hex(new ProtobufWriter().int64(1, -2).finish())).toBe("08feffffffffffffffff01");
  });

  it("writes a float as 4 little-endian bytes with wire type 5 (§Non-varint Numbers)", () => {
    expect(hex(new ProtobufWriter().float(2, 1).finish())).toBe("150000803f");
  });

  it("writes the largest int64 and field numbers above 15 (two-byte tags)", () => {
    expect(hex(new ProtobufWriter().int64(20, 2n ** 63n - 1n).finish())).toBe("a001ffffffffffffffff7f");
  });

  it("grows its buffer past the initial 256 bytes", () => {
    const payload = new Uint8Array(1000).fill(7);
    const bytes = new ProtobufWriter().bytes(9, payload).finish();
    expect(bytes.length).toBe(1 + 2 + 1000);
    expect(hex(bytes.subarray(0, 3))).toBe("4ae807");
  });
});

describe("protobufFields", () => {
  it("reads back what the writer wrote, in order", () => {
    const bytes = new ProtobufWriter()
      .int64(1, -1)
      .string(2, "井下 CO")
      .float(3, 0.5)
      .message(4, (m) => m.int64(1, 3))
      .finish();
    const fields = [...protobufFields(bytes)];
    expect(fields.map((f) => [f.field, f.wire])).toEqual([
      [1, 0],
      [2, 2],
      [3, 5],
      [4, 2],
    ]);
    expect(fieldInt(fields[0] as never)).toBe(-1);
    expect(fieldText(fields[1] as never)).toBe("井下 CO");
    expect(hex((fields[3] as { value: Uint8Array }).value)).toBe("0803");
  });

  it("refuses a truncated length-delimited field", () => {
    const bytes = new ProtobufWriter().string(2, "testing").finish().subarray(0, 5);
    expect(() => [...protobufFields(bytes)]).toThrow(
      new AnalyticsError(
        "ANALYTICS_MODEL_INVALID",
        "not a protobuf message: a field of 7 bytes runs past the end (5 bytes) at byte 2",
        { at: 2 },
      ),
    );
  });

  it("refuses wire types 3 and 4 (groups), which ONNX never uses", () => {
    expect(() => [...protobufFields(Uint8Array.of(0x0b))]).toThrow("unsupported wire type 3");
  });
});
