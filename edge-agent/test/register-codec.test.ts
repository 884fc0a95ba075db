import { describe, expect, it } from "vitest";
import type { ModbusPoint } from "../src/adapters/modbus/config.ts";
import { planReads } from "../src/adapters/modbus/read-plan.ts";
import { decodeRegisters, encodeRegisters } from "../src/adapters/modbus/register-codec.ts";

describe("decodeRegisters", () => {
  // 123.456 as float32 is 0x42F6E979: bytes A=42 B=F6 C=E9 D=79.
  it.each([
    ["ABCD", [0x42f6, 0xe979]],
    ["CDAB", [0xe979, 0x42f6]],
    ["BADC", [0xf642, 0x79e9]],
    ["DCBA", [0x79e9, 0xf642]],
  ] as const)("reads float32 %s", (order, registers) => {
    expect(decodeRegisters(registers, "float32", order)).toBe(Math.fround(123.456));
  });

  it("reads signed and unsigned 16 and 32 bit integers", () => {
    expect(decodeRegisters([0xff85], "int16", "ABCD")).toBe(-123);
    expect(decodeRegisters([0xff85], "uint16", "ABCD")).toBe(65_413);
    expect(decodeRegisters([0x85ff], "int16", "BADC")).toBe(-123);
    expect(decodeRegisters([0xfffe, 0x7960], "int32", "ABCD")).toBe(-100_000);
    expect(decodeRegisters([0x5e00, 0xb2d0], "uint32", "CDAB")).toBe(3_000_000_000);
  });

  it("reads 64-bit values in Telegraf's ABCDEFGH, GHEFCDAB, BADCFEHG and HGFEDCBA orders", () => {
    // float64 123.456 = 0x405EDD2F1A9FBE77
    expect(decodeRegisters([0x405e, 0xdd2f, 0x1a9f, 0xbe77], "float64", "ABCD")).toBe(123.456);
    expect(decodeRegisters([0xbe77, 0x1a9f, 0xdd2f, 0x405e], "float64", "CDAB")).toBe(123.456);
    expect(decodeRegisters([0x5e40, 0x2fdd, 0x9f1a, 0x77be], "float64", "BADC")).toBe(123.456);
    expect(decodeRegisters([0x77be, 0x9f1a, 0x2fdd, 0x5e40], "float64", "DCBA")).toBe(123.456);
    expect(decodeRegisters([0xffff, 0xfee0, 0x8e04, 0xfb35], "int64", "ABCD")).toBe(-1_234_567_890_123);
  });

  it("reads bits and strings", () => {
    expect(decodeRegisters([0xa005], "bit", "ABCD", { bit: 15 })).toBe(1);
    expect(decodeRegisters([0xa005], "bit", "ABCD", { bit: 1 })).toBe(0);
    expect(decodeRegisters([0x4c4c, 0x2d44, 0x0000], "string", "ABCD")).toBe("LL-D");
    expect(decodeRegisters([0x4c4c, 0x442d], "string", "BADC")).toBe("LL-D");
  });

  it.each(["ABCD", "CDAB", "BADC", "DCBA"] as const)("encodes what it decodes in %s", (order) => {
    for (const [value, type] of [
      [-1.5, "float32"],
      [123.456, "float64"],
      [-100_000, "int32"],
      [3_000_000_000, "uint32"],
      [-1_234_567_890_123, "int64"],
      [-123, "int16"],
    ] as const) {
      expect(decodeRegisters(encodeRegisters(value, type, order), type, order)).toBe(value);
    }
    expect(() => encodeRegisters(70_000, "uint16", order)).toThrow("70000 does not fit uint16");
  });

  it("passes NaN through for the adapter to report", () => {
    expect(decodeRegisters([0x7fc0, 0x0000], "float32", "ABCD")).toBeNaN();
  });
});

describe("planReads", () => {
  const point = (address: number, datatype: ModbusPoint["datatype"], register: ModbusPoint["register"] = "holding") =>
    ({
      name: `p${address}`,
      metric: `m${address}`,
      unit: "",
      register,
      address,
      datatype,
      byteOrder: "ABCD",
      scale: 1,
      offset: 0,
    }) as ModbusPoint;

  it("coalesces neighbours within the gap and splits past it", () => {
    const plan = planReads([point(0, "float32"), point(2, "float32"), point(12, "uint16"), point(40, "uint16")], 8);
    expect(plan.map((r) => [r.register, r.address, r.count, r.points.length])).toEqual([
      ["holding", 0, 13, 3],
      ["holding", 40, 1, 1],
    ]);
  });

  it("never mixes tables and never exceeds 125 registers", () => {
    const plan = planReads([point(0, "uint16"), point(124, "float32"), point(0, "uint16", "input")], 200);
    expect(plan.map((r) => [r.register, r.address, r.count])).toEqual([
      ["holding", 0, 1],
      ["holding", 124, 2],
      ["input", 0, 1],
    ]);
  });
});
