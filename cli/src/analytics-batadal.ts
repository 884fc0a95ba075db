import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import {
  attackLabels,
  type BatadalScore,
  type BatadalTable,
  batadalFile,
  batadalOnnx,
  evaluateBatadal,
  formatPredictionCsv,
  htmlReport,
  MODEL_SPEC_KEY,
  modelSpecSchema,
  OnnxScorer,
  readBatadalCsv,
  readModelMetadata,
  scoreBatadal,
  scoreRowsOnnx,
  trainBatadal,
} from "@lifeline/analytics";

const usage = (message: string) => Object.assign(new Error(message), { usage: true });

function scoreTable(name: string, s: BatadalScore): string {
  const f = (x: number) => x.toFixed(4);
  return [
    "| data | attacks | detected | S_TTD | S_CLS | S | TPR | TNR |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    `| ${name} | ${s.attacks.length} | ${s.attacks.filter((a) => a.detected).length} | ${f(s.sTtd)} | ${f(s.sCls)} | ${f(s.s)} | ${f(s.tpr)} | ${f(s.tnr)} |`,
  ].join("\n");
}

/**
 * `lifeline analytics train batadal`: trains on dataset03 (normal operation) only, then rates the
 * model on dataset04's labelled attacks, which it has never seen, and writes the ONNX model.
 */
export async function trainBatadalCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: "string" },
      data: { type: "string", default: "../shared/data/batadal" },
      site: { type: "string", default: "ctown" },
    },
    strict: true,
  });
  if (values.out === undefined) throw usage("train batadal needs --out MODEL.onnx");
  const dir = resolve(values.data);
  const normalFile = batadalFile("03", dir);
  const normal = await readBatadalCsv(normalFile);
  const started = performance.now();
  const model = trainBatadal(normal);
  const trainedMs = performance.now() - started;
  const attacked = await readBatadalCsv(batadalFile("04", dir));
  const evaluation = evaluateBatadal(model, attacked);
  const s = evaluation.score;
  const bytes = batadalOnnx(model, {
    site: values.site,
    // Of the CSV text, so that the bundled gzipped copy and the plain file hash alike.
    trainingDataSha256: createHash("sha256")
      .update(normalFile.endsWith(".gz") ? gunzipSync(readFileSync(normalFile)) : readFileSync(normalFile))
      .digest("hex"),
    metrics: { S: round4(s.s), S_TTD: round4(s.sTtd), S_CLS: round4(s.sCls), TPR: round4(s.tpr), TNR: round4(s.tnr) },
  });
  writeFileSync(values.out, bytes);
  process.stdout.write(
    `batadal: trained on ${normalFile}\n  dataset03 (${normal.rows.length} hours of normal operation) in ${(trainedMs / 1000).toFixed(1)} s; rated on dataset04's labelled attacks (never seen in training):\n\n${scoreTable("dataset04", s)}\n\nwrote ${values.out} (${bytes.length} bytes)\n`,
  );
  return 0;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** The model's window from its spec, and the file scored through onnxruntime. */
async function scoreFile(
  modelFile: string,
  csv: string,
): Promise<{ table: BatadalTable; predictions: Uint8Array; scores: Float64Array; threshold: number }> {
  const bytes = new Uint8Array(readFileSync(modelFile));
  const metadata = readModelMetadata(bytes).metadata;
  const spec = modelSpecSchema.parse(JSON.parse(metadata[MODEL_SPEC_KEY] ?? "null"));
  const table = await readBatadalCsv(csv);
  const scorer = await OnnxScorer.load(bytes, { name: spec.name });
  try {
    const { scores, predictions } = await scoreRowsOnnx(
      scorer,
      spec.window,
      table.rows.map((r) => r.readings),
    );
    return { table, predictions, scores, threshold: Number(metadata["lifeline.threshold"]) };
  } finally {
    await scorer.release();
  }
}

/** `score`, `evaluate` and `report` on a file in the BATADAL CSV format. */
export async function batadalFileCommand(sub: "score" | "evaluate" | "report", argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { model: { type: "string" }, csv: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  if (values.model === undefined || values.csv === undefined) throw usage(`${sub} needs --model MODEL.onnx --csv FILE`);
  if (sub !== "evaluate" && values.out === undefined) throw usage(`${sub} needs --out FILE`);
  const { table, predictions, scores, threshold } = await scoreFile(values.model, values.csv);
  if (sub === "score") {
    writeFileSync(values.out as string, formatPredictionCsv(table.rows, predictions));
    const alarms = predictions.reduce((n, p) => n + p, 0);
    process.stdout.write(`${table.rows.length} rows scored, ${alarms} attack hours → ${values.out}\n`);
    return 0;
  }
  if (!table.labelled) throw usage(`${values.csv} has no ATT_FLAG column: nothing to rate the predictions against`);
  const labels = attackLabels(table);
  const s = scoreBatadal(labels, predictions);
  if (sub === "evaluate") {
    const attacks = s.attacks
      .map((a) => `  attack rows ${a.start}–${a.end}: ${a.detected ? `detected after ${a.ttdHours} h` : "missed"}`)
      .join("\n");
    process.stdout.write(`${scoreTable(values.csv, s)}\n\n${attacks}\n`);
    return 0;
  }
  writeFileSync(
    values.out as string,
    htmlReport({
      title: `BATADAL detector on ${values.csv}`,
      summary: `Window score (mean over the last hours of log(1 + Mahalanobis + out-of-range distance)) against the threshold; orange: labelled attack hours; red: hours the model flagged. Scored through onnxruntime.`,
      metrics: {
        S: s.s.toFixed(4),
        S_TTD: s.sTtd.toFixed(4),
        S_CLS: s.sCls.toFixed(4),
        TPR: s.tpr.toFixed(4),
        TNR: s.tnr.toFixed(4),
      },
      panels: [
        {
          title: "attack score",
          ts: table.rows.map((r) => r.timeMs),
          score: Array.from(scores),
          threshold,
          labels: Array.from(labels),
          predictions: Array.from(predictions),
        },
      ],
      generatedAt: Date.now(),
    }),
  );
  process.stdout.write(`S ${s.s.toFixed(4)}; wrote ${values.out}\n`);
  return 0;
}
