import {
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  isBinaryEnvelope,
  tryDecodeEnvelope,
} from "@lifeline/contracts";
import { describe, expect, it } from "vitest";
import { encodeForUplink } from "../src/edge-agent.ts";
import { routeOf } from "../src/forwarder.ts";
import { journalLoss } from "../src/journal-loss.ts";

const envelope = (seq: number, readings = 100, bootId = "b1"): Envelope => ({
  v: 1,
  site: "mine-7",
  gateway: "gw-01",
  device: "dust-01",
  bootId,
  seq,
  readings: Array.from({ length: readings }, (_, i) => ({
    metric: "pm10",
    ts: 1_767_225_600_000 + i * 1_000,
    value: i / 10,
    unit: "mg/m³",
    quality: "good" as const,
  })),
});

describe("what the agent sends", () => {
  it("is a binary envelope, a quarter of the JSON's bytes for 100 readings, decoding to the same envelope", () => {
    const e = envelope(3);
    const bytes = encodeForUplink(e);
    expect(isBinaryEnvelope(bytes)).toBe(true);
    expect(bytes.byteLength).toBe(2_154);
    expect(encodeEnvelope(e).byteLength).toBe(8_275);
    expect(decodeEnvelope(bytes)).toEqual(e);
  });

  it("goes as JSON when the binary form cannot hold it, so that the quarantine says why it is invalid", () => {
    const e = { ...envelope(4, 1), readings: [{ ...envelope(4, 1).readings[0], unit: "µ".repeat(200) }] } as Envelope;
    const bytes = encodeForUplink(e);
    expect(isBinaryEnvelope(bytes)).toBe(false);
    const result = tryDecodeEnvelope(bytes);
    expect(result.ok ? [] : result.error.issues).toEqual([
      { path: "readings[0].unit", message: "expected a unit of at most 32 characters" },
    ]);
  });

  it("is routed and counted from its head, binary or JSON (journals written by earlier versions)", () => {
    const route = { site: "mine-7", gateway: "gw-01", device: "dust-01", bootId: "b1", seq: 9 };
    expect(routeOf(encodeForUplink(envelope(9)))).toEqual(route);
    expect(routeOf(encodeEnvelope(envelope(9)))).toEqual(route);
    const records = [
      encodeForUplink(envelope(1, 100)),
      encodeEnvelope(envelope(2, 3)),
      encodeForUplink(envelope(3, 7)),
      encodeForUplink(envelope(0, 5, "b2")),
      Buffer.from("LLB1 broken"),
    ].map((payload) => ({ payload }));
    expect(journalLoss(records)).toEqual({
      envelopes: 5,
      readings: 115,
      ranges: ["b1:1-3", "b2:0-0"],
      unreadable: 1,
    });
  });
});
