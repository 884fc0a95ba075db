/**
 * HJ 212 decoding throughput: `npx tsx edge-agent/bench/hj212.bench.ts`.
 * Each row is the median of 5 runs over the same frames (dust monitor, CN 2011, 9 factors).
 */
import { connect } from "node:net";
import { COMMANDS, type DataCommand } from "../src/adapters/hj212/commands.ts";
import { hj212StationSchema } from "../src/adapters/hj212/config.ts";
import { hj212Crc } from "../src/adapters/hj212/crc.ts";
import { DEFAULT_FLAG_QUALITY } from "../src/adapters/hj212/data-flags.ts";
import { buildFrame, parseFrame } from "../src/adapters/hj212/frame-codec.ts";
import { FrameReader } from "../src/adapters/hj212/frame-reader.ts";
import { frameReadings } from "../src/adapters/hj212/frame-readings.ts";
import { Hj212Receiver } from "../src/adapters/hj212/hj212-receiver.ts";
import { hj212ReceiverSchema } from "../src/adapters/hj212/index.ts";

const FRAMES = 50_000;
const RUNS = 5;
const MN = "0101390000DUST0000000001";

function segment(i: number): string {
  const qn = `20260105${String(80_000_000 + i).padStart(9, "0")}`;
  const v = (base: number) => (base + (i % 100) / 10).toFixed(1);
  return (
    `QN=${qn};ST=39;CN=2011;PW=123456;MN=${MN};Flag=4;CP=&&DataTime=20260105080000;` +
    `a34001-Rtd=${v(150)},a34001-Flag=N;a34002-Rtd=${v(80)},a34002-Flag=N;a34004-Rtd=${v(40)},a34004-Flag=N;` +
    `LA-Rtd=${v(60)},LA-Flag=N;a01007-Rtd=${v(2)},a01007-Flag=N;a01008-Rtd=${v(100)},a01008-Flag=N;` +
    `a01001-Rtd=${v(-3)},a01001-Flag=N;a01002-Rtd=${v(40)},a01002-Flag=N;a01006-Rtd=${v(101)},a01006-Flag=N&&`
  );
}

const frames = Array.from({ length: FRAMES }, (_, i) => buildFrame(segment(i)));
const stream = Buffer.concat(frames);
const chunks: Buffer[] = [];
for (let at = 0; at < stream.length; at += 65_536) chunks.push(stream.subarray(at, at + 65_536));
const station = hj212StationSchema.parse({ mn: MN, device: "dust-01" });
const mapping = {
  offsetMinutes: 480,
  statSuffix: { minute: "1m", hour: "1h", day: "1d" },
  flagQuality: DEFAULT_FLAG_QUALITY,
};
const command = COMMANDS["2011"] as DataCommand;

function measure(name: string, run: () => number): { name: string; perSecond: number; check: number } {
  const rates: number[] = [];
  let check = 0;
  for (let r = 0; r < RUNS; r++) {
    const started = process.hrtime.bigint();
    check = run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(FRAMES / seconds);
  }
  rates.sort((a, b) => a - b);
  return { name, perSecond: rates[Math.floor(RUNS / 2)] as number, check };
}

const rows = [
  measure("CRC of the data segment", () => {
    let x = 0;
    for (const f of frames) x ^= hj212Crc(f.subarray(6, f.length - 6));
    return x === -1 ? 0 : FRAMES;
  }),
  measure("framing (FrameReader, 64 KiB chunks)", () => {
    const reader = new FrameReader();
    let n = 0;
    for (const c of chunks) n += reader.push(c).length;
    return n;
  }),
  measure("framing + parseFrame (length, CRC, fields)", () => {
    const reader = new FrameReader();
    let n = 0;
    for (const c of chunks)
      for (const e of reader.push(c)) if (e.kind === "frame" && parseFrame(e.bytes).cn === "2011") n++;
    return n;
  }),
  measure("framing + parseFrame + readings", () => {
    const reader = new FrameReader();
    let n = 0;
    for (const c of chunks) {
      for (const e of reader.push(c)) {
        if (e.kind === "frame") n += frameReadings(parseFrame(e.bytes), command, station, mapping).readings.length / 9;
      }
    }
    return n;
  }),
];

/** The whole receiver over one loopback TCP connection: bytes in, readings in the sink. */
async function overTcp(): Promise<{ name: string; perSecond: number; check: number }> {
  const rates: number[] = [];
  const errors: string[] = [];
  let check = 0;
  for (let r = 0; r < RUNS; r++) {
    let readings = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const rx = new Hj212Receiver(
      hj212ReceiverSchema.parse({
        id: "bench",
        type: "hj212",
        listen: { host: "127.0.0.1", port: 0 },
        stations: [{ mn: MN, device: "dust-01" }],
      }),
    );
    await rx.start({
      readings: (_d, rs) => {
        readings += rs.length;
        if (readings === FRAMES * 9) done();
      },
      error: (e) => errors.push(e.message),
    });
    const socket = connect({ host: "127.0.0.1", port: rx.address()?.port as number });
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const started = process.hrtime.bigint();
    socket.write(stream);
    await finished;
    rates.push(FRAMES / (Number(process.hrtime.bigint() - started) / 1e9));
    if (errors.length > 0) throw new Error(`the receiver reported ${errors[0]}`);
    check = readings / 9;
    socket.destroy();
    await rx.close();
  }
  rates.sort((a, b) => a - b);
  return { name: "receiver over loopback TCP (end to end)", perSecond: rates[Math.floor(RUNS / 2)] as number, check };
}

rows.push(await overTcp());
const bytesPerFrame = stream.length / FRAMES;
console.log(
  `HJ 212 bench: ${FRAMES} frames of ${bytesPerFrame.toFixed(0)} bytes (CN 2011, 9 factors), median of ${RUNS} runs, Node ${process.version}`,
);
console.log("| stage | frames/s | MB/s |");
console.log("| --- | ---: | ---: |");
for (const row of rows) {
  if (row.check !== FRAMES) throw new Error(`${row.name}: handled ${row.check} of ${FRAMES} frames`);
  const mb = (row.perSecond * bytesPerFrame) / 1e6;
  console.log(`| ${row.name} | ${Math.round(row.perSecond).toLocaleString("en-US")} | ${mb.toFixed(1)} |`);
}
