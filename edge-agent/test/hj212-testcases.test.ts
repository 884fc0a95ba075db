import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Reading } from "@lifeline/contracts";
import { afterEach, describe, expect, it } from "vitest";
import type { AdapterError } from "../src/adapter-error.ts";
import { Hj212Receiver, hj212ReceiverSchema } from "../src/adapters/hj212/index.ts";

const root = join(import.meta.dirname, "../src/adapters/hj212/testcases");
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const readJson = (name: string, file: string) => JSON.parse(readFileSync(join(root, name, file), "utf8"));
const optionalJson = (name: string, file: string) => {
  try {
    return readJson(name, file);
  } catch {
    return {};
  }
};

const DEFAULTS = {
  id: "hj212-rx",
  type: "hj212",
  listen: { host: "127.0.0.1", port: 0 },
  stations: [
    { mn: "010000A8900016F000169DC0", device: "appendix-a" },
    { mn: "0101390000DUST0000000001", device: "dust-01", password: "123456" },
    { mn: "0101390000DUST0000000002", device: "dust-02" },
  ],
};

/** frame.txt → TCP writes: each line ends in CR LF unless it ends in `\`; `--8<--` cuts the stream. */
function writesOf(text: string): Buffer[] {
  const writes: string[] = [""];
  for (const line of text.replace(/\n$/, "").split("\n")) {
    if (line === "--8<--") writes.push("");
    else writes[writes.length - 1] += line.endsWith("\\") ? line.slice(0, -1) : `${line}\r\n`;
  }
  return writes.filter((w) => w !== "").map((w) => Buffer.from(w, "utf8"));
}

describe("HJ 212 receiver test cases", () => {
  let receiver: Hj212Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it("has cases", () => expect(cases.length).toBeGreaterThanOrEqual(20));

  it.each(cases)("%s", async (name) => {
    const config = hj212ReceiverSchema.parse({ ...DEFAULTS, ...optionalJson(name, "config.json") });
    const readings: Array<Reading & { device: string }> = [];
    const errors: AdapterError[] = [];
    receiver = new Hj212Receiver(config);
    await receiver.start({
      readings: (device, rs) => readings.push(...rs.map((r) => ({ device, ...r }))),
      error: (e) => errors.push(e),
    });
    const port = receiver.address()?.port as number;

    const client = connect({ host: "127.0.0.1", port });
    client.setNoDelay(true);
    await new Promise<void>((resolve, reject) => client.once("connect", resolve).once("error", reject));
    const peer = `127.0.0.1:${client.localPort}`;
    const received: Buffer[] = [];
    client.on("data", (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    for (const [i, write] of writesOf(readFileSync(join(root, name, "frame.txt"), "utf8")).entries()) {
      if (i > 0) await sleep(25); // separate writes arrive as separate chunks
      client.write(write);
    }
    client.end();
    await closed;
    while (receiver.stats().connections.open > 0) await sleep(5);

    const expected = readJson(name, "expected.json");
    expect(readings.map((r) => ({ ...r, ts: new Date(r.ts).toISOString() }))).toEqual(expected.readings);
    expect(errors.map((e) => ({ code: e.code, message: e.message }))).toEqual(
      expected.errors.map((e: { code: string; message: string }) => ({
        ...e,
        message: e.message.replaceAll("{peer}", peer),
      })),
    );
    const replies = Buffer.concat(received).toString("utf8");
    expect(replies === "" ? [] : replies.replace(/\r\n$/, "").split("\r\n")).toEqual(expected.replies);
    const stats = receiver.stats();
    const byCode: Record<string, number> = {};
    for (const e of expected.errors as Array<{ code: string }>) byCode[e.code] = (byCode[e.code] ?? 0) + 1;
    expect(stats.errors).toEqual(byCode);
    expect(stats.readings).toBe(expected.readings.length);
    expect(stats.replies).toBe(expected.replies.length);
    expect(stats.connections).toEqual({ open: 0, accepted: 1, refused: 0 });
  });
});
