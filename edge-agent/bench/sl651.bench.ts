/**
 * SL 651 receiver throughput: `npx tsx edge-agent/bench/sl651.bench.ts`.
 * Each case runs 5 times; the table shows the median (and the range) in frames per second.
 */
import { once } from "node:events";
import { connect } from "node:net";
import { decodeBody } from "../src/adapters/sl651/body-decoder.ts";
import { encodingFor } from "../src/adapters/sl651/element-mapping.ts";
import { FrameReader, parseFrame, Sl651Adapter, sl651ReceiverSchema } from "../src/adapters/sl651/index.ts";

const hex = (s: string) => Buffer.from(s, "hex");
/** Published test report (30): 60 bytes, 4 elements. */
const TEST_REPORT = hex(
  "7E7E010012345678123430002B020003591011154947F1F1001234567848F0F0591011154920190000052619000005392300000127381211150320FA",
);
/** Hourly report (34) with F4 and F5 series and 7 more elements: 117 bytes, 29 readings. */
const HOURLY = hex(
  "7E7E0100123456781234340062020102260701080012F1F1001234567848F0F02607010800F4600001020005FF00000A000003F5C004D204D304D404D404D504D604D804DA04DB04DD04E0FFFF20190000151A190000211F19000123221900000326190123453923000123453812126803DC5F",
);
const RUNS = 5;
const options = { offsetMinutes: 480, seriesAnchor: "end" as const, encodingOf: (id: string) => encodingFor(id) };

interface Row {
  name: string;
  frames: number;
  rates: number[];
}

async function measure(name: string, frames: number, run: () => Promise<void> | void): Promise<Row> {
  const rates: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    rates.push(frames / ((performance.now() - started) / 1_000));
  }
  return { name, frames, rates };
}

function parseOnly(frame: Buffer, count: number) {
  return () => {
    for (let i = 0; i < count; i++) parseFrame(frame);
  };
}

/** Stream of `count` frames cut into 1460-byte segments, through the reader and body decoder. */
function readAndDecode(frame: Buffer, count: number) {
  const stream = Buffer.concat(Array.from({ length: count }, () => frame));
  return () => {
    const reader = new FrameReader();
    let decoded = 0;
    for (let at = 0; at < stream.length; at += 1_460) {
      for (const event of reader.push(stream.subarray(at, at + 1_460))) {
        if (event.kind === "frame") {
          decodeBody(event.frame.functionCode, event.frame.body, options);
          decoded++;
        }
      }
    }
    if (decoded !== count) throw new Error(`decoded ${decoded} of ${count}`);
  };
}

/** The adapter over loopback TCP: one RTU connection sends `count` frames, each confirmed. */
async function overTcp(frame: Buffer, count: number) {
  const config = sl651ReceiverSchema.parse({
    id: "bench",
    type: "sl651",
    listen: { host: "127.0.0.1", port: 0 },
    stations: [{ address: "0012345678", device: "bench-rtu" }],
  });
  const adapter = new Sl651Adapter(config);
  let readings = 0;
  await adapter.start({
    readings: (_device, r) => {
      readings += r.length;
    },
    error: (e) => console.error(e.message),
  });
  const port = adapter.address?.port as number;
  const stream = Buffer.concat(Array.from({ length: count }, () => frame));
  const run = async () => {
    const before = adapter.stats().messages;
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    socket.resume();
    socket.end(stream);
    await once(socket, "close");
    while (adapter.stats().messages - before < count || adapter.stats().connections.open > 0) {
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  return { run, close: () => adapter.close(), readings: () => readings };
}

async function main() {
  const rows: Row[] = [];
  rows.push(await measure("parseFrame, test report (60 B)", 200_000, parseOnly(TEST_REPORT, 200_000)));
  rows.push(await measure("parseFrame, hourly report (117 B)", 200_000, parseOnly(HOURLY, 200_000)));
  rows.push(await measure("reader + decode, test report", 100_000, readAndDecode(TEST_REPORT, 100_000)));
  rows.push(await measure("reader + decode, hourly F4/F5", 100_000, readAndDecode(HOURLY, 100_000)));
  const tcp = await overTcp(HOURLY, 20_000);
  rows.push(await measure("adapter over TCP, hourly + reply", 20_000, tcp.run));
  await tcp.close();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(`SL 651 receiver, median of ${RUNS} runs (node ${process.version})\n`);
  console.log(`${"case".padEnd(36)} ${"frames/run".padStart(10)} ${"frames/s".padStart(12)}  range`);
  for (const row of rows) {
    const low = Math.min(...row.rates);
    const high = Math.max(...row.rates);
    console.log(
      `${row.name.padEnd(36)} ${fmt(row.frames).padStart(10)} ${fmt(median(row.rates)).padStart(12)}  ${fmt(low)}–${fmt(high)}`,
    );
  }
}

await main();
