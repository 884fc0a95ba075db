import { connect } from "node:net";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { probeHj212 } from "../src/adapters/hj212/index.ts";

const APPENDIX_A =
  "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";
const DUST =
  "##0141QN=20260105080000132;ST=39;CN=2011;PW=123456;MN=0101390000DUST0000000001;Flag=5;CP=&&DataTime=20260105080000;a34001-Rtd=152.3,a34001-Flag=N&&B381\r\n";
const BAD_CRC = DUST.replace("B381", "B382");

/** Runs the probe, sends `text` as a logger would, and returns what it printed and answered. */
async function probe(json: boolean, text: string) {
  const out = new PassThrough();
  let printed = "";
  out.on("data", (chunk: Buffer) => {
    printed += chunk.toString();
  });
  const stop = new AbortController();
  let port = 0;
  const running = probeHj212({
    port: 0,
    host: "127.0.0.1",
    json,
    out,
    signal: stop.signal,
    onListening: (address) => {
      port = address.port;
    },
  });
  while (port === 0) await sleep(2);
  const socket = connect({ host: "127.0.0.1", port });
  let answered = "";
  socket.on("data", (chunk: Buffer) => {
    answered += chunk.toString();
  });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const peer = `127.0.0.1:${socket.localPort}`;
  socket.write(text);
  const lines = text.split("\r\n").length - 1;
  const deadline = Date.now() + 5_000;
  while (printed.split("\n").filter((l) => l.startsWith("{") || l.startsWith("127.")).length < lines) {
    if (Date.now() > deadline) throw new Error(`the probe printed only ${printed}`);
    await sleep(5);
  }
  await sleep(20); // let the answers arrive
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  stop.abort();
  await running; // resolves once the listener and connections are closed
  await closed;
  return { printed: printed.replaceAll(peer, "{peer}"), answered, port };
}

describe("lifeline probe hj212", () => {
  it("prints one JSON object per frame, decoded or refused, and answers as the receiver would", async () => {
    const { printed, answered, port } = await probe(true, DUST + BAD_CRC + APPENDIX_A);
    const lines = printed
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        ok: true,
        peer: "{peer}",
        qn: "20260105080000132",
        st: "39",
        cn: "2011",
        command: "real-time data",
        pw: "123456",
        mn: "0101390000DUST0000000001",
        flag: 5,
        version: "2017",
        replyRequested: true,
        replied: true,
        resend: false,
        crc: "hj212",
        dataTime: "20260105080000",
        ts: "2026-01-05T00:00:00.000Z",
        fields: { DataTime: "20260105080000" },
        factors: { a34001: { Rtd: "152.3", Flag: "N" } },
      },
      {
        ok: false,
        peer: "{peer}",
        error: {
          code: "EDGE_HJ212_BAD_CRC",
          message: "bad CRC: the frame says B382, neither the HJ 212 CRC B381 nor the CRC-16/MODBUS 1B2A",
          mn: "0101390000DUST0000000001",
        },
      },
      expect.objectContaining({
        ok: true,
        cn: "1062",
        command: "set real-time data interval, a command from the host",
      }),
    ]);
    expect(answered.split("\r\n")).toEqual([
      "##0087QN=20260105080000132;ST=91;CN=9014;PW=123456;MN=0101390000DUST0000000001;Flag=4;CP=&&&&1F40",
      "##0087QN=20160801085857223;ST=91;CN=9014;PW=100000;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&71C0",
      "",
    ]);
    const refused = connect({ host: "127.0.0.1", port });
    expect(await new Promise((resolve) => refused.once("error", (e: NodeJS.ErrnoException) => resolve(e.code)))).toBe(
      "ECONNREFUSED",
    );
  });

  it("prints human-readable lines", async () => {
    const { printed } = await probe(false, `junk\r\n${DUST}`);
    expect(printed.split("\n")).toEqual([
      expect.stringMatching(
        /^listening for HJ 212 data loggers on 127\.0\.0\.1:\d+ \(CRC either, DataTime in UTC\+08:00\)$/,
      ),
      '{peer} EDGE_HJ212_GARBAGE: skipped 6 bytes that are not part of a frame, starting "junk\\r\\n"',
      "{peer} MN=0101390000DUST0000000001 ST=39 CN=2011 (real-time data) QN=20260105080000132 | Flag=5 (HJ 212-2017, reply requested, replied 9014) | CRC hj212 | DataTime=20260105080000 (2026-01-05T00:00:00.000Z) | a34001: Rtd=152.3 Flag=N",
      "",
    ]);
  });
});
