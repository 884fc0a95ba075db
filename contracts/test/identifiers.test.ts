import { describe, expect, it } from "vitest";
import { isId, isMetricName } from "../src/identifiers.ts";

describe("ids and metric names", () => {
  it("are checked by their patterns, those seen to pass remembered without letting others pass", () => {
    expect([isId("meter-17"), isId("meter-17"), isId("meter.17"), isId("meter.17"), isId("")]).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(isId("x".repeat(64))).toBe(true);
    expect(isId("x".repeat(65))).toBe(false);
    expect([
      isMetricName("flow.total"),
      isMetricName("flow.total"),
      isMetricName(".flow"),
      isMetricName("a/b"),
    ]).toEqual([true, true, false, false]);
    // An id is not a metric's pass, nor a metric an id's: each pattern has its own memory.
    expect(isId("flow.total")).toBe(false);
  });

  it("stay right past the number of names remembered (the memory starts again)", () => {
    for (let i = 0; i < 100_010; i++) {
      if (!isId(`d-${i}`)) throw new Error(`d-${i} refused`);
    }
    expect([isId("d-0"), isId("d-100009"), isId("d 0"), isId("d-0/x")]).toEqual([true, true, false, false]);
  });
});
