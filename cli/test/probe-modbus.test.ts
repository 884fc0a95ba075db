import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Pymodbus, startPymodbus } from "../../edge-agent/test/fixtures/pymodbus.ts";
import { freePort } from "../src/free-port.ts";
import { runLifeline } from "./run-lifeline.ts";

let peer: Pymodbus;

beforeAll(async () => {
  // float32 123.456 = 0x42F6E979 at 100; float64 123.456 = 0x405EDD2F1A9FBE77 word-swapped at 200
  peer = await startPymodbus({
    registers: { hr: { 100: 0x42f6, 101: 0xe979, 200: 0xbe77, 201: 0x1a9f, 202: 0xdd2f, 203: 0x405e } },
  });
});
afterAll(() => peer?.kill());

describe("lifeline probe modbus", () => {
  it("prints a float32 under all four word orders side by side", async () => {
    const { code, stdout } = await runLifeline([
      "probe",
      "modbus",
      "127.0.0.1",
      "--port",
      String(peer.port),
      "--addr",
      "100",
    ]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        `tcp://127.0.0.1:${peer.port} unit 1, holding 100..101: 0x42F6 0xE979`,
        "",
        "order  float32        int32       uint32      string",
        'ABCD   123.456001     1123477881  1123477881  "Böéy"',
        'CDAB   -1.883367e+25  -377928970  3917038326  "éyBö"',
        'BADC   -9.861115e+32  -163415575  4131551721  "öByé"',
        'DCBA   1.518500e+35   2045376066  2045376066  "yéöB"',
        "",
      ].join("\n"),
    );
  });

  it("prints JSON with --json, where CDAB shows the plausible float64", async () => {
    const { code, stdout } = await runLifeline([
      "probe",
      "modbus",
      "127.0.0.1",
      "--port",
      String(peer.port),
      "--addr",
      "200",
      "--count",
      "4",
      "--json",
    ]);
    expect(code).toBe(0);
    const line = JSON.parse(stdout);
    expect(line.ok).toBe(true);
    expect(line.registers).toEqual([0xbe77, 0x1a9f, 0xdd2f, 0x405e]);
    expect(line.orders.find((o: { order: string }) => o.order === "CDAB").values.float64).toBe(123.456);
  });

  it("reports an unreachable device as one JSON error line and exit code 1", async () => {
    const port = await freePort("127.0.0.1");
    const { code, stdout } = await runLifeline([
      "probe",
      "modbus",
      "127.0.0.1",
      "--port",
      String(port),
      "--addr",
      "0",
      "--json",
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      error: {
        code: "EDGE_MODBUS_CONNECT_FAILED",
        message: `device probe (unit 1): cannot connect to tcp://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
      },
    });
  });
});
