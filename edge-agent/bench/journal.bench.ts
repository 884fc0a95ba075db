/**
 * Journal append throughput: `node --import tsx edge-agent/bench/journal.bench.ts [--runs 3]`.
 * Each row is the median of the runs, each run on a fresh journal in the OS temp directory.
 * "appenders" is how many callers append at once, each awaiting its own append before the next:
 * with fsync "always" they share fdatasyncs (group commit); 1 appender is the worst case.
 * The last table is the replay after an outage: a backlog read back from the segment files
 * (nothing in the tail cache) in pages of 1000 and acked, as the forwarder does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FsyncPolicy, Journal } from "../src/journal/index.ts";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

interface Case {
  fsync: FsyncPolicy;
  payloadBytes: number;
  appenders: number;
  records: number;
}

const cases: Case[] = [];
for (const payloadBytes of [200, 2048]) {
  for (const fsync of ["interval", "never"] as const) {
    cases.push({ fsync, payloadBytes, appenders: 1, records: payloadBytes === 200 ? 50_000 : 20_000 });
    cases.push({ fsync, payloadBytes, appenders: 64, records: payloadBytes === 200 ? 300_000 : 60_000 });
  }
  cases.push({ fsync: "always", payloadBytes, appenders: 1, records: 1000 });
  cases.push({ fsync: "always", payloadBytes, appenders: 16, records: 8000 });
  cases.push({ fsync: "always", payloadBytes, appenders: 256, records: 40_000 });
}

async function run(c: Case): Promise<{ perSecond: number; fsyncs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "lifeline-journal-bench-"));
  try {
    const journal = await Journal.open({ dir, maxBytes: 2 * 1024 ** 3, fsync: c.fsync });
    const payload = Buffer.alloc(c.payloadBytes, 0x61);
    let left = c.records;
    const appender = async () => {
      while (left > 0) {
        left--;
        await journal.append(payload);
      }
    };
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: c.appenders }, appender));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stats = journal.stats();
    await journal.close();
    if (stats.appended !== c.records) throw new Error(`appended ${stats.appended} of ${c.records}`);
    return { perSecond: c.records / seconds, fsyncs: stats.fsyncs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

console.log(`Journal append bench: median of ${RUNS} runs, Node ${process.version}, ${tmpdir()}`);
console.log("| fsync | payload | appenders | appends/s | MB/s | appends per fdatasync |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const c of cases) {
  const results = [];
  for (let r = 0; r < RUNS; r++) results.push(await run(c));
  const perSecond = median(results.map((x) => x.perSecond));
  const fsyncs = median(results.map((x) => x.fsyncs));
  const mb = (perSecond * c.payloadBytes) / 1e6;
  const perSync = c.fsync === "always" ? (c.records / fsyncs).toFixed(1) : "–";
  console.log(
    `| ${c.fsync} | ${c.payloadBytes} B | ${c.appenders} | ${Math.round(perSecond).toLocaleString("en-US")} | ${mb.toFixed(1)} | ${perSync} |`,
  );
}

/** Appends `records` payloads, then reads and acks them all from disk in pages of 1000. */
async function replay(payloadBytes: number, records: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "lifeline-journal-bench-"));
  try {
    let journal = await Journal.open({ dir, maxBytes: 2 * 1024 ** 3, fsync: "never" });
    const payload = Buffer.alloc(payloadBytes, 0x61);
    for (let i = 0; i < records; i += 1000) await journal.appendMany(Array.from({ length: 1000 }, () => payload));
    await journal.close();
    journal = await Journal.open({ dir, maxBytes: 2 * 1024 ** 3, fsync: "never", tailCacheBytes: 0 });
    const started = process.hrtime.bigint();
    let read = 0;
    for (let from = 1; ; ) {
      const page = await journal.read(from, 1000, 4 * 1024 * 1024);
      if (page.length === 0) break;
      for (const r of page) journal.ack(r.id);
      read += page.length;
      from = (page.at(-1)?.id as number) + 1;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await journal.close();
    if (read !== records) throw new Error(`replayed ${read} of ${records}`);
    return records / seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log("");
console.log("| replay from disk | records | records/s | MB/s |");
console.log("| --- | ---: | ---: | ---: |");
for (const [payloadBytes, records] of [
  [200, 200_000],
  [2048, 50_000],
] as const) {
  const rates = [];
  for (let r = 0; r < RUNS; r++) rates.push(await replay(payloadBytes, records));
  const perSecond = median(rates);
  console.log(
    `| ${payloadBytes} B | ${records.toLocaleString("en-US")} | ${Math.round(perSecond).toLocaleString("en-US")} | ${((perSecond * payloadBytes) / 1e6).toFixed(1)} |`,
  );
}
