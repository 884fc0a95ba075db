import { describe, expect, it } from "vitest";
import { sl651ReceiverSchema } from "../src/adapters/sl651/index.ts";

const BASE = {
  id: "rx",
  type: "sl651",
  listen: { port: 0 },
  stations: [{ address: "0012345678", device: "rtu-demo" }],
};

describe("sl651ReceiverSchema", () => {
  it("fills defaults", () => {
    const config = sl651ReceiverSchema.parse({ ...BASE, listen: { port: 5001 } });
    expect(config).toEqual({
      id: "rx",
      type: "sl651",
      listen: { host: "0.0.0.0", port: 5001 },
      timezone: "+08:00",
      reply: { end: "ESC", time: "echo" },
      limits: {
        maxConnections: 1_024,
        idleTimeoutMs: 900_000,
        frameTimeoutMs: 10_000,
        messageTimeoutMs: 120_000,
        maxMessageBytes: 2_097_152,
      },
      stations: [{ address: "0012345678", device: "rtu-demo", seriesAnchor: "end", elements: {} }],
    });
  });

  it("names duplicate stations, bad addresses, bad zones and unknown keys", () => {
    const result = sl651ReceiverSchema.safeParse({
      ...BASE,
      timezone: "Asia/Shanghai",
      stations: [
        { address: "00123456ab", device: "a" },
        { address: "00123456AB", device: "a" },
        { address: "12345", device: "b", colour: "red" },
      ],
    });
    expect(result.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      "timezone: expected a UTC offset such as +08:00",
      "stations.2.address: expected the 5-byte station address as 10 hex digits",
      'stations.2: Unrecognized key: "colour"',
      "stations.1.address: duplicate station 00123456AB",
      "stations.1.device: duplicate device a",
    ]);
  });

  it("upper-cases addresses, passwords and element identifiers", () => {
    const config = sl651ReceiverSchema.parse({
      ...BASE,
      stations: [{ address: "00123456ab", device: "a", password: "abcd", elements: { ff85: { metric: "signal" } } }],
    });
    expect(config.stations[0]).toEqual({
      address: "00123456AB",
      device: "a",
      password: "ABCD",
      seriesAnchor: "end",
      elements: { FF85: { metric: "signal", scale: 1, offset: 0 } },
    });
  });
});
