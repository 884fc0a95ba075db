import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { Reading } from "@lifeline/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { AdapterError } from "../src/adapter-error.ts";
import {
  buildFrame,
  Sl651Adapter,
  type Sl651ReceiverConfigInput,
  sl651ReceiverSchema,
} from "../src/adapters/sl651/index.ts";

interface RecordedReading extends Reading {
  device: string;
}

interface RtuSession {
  adapter: Sl651Adapter;
  readings: RecordedReading[];
  errors: AdapterError[];
}

/** Starts a receiver on a free loopback port with a sink that records what it is given. */
async function startReceiver(config: Sl651ReceiverConfigInput, clock?: () => number): Promise<RtuSession> {
  const parsed = sl651ReceiverSchema.parse({ ...config, listen: { host: "127.0.0.1", port: 0 } });
  const adapter = new Sl651Adapter(parsed, clock === undefined ? {} : { clock });
  const session: RtuSession = { adapter, readings: [], errors: [] };
  await adapter.start({
    readings: (device, readings) => session.readings.push(...readings.map((r) => ({ ...r, device }))),
    error: (error) => session.errors.push(error),
  });
  return session;
}

/**
 * Plays an RTU: connects, writes each chunk as its own write, half-closes and collects every
 * byte the receiver answers until it closes; resolves once the receiver has let go of the
 * connection, so everything it did about these bytes has happened.
 */
async function playRtu(adapter: Sl651Adapter, chunks: Buffer[], gapMs = 5): Promise<Buffer> {
  const port = adapter.address?.port as number;
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const received: Buffer[] = [];
  socket.on("data", (d: Buffer) => received.push(d));
  const closed = once(socket, "close");
  for (const chunk of chunks) {
    socket.write(chunk);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  socket.end();
  await closed;
  await until(() => adapter.stats().connections.open === 0);
  return Buffer.concat(received);
}

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** frame.hex: hex with any whitespace; each non-empty line is one chunk. */
function parseHexChunks(text: string): Buffer[] {
  return text
    .split("\n")
    .map((line) => line.replace(/\s+/g, ""))
    .filter((line) => line.length > 0)
    .map((line) => Buffer.from(line, "hex"));
}

const root = join(import.meta.dirname, "../src/adapters/sl651/testcases");
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

describe("SL 651 receiver test cases (over TCP)", () => {
  let session: RtuSession | undefined;
  afterEach(async () => {
    await session?.adapter.close();
    session = undefined;
  });

  it("has the cases", () => expect(cases.length).toBeGreaterThanOrEqual(20));

  it.each(cases)("%s", async (name) => {
    const dir = join(root, name);
    const own = join(dir, "receiver.json");
    session = await startReceiver(readJson(existsSync(own) ? own : join(root, "receiver.json")));
    const chunks = parseHexChunks(readFileSync(join(dir, "frame.hex"), "utf8"));
    const replies = await playRtu(session.adapter, chunks);

    const expected = readJson(join(dir, "expected.json"));
    expect(
      session.readings.map((r) => ({ device: r.device, metric: r.metric, ts: r.ts, value: r.value, unit: r.unit })),
    ).toEqual(expected.readings.map((r: { ts: string }) => ({ ...r, ts: new Date(r.ts).getTime() })));
    expect(session.readings.every((r) => r.quality === "good")).toBe(true);
    expect(session.errors.map((e) => ({ code: e.code, message: e.message }))).toEqual(expected.errors);
    expect(replies.toString("hex").toUpperCase()).toBe(expected.replies.join(""));
    const stats = session.adapter.stats();
    expect({
      frames: stats.frames,
      messages: stats.messages,
      replies: stats.replies,
      keepAlives: stats.keepAlives,
      images: stats.images,
      readings: stats.readings,
    }).toEqual({ ...expected.stats, readings: expected.readings.length });
    expect(Object.values(stats.errors).reduce((a, b) => a + b, 0)).toBe(expected.errors.length);
  });
});

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const TEST_REPORT = hex(
  "7E7E010012345678123430002B020003591011154947F1F1001234567848F0F0591011154920190000052619000005392300000127381211150320FA",
);
const STATIONS = [{ address: "0012345678", device: "rtu-demo" }];
const BASE = { id: "rx", type: "sl651", listen: { port: 0 }, stations: STATIONS } as const;

const sessions: RtuSession[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of sessions.splice(0)) await s.adapter.close();
});

async function receiver(extra: Record<string, unknown> = {}, clock?: () => number) {
  const session = await startReceiver({ ...BASE, ...extra } as never, clock);
  sessions.push(session);
  return session;
}

async function rtu(session: RtuSession) {
  const socket = connect(session.adapter.address?.port as number, "127.0.0.1");
  sockets.push(socket);
  await once(socket, "connect");
  const received: Buffer[] = [];
  socket.on("data", (d: Buffer) => received.push(d));
  return { socket, received: () => Buffer.concat(received).toString("hex").toUpperCase() };
}

/** A timed report from `station` with one water level, serial `serial`. */
function timedReport(station: string, serial: number, level: string) {
  return buildFrame({
    direction: "up",
    centre: 1,
    station,
    password: "0000",
    functionCode: 0x32,
    body: hex(`${serial.toString(16).padStart(4, "0")} 260701080000 F1F1 ${station} 48 F0F0 2607010800 3923 ${level}`),
    end: "ETX",
  });
}

describe("SL 651 adapter", () => {
  it("serves several RTUs at once, each confirmed on its own connection", async () => {
    const session = await receiver({
      stations: [
        { address: "0000000001", device: "river-01" },
        { address: "0000000002", device: "river-02" },
      ],
    });
    const [a, b] = await Promise.all([rtu(session), rtu(session)]);
    a.socket.write(timedReport("0000000001", 7, "00012345"));
    b.socket.write(timedReport("0000000002", 9, "00000500"));
    await until(() => a.received().length > 0 && b.received().length > 0);
    expect(a.received()).toContain("7E7E000000000101000032800802000726070108000");
    expect(b.received()).toContain("7E7E000000000201000032800802000926070108000");
    expect(session.readings.map((r) => [r.device, r.metric, r.value]).sort()).toEqual([
      ["river-01", "water_level", 12.345],
      ["river-02", "water_level", 0.5],
    ]);
    expect(session.adapter.stats().connections).toEqual({ open: 2, accepted: 2, refused: 0 });
  });

  it("confirms with EOT and the centre's clock when configured so", async () => {
    const session = await receiver({ reply: { end: "EOT", time: "clock" } }, () => Date.UTC(2026, 6, 1, 0, 30, 15));
    const replies = await playRtu(session.adapter, [TEST_REPORT]);
    const expected = buildFrame({
      direction: "down",
      centre: 1,
      station: "0012345678",
      password: "1234",
      functionCode: 0x30,
      body: hex("0003 260701083015"), // 00:30:15 UTC is 08:30:15 at +08:00
      end: "EOT",
    });
    expect(replies.toString("hex")).toBe(expected.toString("hex"));
  });

  it("keeps the connection up through bad frames and answers the next good one", async () => {
    const session = await receiver();
    const { socket, received } = await rtu(session);
    const bad = Buffer.from(TEST_REPORT);
    bad[40] = (bad[40] as number) ^ 0x01;
    socket.write(bad);
    await until(() => session.errors.length === 1);
    expect(session.errors[0]?.code).toBe("EDGE_SL651_BAD_CRC");
    socket.write(TEST_REPORT);
    await until(() => received().length > 0);
    expect(received()).toBe("7E7E00123456780112343080080200035910111549471B75D4");
    expect(socket.destroyed).toBe(false);
    expect(session.adapter.stats().errors).toEqual({ EDGE_SL651_BAD_CRC: 1 });
  });

  it("reports a frame whose rest never comes after frameTimeoutMs and reads what follows", async () => {
    const session = await receiver({ limits: { frameTimeoutMs: 100 } });
    const { socket, received } = await rtu(session);
    socket.write(TEST_REPORT.subarray(0, 20));
    await until(() => session.errors.length === 1);
    expect(session.errors[0]?.message).toBe(
      "device rx: frame from station 0012345678, function 30: only 20 of 60 bytes arrived before nothing more arrived for 100 ms",
    );
    socket.write(TEST_REPORT);
    await until(() => received().length > 0);
    expect(session.readings).toHaveLength(4);
  });

  it("gives up a multi-packet message after messageTimeoutMs, naming the missing packets", async () => {
    const session = await receiver({ limits: { messageTimeoutMs: 100 } });
    const { socket } = await rtu(session);
    const packet = (seq: number) =>
      buildFrame({
        direction: "up",
        centre: 1,
        station: "0012345678",
        password: "1234",
        functionCode: 0x36,
        body: hex("00112233"),
        end: seq === 3 ? "ETX" : "ETB",
        packet: { total: 3, seq },
      });
    socket.write(Buffer.concat([packet(1), packet(3)]));
    await until(() => session.errors.length === 1);
    expect(session.errors.map((e) => [e.code, e.message])).toEqual([
      [
        "EDGE_SL651_INCOMPLETE_MESSAGE",
        "device rx: frame from station 0012345678, function 36: multi-packet message incomplete when 100 ms passed: missing packet 2 of 3",
      ],
    ]);
    expect(socket.destroyed).toBe(false);
  });

  it("drops a multi-packet message past maxMessageBytes", async () => {
    const session = await receiver({ limits: { maxMessageBytes: 4_096 } });
    const packets = [1, 2].map((seq) =>
      buildFrame({
        direction: "up",
        centre: 1,
        station: "0012345678",
        password: "1234",
        functionCode: 0x36,
        body: Buffer.alloc(3_000, 0x55),
        end: seq === 2 ? "ETX" : "ETB",
        packet: { total: 2, seq },
      }),
    );
    await playRtu(session.adapter, packets);
    expect(session.errors.map((e) => e.message)).toEqual([
      "device rx: frame from station 0012345678, function 36: multi-packet message passed 4096 bytes at packet 2 of 2; dropped",
    ]);
    expect(session.adapter.stats().images).toBe(0);
  });

  it("keeps at most 4 multi-packet messages in progress per connection", async () => {
    const session = await receiver();
    const firstPackets = [1, 2, 3, 4, 5].map((n) =>
      buildFrame({
        direction: "up",
        centre: 1,
        station: `000000000${n}`,
        password: "0000",
        functionCode: 0x36,
        body: hex("00112233"),
        end: "ETB",
        packet: { total: 2, seq: 1 },
      }),
    );
    await playRtu(session.adapter, [Buffer.concat(firstPackets)]);
    expect(session.errors.map((e) => e.message)).toEqual([
      "device rx: frame from station 0000000001, function 36: multi-packet message incomplete when 4 other messages were in progress: missing packet 2 of 2",
      ...[2, 3, 4, 5].map(
        (n) =>
          `device rx: frame from station 000000000${n}, function 36: multi-packet message incomplete when the connection closed: missing packet 2 of 2`,
      ),
    ]);
  });

  it("closes a connection idle for idleTimeoutMs", async () => {
    const session = await receiver({ limits: { idleTimeoutMs: 100 } });
    const { socket } = await rtu(session);
    await once(socket, "close");
    await until(() => session.adapter.stats().connections.open === 0);
    expect(session.adapter.stats().idleClosed).toBe(1);
  });

  it("refuses connections beyond maxConnections and keeps serving the others", async () => {
    const session = await receiver({ limits: { maxConnections: 1 } });
    const first = await rtu(session);
    const second = connect(session.adapter.address?.port as number, "127.0.0.1");
    sockets.push(second);
    await once(second, "close");
    expect(session.errors.map((e) => e.code)).toEqual(["EDGE_SL651_TOO_MANY_CONNECTIONS"]);
    first.socket.write(TEST_REPORT);
    await until(() => first.received().length > 0);
    expect(session.adapter.stats().connections).toEqual({ open: 1, accepted: 1, refused: 1 });
  });

  it("refuses a downlink frame sent to the centre", async () => {
    const session = await receiver();
    await playRtu(session.adapter, [hex("7E7E00123456780112343080080200035910111549471B75D4")]);
    expect(session.errors.map((e) => e.message)).toEqual([
      "device rx: frame from station 0012345678: a downlink frame (direction 8) was sent to the centre",
    ]);
  });

  it("rejects start when the port is taken", async () => {
    const first = await receiver();
    const port = first.adapter.address?.port as number;
    const second = new Sl651Adapter(sl651ReceiverSchema.parse({ ...BASE, listen: { host: "127.0.0.1", port } }));
    const error = await second.start({ readings: () => undefined, error: () => undefined }).catch((e) => e);
    expect(error).toBeInstanceOf(AdapterError);
    expect(error.code).toBe("EDGE_SL651_LISTEN_FAILED");
    expect(error.message).toMatch(new RegExp(`^device rx: cannot listen on 127.0.0.1:${port}: .*EADDRINUSE`));
  });

  it("applies a station's element overrides: metric, unit, scale and offset", async () => {
    const session = await receiver({
      stations: [
        {
          address: "0030700300",
          device: "river-03",
          elements: {
            F5: { metric: "water_level_5min", offset: 100 },
            "39": { metric: "stage", unit: "cm", scale: 100 },
          },
        },
      ],
    });
    const hourly = hex(
      "7E7E100030700300123434004E02BE3F260701060000F1F1003070030048F0F02607010600F460000000000000000000000000F5C001AC01AC01AC01AC01AC01AC01AC01AC01AC01AC01AC01AC26190000003923000042803812137003F8F7",
    );
    await playRtu(session.adapter, [hourly]);
    const byMetric = (metric: string) => session.readings.filter((r) => r.metric === metric);
    expect(byMetric("water_level_5min").map((r) => [r.value, r.unit])).toEqual(Array(12).fill([104.28, "m"]));
    expect(byMetric("stage").map((r) => [r.value, r.unit])).toEqual([[428, "cm"]]);
    expect(byMetric("water_level")).toEqual([]);
  });

  it("reads observation times in the configured zone", async () => {
    const session = await receiver({ timezone: "Z" });
    await playRtu(session.adapter, [timedReport("0012345678", 1, "00001000")]);
    expect(session.readings.map((r) => r.ts)).toEqual([Date.UTC(2026, 6, 1, 8, 0)]);
  });
});
