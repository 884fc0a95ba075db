import { describe, expect, it } from "vitest";
import { decodeBody } from "../src/adapters/sl651/body-decoder.ts";
import { encodingFor } from "../src/adapters/sl651/element-mapping.ts";
import {
  buildFrame,
  crc16,
  decodeSignedBcd,
  encodeSignedBcd,
  FrameReader,
  MAX_FRAME_LENGTH,
  parseFrame,
  type ReaderEvent,
} from "../src/adapters/sl651/index.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
/** Published examples (test report 30, its confirmation, keep-alive 2F) whose CRCs check out. */
const TEST_REPORT = hex(
  "7E7E010012345678123430002B020003591011154947F1F1001234567848F0F0591011154920190000052619000005392300000127381211150320FA",
);
const TEST_REPORT_REPLY = hex("7E7E00123456780112343080080200035910111549471B75D4");
const KEEP_ALIVE = hex("7E7E01001234567812342F0008020003591011155111036BCA");

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error("expected an error");
};
const summary = (events: ReaderEvent[]) =>
  events.map((e) => (e.kind === "frame" ? `frame ${e.frame.functionCode.toString(16)}` : e.error.code));

describe("crc16 (SL 651-2014 §6.5.2)", () => {
  it("is CRC-16/MODBUS: check value of '123456789' is 0x4B37", () => {
    expect(crc16(Buffer.from("123456789", "ascii"))).toBe(0x4b37);
  });

  it("matches the published frames, high byte first", () => {
    expect(crc16(TEST_REPORT, 0, TEST_REPORT.length - 2)).toBe(0x20fa);
    expect(crc16(TEST_REPORT_REPLY, 0, TEST_REPORT_REPLY.length - 2)).toBe(0x75d4);
  });
});

describe("parseFrame / buildFrame", () => {
  it("parses the published test report", () => {
    const frame = parseFrame(TEST_REPORT);
    expect({ ...frame, body: frame.body.toString("hex").toUpperCase() }).toEqual({
      direction: "up",
      centre: 1,
      station: "0012345678",
      password: "1234",
      functionCode: 0x30,
      start: "STX",
      body: "0003591011154947F1F1001234567848F0F05910111549201900000526190000053923000001273812111" + "5",
      end: "ETX",
      length: 60,
    });
  });

  it("rebuilds the published confirmation byte for byte (downlink: station before centre)", () => {
    const built = buildFrame({
      direction: "down",
      centre: 1,
      station: "0012345678",
      password: "1234",
      functionCode: 0x30,
      body: hex("0003 591011154947"),
      end: "ESC",
    });
    expect(built.toString("hex")).toBe(TEST_REPORT_REPLY.toString("hex"));
    expect(parseFrame(built)).toMatchObject({ direction: "down", centre: 1, station: "0012345678", end: "ESC" });
  });

  it("refuses to build a packet number out of range", () => {
    const spec = { direction: "up", centre: 1, station: "0012345678", password: "1234", functionCode: 0x36 } as const;
    expect(() => buildFrame({ ...spec, body: hex("00"), end: "ETX", packet: { total: 2, seq: 3 } })).toThrow(
      "packet 3 of 2 is out of range (count 1..4095, sequence 1..count)",
    );
  });

  it("round-trips a SYN packet with its count and sequence number in the body length", () => {
    const built = buildFrame({
      direction: "up",
      centre: 3,
      station: "1234567890",
      password: "ABCD",
      functionCode: 0x36,
      body: hex("010203"),
      end: "ETB",
      packet: { total: 300, seq: 257 },
    });
    expect(built.subarray(11, 17).toString("hex")).toBe("000616" + "12c101");
    expect(parseFrame(built)).toMatchObject({ start: "SYN", packet: { total: 300, seq: 257 }, end: "ETB" });
    expect(parseFrame(built).body.toString("hex")).toBe("010203");
  });

  it("names expected and actual CRC", () => {
    const bad = Buffer.from(TEST_REPORT);
    bad[bad.length - 1] = 0xfb;
    expect(errorOf(() => parseFrame(bad))).toEqual({
      code: "EDGE_SL651_BAD_CRC",
      message: "frame from station 0012345678, function 30: CRC mismatch: expected 0x20FA, actual 0x20FB",
    });
  });

  it("refuses a length that does not end at ETX/ETB, a bad start character and a bad packet number", () => {
    const short = Buffer.from(TEST_REPORT);
    short[12] = 0x2a;
    expect(errorOf(() => parseFrame(short))).toEqual({
      code: "EDGE_SL651_BAD_LENGTH",
      message:
        "frame from station 0012345678, function 30: body length 42 puts the end character at frame byte 56, but 0x15 is there, not ETX (03) or ETB (17) (frame truncated or length wrong)",
    });
    const start = Buffer.from(KEEP_ALIVE);
    start[13] = 0x03;
    expect(errorOf(() => parseFrame(start))).toEqual({
      code: "EDGE_SL651_BAD_FRAME",
      message:
        "frame from station 0012345678, function 2F: start character 0x03 at frame byte 13 is neither STX (02) nor SYN (16)",
    });
    const packet = buildFrame({
      direction: "up",
      centre: 1,
      station: "0012345678",
      password: "1234",
      functionCode: 0x36,
      body: hex("00"),
      end: "ETX",
      packet: { total: 2, seq: 2 },
    });
    packet[16] = 3; // sequence 3 of 2
    const crc = crc16(packet, 0, packet.length - 2);
    packet.writeUInt16BE(crc, packet.length - 2);
    expect(errorOf(() => parseFrame(packet))).toEqual({
      code: "EDGE_SL651_BAD_FRAME",
      message: "frame from station 0012345678, function 36: packet 3 of 2 is out of range (1..count)",
    });
  });
});

describe("signed BCD (§6.6.3.3)", () => {
  it.each([
    ["00000127", 3, 0.127],
    ["FF00001234", 3, -1.234],
    ["FF0055", 1, -5.5],
    ["1115", 2, 11.15],
    ["000000", 1, 0],
  ])("%s with %i decimals is %d", (bytes, decimals, value) => {
    expect(decodeSignedBcd(hex(bytes), decimals, "test")).toBe(value);
    expect(encodeSignedBcd(value, hex(bytes).length, decimals).toString("hex").toUpperCase()).toBe(bytes);
  });

  it("treats all-FF as no data and names a bad nibble", () => {
    expect(decodeSignedBcd(hex("FFFFFFFF"), 3, "test")).toBeUndefined();
    expect(errorOf(() => decodeSignedBcd(hex("000A1234"), 3, "element 39"))).toEqual({
      code: "EDGE_SL651_BAD_BCD",
      message: "element 39: value 000A1234 is not BCD (byte 0x0A)",
    });
  });
});

describe("FrameReader", () => {
  it("yields the same frames fed byte by byte as in one chunk", () => {
    const stream = Buffer.concat([TEST_REPORT, KEEP_ALIVE, TEST_REPORT]);
    const reader = new FrameReader();
    const events: ReaderEvent[] = [];
    for (const byte of stream) events.push(...reader.push(Uint8Array.of(byte)));
    expect(summary(events)).toEqual(["frame 30", "frame 2f", "frame 30"]);
    expect(reader.pending).toBe(0);
  });

  it("resynchronises on the next 7E7E after a corrupt frame and a lost tail", () => {
    const corrupt = Buffer.from(TEST_REPORT);
    corrupt[30] = (corrupt[30] as number) ^ 0xff;
    const cut = TEST_REPORT.subarray(0, 40);
    const reader = new FrameReader();
    const events = reader.push(Buffer.concat([corrupt, cut, KEEP_ALIVE]));
    expect(summary(events)).toEqual(["EDGE_SL651_BAD_CRC", "EDGE_SL651_BAD_LENGTH", "frame 2f"]);
  });

  it("holds at most one incomplete frame: garbage and oversized claims do not grow the buffer", () => {
    const reader = new FrameReader();
    const events: ReaderEvent[] = [...reader.push(Buffer.alloc(100_000, 0x41))];
    expect(reader.pending).toBe(0);
    const longClaim = Buffer.from(KEEP_ALIVE.subarray(0, 14));
    longClaim[11] = 0x0f;
    longClaim[12] = 0xff; // 4095 bytes announced
    events.push(...reader.push(longClaim));
    let largest = 0;
    for (let i = 0; i < 20; i++) {
      events.push(...reader.push(Buffer.alloc(1_000, 0x41)));
      largest = Math.max(largest, reader.pending);
    }
    events.push(...reader.flush("the test ended"));
    expect(largest).toBeLessThanOrEqual(MAX_FRAME_LENGTH);
    expect(events.map((e) => (e.kind === "error" ? e.error.message : "frame"))).toEqual([
      "discarded 100000 bytes outside any frame (no 7E7E start): 41414141414141414141414141414141…",
      "frame from station 0012345678, function 2F: body length 4095 puts the end character at frame byte 4109, but 0x41 is there, not ETX (03) or ETB (17) (frame truncated or length wrong)",
    ]);
    expect(reader.pending).toBe(0);
    expect(reader.discardedBytes).toBe(100_000 + 14 + 20_000);
  });

  it("skips one stray 7E before a frame start and reports it", () => {
    const reader = new FrameReader();
    const events = reader.push(Buffer.concat([TEST_REPORT, Buffer.from([0x7e]), KEEP_ALIVE]));
    expect(summary(events)).toEqual(["frame 30", "EDGE_SL651_NOT_A_FRAME", "frame 2f"]);
  });
});

describe("decodeBody", () => {
  const options = { offsetMinutes: 480, seriesAnchor: "end" as const, encodingOf: (id: string) => encodingFor(id) };
  const body = (s: string) => hex(`0001 260701080000 ${s}`);

  it("refuses an element before any observation time and one that runs past the body", () => {
    expect(errorOf(() => decodeBody(0x32, body("3923 00001234"), options))).toEqual({
      code: "EDGE_SL651_BAD_ELEMENT",
      message: "element 39 at body byte 8 comes before any observation time (F0F0)",
    });
    expect(errorOf(() => decodeBody(0x32, body("F0F0 2607010800 3923 0000"), options))).toEqual({
      code: "EDGE_SL651_BAD_ELEMENT",
      message: "element 39 at body byte 15 needs 4 bytes but only 2 remain in the body",
    });
  });

  it("refuses an impossible observation time and a non-BCD send time", () => {
    expect(errorOf(() => decodeBody(0x32, body("F0F0 2613010800"), options))).toEqual({
      code: "EDGE_SL651_BAD_TIME",
      message: "observation time 2026-13-01 08:00:00 is not a valid time",
    });
    expect(errorOf(() => decodeBody(0x2f, hex("0001 26070108A000"), options))).toEqual({
      code: "EDGE_SL651_BAD_BCD",
      message: "send time A0 is not BCD (byte 0xA0)",
    });
  });

  it("reads F5 as 24 bytes as table C.1 fixes it, even under a vendor's 0x5C definition", () => {
    const decoded = decodeBody(
      0x34,
      body(`F0F0 2607010800 F55C ${"0AAA".repeat(2)}${"FFFF".repeat(10)} 3812 1290`),
      options,
    );
    expect(decoded.elements.map((e) => [e.id, e.samples.length, e.missing])).toEqual([
      ["F5", 2, 10],
      ["38", 1, 0],
    ]);
    expect(decoded.elements[0]?.samples[0]).toEqual({ ts: Date.UTC(2026, 6, 1, 7, 5) - 8 * 3_600_000, value: 27.3 });
  });

  it("keeps decoding the other elements when one value is not BCD", () => {
    const decoded = decodeBody(0x32, body("F0F0 2607010800 3923 000A1234 3812 1250"), options);
    expect(decoded.problems.map((p) => p.message)).toEqual([
      "element 39 at body byte 15: value 000A1234 is not BCD (byte 0x0A)",
    ]);
    expect(decoded.elements.map((e) => [e.id, e.samples.map((s) => s.value)])).toEqual([
      ["39", []],
      ["38", [12.5]],
    ]);
  });
});
