import { readFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Reading } from "@lifeline/contracts";
import { afterEach, describe, expect, it } from "vitest";
import type { AdapterError } from "../src/adapter-error.ts";
import {
  buildFrame,
  Hj212Receiver,
  type Hj212ReceiverInput,
  hj212ReceiverSchema,
} from "../src/adapters/hj212/index.ts";

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const MN1 = "0101390000DUST0000000001";
const MN2 = "0101390000DUST0000000002";
const rtd = (mn: string, qn: string, value: number, flag = 5) =>
  buildFrame(
    `QN=${qn};ST=39;CN=2011;PW=123456;MN=${mn};Flag=${flag};CP=&&DataTime=20260105080000;a34002-Rtd=${value},a34002-Flag=N&&`,
  );

async function receiver(overrides: Partial<Hj212ReceiverInput> = {}) {
  const readings: Array<Reading & { device: string }> = [];
  const errors: AdapterError[] = [];
  const rx = new Hj212Receiver(
    hj212ReceiverSchema.parse({
      id: "hj212-rx",
      type: "hj212",
      listen: { host: "127.0.0.1", port: 0 },
      stations: [
        { mn: MN1, device: "dust-01" },
        { mn: MN2, device: "dust-02" },
      ],
      ...overrides,
    }),
  );
  await rx.start({
    readings: (device, rs) => readings.push(...rs.map((r) => ({ device, ...r }))),
    error: (e) => errors.push(e),
  });
  closers.push(() => rx.close());
  return { rx, readings, errors, port: rx.address()?.port as number };
}

async function logger(port: number) {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  closers.push(async () => socket.destroy());
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString();
  });
  return { socket, replies: () => received.split("\r\n").filter((l) => l !== "") };
}

async function until(condition: () => boolean, what: string) {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe("HJ 212 receiver", () => {
  it("serves several stations over concurrent connections, each reading under its own device", async () => {
    const { rx, readings, port } = await receiver();
    const a = await logger(port);
    const b = await logger(port);
    for (let i = 0; i < 5; i++) {
      a.socket.write(rtd(MN1, `2026010508000000${i}`, 10 + i));
      b.socket.write(rtd(MN2, `2026010508000010${i}`, 20 + i));
    }
    await until(() => readings.length === 10 && a.replies().length === 5 && b.replies().length === 5, "10 readings");
    expect(readings.filter((r) => r.device === "dust-01").map((r) => r.value)).toEqual([10, 11, 12, 13, 14]);
    expect(readings.filter((r) => r.device === "dust-02").map((r) => r.value)).toEqual([20, 21, 22, 23, 24]);
    expect(a.replies()[0]).toMatch(
      new RegExp(`^##0087QN=20260105080000000;ST=91;CN=9014;PW=123456;MN=${MN1};Flag=4;CP=&&&&[0-9A-F]{4}$`),
    );
    expect(rx.stats()).toMatchObject({ frames: 10, readings: 10, replies: 10, errors: {} });
    expect(rx.stats().connections).toEqual({ open: 2, accepted: 2, refused: 0 });
  });

  it("keeps a connection up through bad frames and a megabyte of junk", async () => {
    const { rx, readings, errors, port } = await receiver();
    const { socket, replies } = await logger(port);
    const good = rtd(MN1, "20260105080000001", 1);
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 3] = badCrc[badCrc.length - 3] === 0x30 ? 0x31 : 0x30;
    socket.write(badCrc);
    const junk = Buffer.alloc(1024 * 1024, "A");
    for (let i = 0; i < 16; i++) socket.write(junk.subarray(i * 65_536, (i + 1) * 65_536));
    socket.write(good);
    await until(() => readings.length === 1 && replies().length === 1, "the frame after the junk");
    expect(errors[0]?.code).toBe("EDGE_HJ212_BAD_CRC");
    const garbage = errors.slice(1);
    expect(garbage.every((e) => e.code === "EDGE_HJ212_GARBAGE")).toBe(true);
    const skipped = garbage.reduce((sum, e) => sum + Number(/skipped (\d+) bytes/.exec(e.message)?.[1]), 0);
    expect(skipped).toBe(1024 * 1024);
    expect(garbage.length).toBeLessThanOrEqual(64); // at most one report per 16 KiB
    expect(rx.stats().connections.open).toBe(1);
    expect(socket.destroyed).toBe(false);
  });

  it("reports a frame cut short by a reset connection", async () => {
    const { errors, port } = await receiver();
    const { socket } = await logger(port);
    const frame = rtd(MN1, "20260105080000002", 1);
    socket.write(frame.subarray(0, 50));
    await sleep(20);
    socket.resetAndDestroy();
    await until(() => errors.length === 1, "the truncation");
    expect(errors[0]?.message).toMatch(
      new RegExp(
        `^device hj212-rx: from 127\\.0\\.0\\.1:\\d+: the connection closed after 50 of ${frame.length} bytes of a frame$`,
      ),
    );
  });

  it("refuses connections past maxConnections, and says so", async () => {
    const { rx, errors, readings, port } = await receiver({ maxConnections: 1 });
    const first = await logger(port);
    const second = connect({ host: "127.0.0.1", port });
    const secondClosed = new Promise<void>((resolve) => second.once("close", () => resolve()));
    second.on("error", () => undefined);
    await secondClosed;
    await until(() => errors.length === 1, "the refusal");
    expect(errors[0]?.code).toBe("EDGE_HJ212_TOO_MANY_CONNECTIONS");
    expect(errors[0]?.message).toMatch(
      /^device hj212-rx: refused a connection from 127\.0\.0\.1:\d+: 1 connections are open \(maxConnections\)$/,
    );
    first.socket.write(rtd(MN1, "20260105080000003", 3));
    await until(() => readings.length === 1, "the first logger's reading");
    expect(rx.stats().connections).toEqual({ open: 1, accepted: 1, refused: 1 });
  });

  it("disconnects loggers and stops listening on close", async () => {
    const { rx, port } = await receiver();
    const { socket } = await logger(port);
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await rx.close();
    await closed;
    const again: Socket = connect({ host: "127.0.0.1", port });
    const refused = await new Promise<string>((resolve) =>
      again.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "")),
    );
    expect(refused).toBe("ECONNREFUSED");
  });

  it("fails to start with EDGE_HJ212_LISTEN_FAILED when the port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", () => resolve()));
    closers.push(() => new Promise((resolve) => taken.close(resolve)));
    const port = (taken.address() as { port: number }).port;
    const rx = new Hj212Receiver(
      hj212ReceiverSchema.parse({
        id: "hj212-rx",
        type: "hj212",
        listen: { host: "127.0.0.1", port },
        stations: [{ mn: MN1, device: "dust-01" }],
      }),
    );
    await expect(rx.start({ readings: () => undefined, error: () => undefined })).rejects.toMatchObject({
      code: "EDGE_HJ212_LISTEN_FAILED",
      message: `device hj212-rx: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
    });
  });
});

describe("HJ 212 receiver configuration", () => {
  it("accepts the sample, with every default filled in", () => {
    const sample = JSON.parse(readFileSync(join(import.meta.dirname, "../src/adapters/hj212/sample.json"), "utf8"));
    const config = hj212ReceiverSchema.parse(sample);
    expect(config).toMatchObject({
      type: "hj212",
      timezone: "+08:00",
      crc: "hj212",
      statSuffix: { minute: "1m", hour: "1h", day: "1d" },
      maxConnections: 1024,
    });
    expect(config.stations[0]?.ignoreFactors).toEqual([]);
  });

  it("names the key of every problem in a bad profile", () => {
    const result = hj212ReceiverSchema.safeParse({
      id: "hj212-rx",
      type: "hj212",
      listen: { port: 9212 },
      timezone: "Asia/Shanghai",
      stations: [
        { mn: MN1, device: "dust-01", factors: { a99001: { unit: "L/min" } } },
        { mn: MN1, device: "dust-01", extra: 1 },
      ],
    });
    expect(result.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      "timezone: expected a UTC offset such as +08:00",
      'stations.1: Unrecognized key: "extra"',
      `stations.0.factors.a99001.metric: station ${MN1}: factor a99001 is not in the built-in table, so it needs a metric`,
      `stations.1.mn: duplicate MN ${MN1}`,
      "stations.1.device: duplicate device dust-01",
    ]);
  });
});
