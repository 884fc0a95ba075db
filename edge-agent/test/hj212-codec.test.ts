import { describe, expect, it } from "vitest";
import {
  buildDataResponse,
  buildFrame,
  DEFAULT_FLAG_QUALITY,
  FrameReader,
  hj212Crc,
  modbusCrc,
  parseCp,
  parseDataTime,
  parseFlag,
  parseFrame,
  qualityOf,
  utcOffsetMinutes,
} from "../src/adapters/hj212/index.ts";

/** HJ 212-2017 Appendix A's example, verbatim. */
const APPENDIX_A =
  "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80";
/** HJ 212-2025 Appendix A.1's example, as a public implementation extracted it from the standard. */
const APPENDIX_A1_2025 =
  "##0087QN=20240601085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&&&2200";
const DUST_2011 =
  "##0141QN=20260105080000132;ST=39;CN=2011;PW=123456;MN=0101390000DUST0000000001;Flag=5;CP=&&DataTime=20260105080000;a34001-Rtd=152.3,a34001-Flag=N&&B381\r\n";

/** The Appendix A listing, bit by bit: the reference the table-driven code must agree with. */
function appendixACrc(bytes: Uint8Array): number {
  let reg = 0xffff;
  for (const byte of bytes) {
    reg = (reg >> 8) ^ byte;
    for (let j = 0; j < 8; j++) {
      const check = reg & 0x0001;
      reg >>= 1;
      if (check === 0x0001) reg ^= 0xa001;
    }
  }
  return reg;
}

/** A seeded generator: the same "random" bytes every run. */
function bytesFrom(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const segmentOf = (frame: string) => Buffer.from(frame.slice(6, 6 + Number(frame.slice(2, 6))));

describe("HJ 212 CRC", () => {
  it("verifies the example of HJ 212-2017 Appendix A (1C80)", () => {
    expect(segmentOf(APPENDIX_A).length).toBe(101);
    expect(hj212Crc(segmentOf(APPENDIX_A))).toBe(0x1c80);
    expect(appendixACrc(segmentOf(APPENDIX_A))).toBe(0x1c80);
  });

  it("verifies the example of HJ 212-2025 Appendix A.1 (2200)", () => {
    expect(hj212Crc(segmentOf(APPENDIX_A1_2025))).toBe(0x2200);
  });

  it("is not CRC-16/MODBUS", () => {
    expect(modbusCrc(segmentOf(APPENDIX_A))).toBe(0x0759);
    expect(modbusCrc(Buffer.from("123456789"))).toBe(0x4b37); // the CRC catalogue's check value
    expect(hj212Crc(Buffer.from("123456789"))).not.toBe(0x4b37);
  });

  it("agrees with the Appendix A listing on seeded random data", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const data = bytesFrom(seed, seed * 7);
      expect(hj212Crc(data)).toBe(appendixACrc(data));
    }
  });
});

describe("parseFrame", () => {
  it("decodes the Appendix A example, with or without CR LF, with either case of hex", () => {
    const expected = {
      qn: "20160801085857223",
      st: "32",
      cn: "1062",
      pw: "100000",
      mn: "010000A8900016F000169DC0",
      flag: { value: 5, versionNumber: 1, packetized: false, replyRequested: true },
      version: "2017",
      pnum: undefined,
      pno: undefined,
      resend: false,
      cp: { fields: new Map([["RtdInterval", "30"]]), factors: new Map() },
      crc: "hj212",
    };
    expect(parseFrame(APPENDIX_A)).toEqual(expected);
    expect(parseFrame(`${APPENDIX_A}\r\n`)).toEqual(expected);
    expect(parseFrame(Buffer.from(APPENDIX_A.replace(/1C80$/, "1c80")))).toEqual(expected);
  });

  it("reads factors and tells the dialect", () => {
    const frame = parseFrame(DUST_2011);
    expect(frame.cp).toEqual({
      fields: new Map([["DataTime", "20260105080000"]]),
      factors: new Map([
        [
          "a34001",
          new Map([
            ["Rtd", "152.3"],
            ["Flag", "N"],
          ]),
        ],
      ]),
    });
    const modbus = buildFrame(DUST_2011.slice(6, 6 + 141), "modbus");
    expect(parseFrame(modbus, "either").crc).toBe("modbus");
    expect(() => parseFrame(modbus)).toThrow(/^bad CRC: the frame says [0-9A-F]{4}, the HJ 212 CRC is B381$/);
  });

  it("counts the length in bytes of UTF-8 (HJ 212-2025 allows Chinese in the data area)", () => {
    const segment =
      "QN=20260105080000001;ST=39;CN=3020;PW=123456;MN=0101390000DUST0000000001;Flag=8;CP=&&DataTime=20260105080000;Site=工地一号&&";
    const frame = buildFrame(segment);
    expect(frame.toString("latin1", 2, 6)).toBe(String(Buffer.byteLength(segment)).padStart(4, "0"));
    expect(Buffer.byteLength(segment)).toBe(segment.length + 8);
    expect(parseFrame(frame).cp.fields.get("Site")).toBe("工地一号");
  });

  it("refuses what is not a frame, naming the problem", () => {
    const bad = (text: string) => {
      try {
        parseFrame(text);
      } catch (error) {
        return [(error as { code: string }).code, (error as Error).message];
      }
      return ["no error"];
    };
    expect(bad("#0101QN=1")).toEqual(["EDGE_HJ212_BAD_LENGTH", 'a frame starts with ##, this one with "#0101Q"']);
    expect(bad(APPENDIX_A.replace("##0101", "##0102"))).toEqual([
      "EDGE_HJ212_BAD_LENGTH",
      "length field says 102 bytes, the data segment has 101",
    ]);
    expect(bad(APPENDIX_A.replace(/1C80$/, "1CX0"))).toEqual([
      "EDGE_HJ212_BAD_CRC",
      'CRC field "1CX0" is not 4 hex digits',
    ]);
    const notUtf8 = Buffer.concat([
      Buffer.from("QN=20260105080000001;ST=39;CN=2011;PW=1;MN=A;Flag=4;CP=&&x="),
      Buffer.of(0xff),
      Buffer.from("&&"),
    ]);
    const framed = buildFrame("x"); // length and CRC of a UTF-8 string; rebuild by hand for raw bytes
    expect(framed.length).toBe(13);
    const raw = Buffer.concat([
      Buffer.from(`##${String(notUtf8.length).padStart(4, "0")}`),
      notUtf8,
      Buffer.from(hj212Crc(notUtf8).toString(16).toUpperCase().padStart(4, "0")),
    ]);
    expect(() => parseFrame(raw)).toThrow("the data segment is not valid UTF-8");
  });

  it("treats keys from the wire as plain keys", () => {
    const cp = parseCp("__proto__=1;constructor-Rtd=2,constructor-Flag=constructor");
    expect(cp.fields.get("__proto__")).toBe("1");
    expect(cp.factors.get("constructor")?.get("Rtd")).toBe("2");
    expect(qualityOf("constructor", DEFAULT_FLAG_QUALITY)).toBe("uncertain");
    const segment = segmentOf(APPENDIX_A).toString().replace(";ST=32", ";__proto__=1;constructor=2;ST=32");
    expect(parseFrame(buildFrame(segment)).st).toBe("32");
  });
});

describe("building frames", () => {
  it("answers with the 9014 data response of HJ 212-2017 Appendix C (Flag=4) and of 2025 (Flag=8)", () => {
    const request2017 = {
      qn: "20201015123632010",
      pw: "123456",
      mn: "410183160889201000212505",
      version: "2017",
      crc: "hj212",
    } as const;
    // The same bytes as a 9014 answer found in public HJ 212 code, which writes the CRC in lower case.
    expect(buildDataResponse(request2017).toString()).toBe(
      "##0087QN=20201015123632010;ST=91;CN=9014;PW=123456;MN=410183160889201000212505;Flag=4;CP=&&&&F001\r\n",
    );
    const request2025 = {
      qn: "20260706103512345",
      pw: "123456",
      mn: "A110000_0001",
      version: "2025",
      crc: "hj212",
    } as const;
    expect(buildDataResponse(request2025).toString()).toBe(
      "##0075QN=20260706103512345;ST=91;CN=9014;PW=123456;MN=A110000_0001;Flag=8;CP=&&&&0140\r\n",
    );
    const answer = buildDataResponse({ ...request2017, crc: "modbus" });
    expect(parseFrame(answer, "modbus").crc).toBe("modbus");
  });

  it("round-trips a data segment and refuses one past the length field", () => {
    const segment = segmentOf(APPENDIX_A).toString();
    expect(buildFrame(segment).toString()).toBe(`${APPENDIX_A}\r\n`);
    expect(() => buildFrame("x".repeat(10_000))).toThrow(RangeError);
  });
});

describe("Flag, DataTime, data flags", () => {
  it("splits Flag into version, D and A (HJ 212-2017 §6.3.2; HJ 212-2025 §6.3.3)", () => {
    const bits = (v: number) => {
      const f = parseFlag(v);
      return [f.versionNumber, f.packetized, f.replyRequested];
    };
    expect([4, 5, 7, 8, 9, 11, 1].map(bits)).toEqual([
      [1, false, false],
      [1, false, true],
      [1, true, true],
      [2, false, false],
      [2, false, true],
      [2, true, true],
      [0, false, true],
    ]);
  });

  it("reads DataTime on the logger's clock", () => {
    expect(new Date(parseDataTime("20260105080000", utcOffsetMinutes("+08:00")) as number).toISOString()).toBe(
      "2026-01-05T00:00:00.000Z",
    );
    expect(new Date(parseDataTime("20260105080000", utcOffsetMinutes("-03:30")) as number).toISOString()).toBe(
      "2026-01-05T11:30:00.000Z",
    );
    expect(parseDataTime("20240229235959", 0)).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    for (const bad of ["20230229000000", "20261301000000", "20260105240000", "2026010508000", "2026O105080000"]) {
      expect(parseDataTime(bad, 480)).toBeUndefined();
    }
    expect(() => utcOffsetMinutes("Asia/Shanghai")).toThrow(RangeError);
  });

  it("maps data flags to quality (HJ 212-2017 §6.6.4 表 8)", () => {
    expect(
      ["N", "S", "T", "F", "M", "D", "C", "B", "X", undefined].map((f) => qualityOf(f, DEFAULT_FLAG_QUALITY)),
    ).toEqual(["good", "uncertain", "uncertain", "bad", "bad", "bad", "bad", "bad", "uncertain", "good"]);
  });
});

describe("FrameReader", () => {
  const frames = (reader: FrameReader, chunks: Uint8Array[]) => {
    const out: string[] = [];
    for (const chunk of chunks) {
      for (const e of reader.push(chunk)) out.push(e.kind === "frame" ? e.bytes.toString() : e.error.code);
    }
    for (const e of reader.end()) out.push(e.kind === "frame" ? e.bytes.toString() : e.error.code);
    return out;
  };

  it("finds a frame whatever the cut, and two frames in one chunk", () => {
    const bytes = Buffer.from(DUST_2011);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(frames(new FrameReader(), [bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([DUST_2011]);
    }
    const oneByOne = [...Buffer.concat([bytes, bytes])].map((b) => Uint8Array.of(b));
    expect(frames(new FrameReader(), oneByOne)).toEqual([DUST_2011, DUST_2011]);
    expect(frames(new FrameReader(), [Buffer.concat([bytes, bytes])])).toEqual([DUST_2011, DUST_2011]);
  });

  it("gives the same verdicts byte by byte as in one chunk", () => {
    const stream = Buffer.from(
      `junk###${DUST_2011.slice(2)}##0135${DUST_2011.slice(6)}##12ab${DUST_2011.slice(6)}${DUST_2011}${DUST_2011.slice(0, 50)}`,
    );
    const whole = frames(new FrameReader(), [stream]);
    expect(whole).toEqual([
      "EDGE_HJ212_GARBAGE",
      DUST_2011,
      "EDGE_HJ212_BAD_LENGTH",
      "EDGE_HJ212_BAD_LENGTH",
      DUST_2011,
      "EDGE_HJ212_TRUNCATED",
    ]);
    expect(
      frames(
        new FrameReader(),
        [...stream].map((b) => Uint8Array.of(b)),
      ),
    ).toEqual(whole);
  });

  it("reports a frame cut off by the next one, and keeps the next", () => {
    const cut = `${DUST_2011.slice(0, 60)}${DUST_2011}`;
    expect(frames(new FrameReader(), [Buffer.from(cut)])).toEqual(["EDGE_HJ212_TRUNCATED", DUST_2011]);
  });

  it("holds no more than one frame, however much junk arrives", () => {
    const reader = new FrameReader();
    const junk = Buffer.alloc(64 * 1024, "x");
    let reported = 0;
    let peak = 0;
    for (let i = 0; i < 16; i++) {
      for (const e of reader.push(junk)) {
        expect(e.kind === "error" && e.error.code).toBe("EDGE_HJ212_GARBAGE");
        reported += Number(/skipped (\d+) bytes/.exec(e.kind === "error" ? e.error.message : "")?.[1]);
      }
      peak = Math.max(peak, reader.buffered);
    }
    expect(reported).toBe(1024 * 1024);
    expect(peak).toBe(0);
    // A length field of 9999 followed by junk without CR LF: held until the frame could be complete, then dropped.
    for (let i = 0; i < 4; i++) {
      reader.push(i === 0 ? Buffer.concat([Buffer.from("##9999"), junk.subarray(0, 4096)]) : junk.subarray(0, 4096));
      peak = Math.max(peak, reader.buffered);
    }
    expect(peak).toBeLessThanOrEqual(6 + 9999 + 6);
    expect(frames(reader, [Buffer.from(DUST_2011)]).at(-1)).toBe(DUST_2011);
  });
});
