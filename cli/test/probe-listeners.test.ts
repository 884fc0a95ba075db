import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "../bin/lifeline.js");
const sl651Cases = join(import.meta.dirname, "../../edge-agent/src/adapters/sl651/testcases");

/** Starts a listening probe on a free port, sends `frames`, and returns its JSON lines after Ctrl-C. */
async function probe(protocol: string, frames: Buffer[], expectedLines: number) {
  const child = spawn(process.execPath, [bin, "probe", protocol, "--listen", "0", "--host", "127.0.0.1", "--json"]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!/:(\d+)\n/.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`probe did not listen: ${stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const port = Number(/:(\d+)\n/.exec(stderr)?.[1]);
  const socket = connect(port, "127.0.0.1");
  await new Promise((r) => socket.once("connect", r));
  for (const f of frames) socket.write(f);
  while (stdout.split("\n").filter(Boolean).length < expectedLines) {
    if (Date.now() > deadline) throw new Error(`no output: ${stdout} ${stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  socket.destroy();
  child.kill("SIGINT");
  return {
    code: await exited,
    lines: stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  };
}

describe("listening probes", () => {
  it("hj212 prints the standard's Appendix A example as one JSON line, and a bad CRC as an error line", async () => {
    const example =
      "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";
    const bad = example.replace("1C80", "1C81");
    const { code, lines } = await probe("hj212", [Buffer.from(example), Buffer.from(bad)], 2);
    expect(code).toBe(0);
    expect(lines[0]).toMatchObject({
      ok: true,
      qn: "20160801085857223",
      st: "32",
      cn: "1062",
      mn: "010000A8900016F000169DC0",
      flag: 5,
      version: "2017",
      crc: "hj212",
      fields: { RtdInterval: "30" },
    });
    expect(lines[1]).toMatchObject({
      ok: false,
      error: {
        code: "EDGE_HJ212_BAD_CRC",
        message: "bad CRC: the frame says 1C81, neither the HJ 212 CRC 1C80 nor the CRC-16/MODBUS 0759",
      },
    });
  });

  it("sl651 prints a decoded hourly report as one JSON line", async () => {
    const hex = readFileSync(join(sl651Cases, "hourly-rain-and-level", "frame.hex"), "utf8").replace(/\s+/g, "");
    const { code, lines } = await probe("sl651", [Buffer.from(hex, "hex")], 1);
    expect(code).toBe(0);
    expect(lines[0]).toMatchObject({
      ok: true,
      station: "0012345678",
      function: "34",
      functionName: "hourly report",
      serial: 258,
      sendTime: "2026-07-01T08:00:12+08:00",
    });
    const level = lines[0].elements.find((e: { id: string }) => e.id === "F5");
    expect(level.values.slice(0, 3)).toEqual([
      { time: "2026-07-01T07:05:00+08:00", value: 12.34 },
      { time: "2026-07-01T07:10:00+08:00", value: 12.35 },
      { time: "2026-07-01T07:15:00+08:00", value: 12.36 },
    ]);
  });
});
