import { once } from "node:events";
import { connect } from "node:net";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { probeSl651 } from "../src/adapters/sl651/index.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const TEST_REPORT = hex(
  "7E7E010012345678123430002B020003591011154947F1F1001234567848F0F0591011154920190000052619000005392300000127381211150320FA",
);

/** Runs the probe, plays `bytes` as an RTU, stops the probe; returns what it printed. */
async function probe(json: boolean, bytes: Buffer) {
  const out = new PassThrough();
  let printed = "";
  out.on("data", (d: Buffer) => {
    printed += d.toString("utf8");
  });
  const stop = new AbortController();
  let listening: (port: number) => void = () => undefined;
  const bound = new Promise<number>((resolve) => {
    listening = resolve;
  });
  const done = probeSl651({
    port: 0,
    host: "127.0.0.1",
    json,
    out,
    signal: stop.signal,
    onListening: (address) => listening(address.port),
  });
  const port = await bound;
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const replies: Buffer[] = [];
  socket.on("data", (d: Buffer) => replies.push(d));
  socket.end(bytes);
  await once(socket, "close");
  stop.abort();
  await done;
  return { printed, replies: Buffer.concat(replies).toString("hex").toUpperCase() };
}

describe("probeSl651", () => {
  it("prints one JSON object per frame and error, and confirms reports", async () => {
    const bad = Buffer.from(TEST_REPORT);
    bad[bad.length - 1] = 0x00;
    const { printed, replies } = await probe(true, Buffer.concat([TEST_REPORT, bad]));
    const lines = printed
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    const { peer, ...first } = lines[0];
    expect(peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(first).toEqual({
      ok: true,
      station: "0012345678",
      centre: 1,
      password: "1234",
      function: "30",
      functionName: "test report",
      packets: 1,
      end: "ETX",
      serial: 3,
      sendTime: "2059-10-11T15:49:47+08:00",
      category: "48",
      observationTime: "2059-10-11T15:49:00+08:00",
      elements: [
        {
          id: "20",
          name: "current rainfall (PJ)",
          metric: "rainfall_current",
          unit: "mm",
          raw: "000005",
          values: [{ time: "2059-10-11T15:49:00+08:00", value: 0.5 }],
          missing: 0,
        },
        {
          id: "26",
          name: "cumulative rainfall (PT)",
          metric: "rainfall_total",
          unit: "mm",
          raw: "000005",
          values: [{ time: "2059-10-11T15:49:00+08:00", value: 0.5 }],
          missing: 0,
        },
        {
          id: "39",
          name: "instantaneous river water level (Z)",
          metric: "water_level",
          unit: "m",
          raw: "00000127",
          values: [{ time: "2059-10-11T15:49:00+08:00", value: 0.127 }],
          missing: 0,
        },
        {
          id: "38",
          name: "power supply voltage (VT)",
          metric: "voltage",
          unit: "V",
          raw: "1115",
          values: [{ time: "2059-10-11T15:49:00+08:00", value: 11.15 }],
          missing: 0,
        },
      ],
      reply: "7E7E00123456780112343080080200035910111549471B75D4",
    });
    expect(lines[1]).toMatchObject({
      ok: false,
      error: {
        code: "EDGE_SL651_BAD_CRC",
        message: "frame from station 0012345678, function 30: CRC mismatch: expected 0x20FA, actual 0x2000",
      },
    });
    expect(replies).toBe("7E7E00123456780112343080080200035910111549471B75D4");
  });

  it("prints text for a person", async () => {
    const { printed } = await probe(false, TEST_REPORT);
    const lines = printed.split("\n");
    expect(lines[0]).toMatch(/^listening for SL 651 RTUs on 127\.0\.0\.1:\d+$/);
    expect(lines[1]).toMatch(
      /^2059-10-11T15:49:47\+08:00 station 0012345678 test report \(30\) serial 3 from 127\.0\.0\.1:\d+$/,
    );
    expect(lines.slice(2)).toEqual([
      "  observed 2059-10-11T15:49:00+08:00",
      "  20 current rainfall (PJ): 0.5 mm",
      "  26 cumulative rainfall (PT): 0.5 mm",
      "  39 instantaneous river water level (Z): 0.127 m",
      "  38 power supply voltage (VT): 11.15 V",
      "  reply 7E7E00123456780112343080080200035910111549471B75D4",
      "",
    ]);
  });
});
