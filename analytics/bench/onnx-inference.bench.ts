// Batched inference throughput of a small MLP (16 → 32 → 16 → 1) in onnxruntime-node, the figure
// issue 8 quotes (about 2.3 million inferences/s at batch 32 on two cores).
//   ORT_DISABLE_TELEMETRY=1 node --import tsx analytics/bench/onnx-inference.bench.ts
// Each cell is the median of 5 timed runs of RUN_MS each, after a warm-up; "scorer" goes through
// OnnxScorer.scoreBatch (input checks included), "ort" calls InferenceSession.run directly.
import { availableParallelism } from "node:os";
import * as ort from "onnxruntime-node";
import { type MlpLayer, mlpGraph } from "../src/onnx/mlp-graph.ts";
import { encodeModel } from "../src/onnx/onnx-model-encoder.ts";
import { OnnxScorer } from "../src/onnx/onnx-scorer.ts";

const WIDTHS = [16, 32, 16, 1] as const;
const BATCHES = [32, 1024] as const;
const THREADS = [1, 2] as const;
const RUNS = 5;
const RUN_MS = 200;

const filled = (length: number, seed: number, scale: number): Float32Array =>
  Float32Array.from({ length }, (_, i) => scale * Math.sin(seed * 7.31 + i * 1.618));

function model(): Uint8Array {
  const layers: MlpLayer[] = WIDTHS.slice(1).map((units, i) => ({
    weights: filled(units * (WIDTHS[i] as number), i + 1, 0.4),
    bias: filled(units, i + 11, 0.1),
    activation: i === WIDTHS.length - 2 ? "sigmoid" : "relu",
  }));
  return encodeModel(mlpGraph({ name: "bench_mlp", inputWidth: 16, layers }), { metadata: { purpose: "benchmark" } });
}

/** Rows scored per second by `runOnce` (which scores `batch` rows), as the median of RUNS timed runs. */
async function rowsPerSecond(
  batch: number,
  runOnce: () => Promise<unknown>,
): Promise<{ median: number; usPerRun: number }> {
  const deadline = performance.now() + RUN_MS / 2;
  while (performance.now() < deadline) await runOnce(); // warm-up: allocator arenas, thread pool
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < RUN_MS) {
      await runOnce();
      calls++;
      now = performance.now();
    }
    rates.push((calls * batch) / ((now - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(RUNS / 2)] as number;
  return { median, usPerRun: (batch / median) * 1e6 };
}

interface Row {
  path: string;
  batch: number;
  threads: number;
  median: number;
  usPerRun: number;
}

async function measure(bytes: Uint8Array, batch: number, threads: number): Promise<Row[]> {
  const rows = filled(batch * 16, 99, 2);
  const scorer = await OnnxScorer.load(bytes, { intraOpThreads: threads });
  const viaScorer = await rowsPerSecond(batch, () => scorer.scoreBatch("features", rows, batch, 16));
  await scorer.release();
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  const feeds = { features: new ort.Tensor("float32", rows, [batch, 16]) };
  const viaOrt = await rowsPerSecond(batch, () => session.run(feeds));
  await session.release();
  return [
    { path: "scorer", batch, threads, ...viaScorer },
    { path: "ort", batch, threads, ...viaOrt },
  ];
}

async function main(): Promise<void> {
  const bytes = model();
  const results: Row[] = [];
  for (const batch of BATCHES) for (const threads of THREADS) results.push(...(await measure(bytes, batch, threads)));
  console.log(
    `onnxruntime-node ${ort.env.versions.common}, Node ${process.version}, ${availableParallelism()} CPUs, model ${bytes.length} bytes`,
  );
  console.log(`median of ${RUNS} runs of ${RUN_MS} ms; MLP ${WIDTHS.join(" → ")}\n`);
  console.log("| path   | batch | threads | inferences/s | µs per run |");
  console.log("|--------|------:|--------:|-------------:|-----------:|");
  for (const r of results) {
    const rate = Math.round(r.median).toLocaleString("en-US");
    console.log(
      `| ${r.path.padEnd(6)} | ${String(r.batch).padStart(5)} | ${String(r.threads).padStart(7)} | ${rate.padStart(12)} | ${r.usPerRun.toFixed(1).padStart(10)} |`,
    );
  }
}

await main();
