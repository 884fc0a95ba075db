import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBatadalCsv } from "../src/batadal/batadal-csv.ts";
import { batadalFile } from "../src/batadal/batadal-data.ts";
import { scoreRows } from "../src/batadal/batadal-detector.ts";
import { attackLabels } from "../src/batadal/batadal-evaluate.ts";
import type { BatadalModel } from "../src/batadal/batadal-model.ts";
import { batadalOnnx, scoreRowsOnnx } from "../src/batadal/batadal-onnx.ts";
import { scoreBatadal } from "../src/batadal/batadal-score.ts";
import { trainBatadal } from "../src/batadal/train-batadal.ts";
import { readModelMetadata } from "../src/onnx/onnx-model-metadata.ts";
import { OnnxScorer } from "../src/onnx/onnx-scorer.ts";
import { MODEL_SPEC_KEY } from "../src/serving/model-spec.ts";

let model: BatadalModel;
let scorer: OnnxScorer;
let bytes: Uint8Array;

beforeAll(async () => {
  model = trainBatadal(await readBatadalCsv(batadalFile("03")));
  bytes = batadalOnnx(model, { site: "ctown", trainingDataSha256: "ab".repeat(32), metrics: { S: 0.96 } });
  scorer = await OnnxScorer.load(bytes);
}, 60_000);
afterAll(() => scorer?.release());

describe("the BATADAL detector in ONNX", () => {
  it("gives, through onnxruntime, the predictions of the TypeScript detector on every row of dataset04", async () => {
    const table = await readBatadalCsv(batadalFile("04"));
    const readings = table.rows.map((r) => r.readings);
    const ts = scoreRows(model, readings);
    const ort = await scoreRowsOnnx(scorer, model.windowRows, readings);
    expect(ort.predictions.length).toBe(4177);
    let mismatches = 0;
    let worst = 0;
    for (let t = 0; t < readings.length; t++) {
      if (ort.predictions[t] !== ts.predictions[t]) mismatches++;
      if (t > 0)
        worst = Math.max(
          worst,
          Math.abs((ort.scores[t] as number) - (ts.scores[t] as number)) / Math.abs(ts.scores[t] as number),
        );
    }
    expect(mismatches).toBe(0);
    expect(worst).toBeLessThan(1e-5);
    expect(Number.isNaN(ort.scores[0])).toBe(true);
    const s = scoreBatadal(attackLabels(table), ort.predictions);
    // Measured through onnxruntime: S 0.9790, TPR 1, TNR 0.9161, as in TypeScript.
    expect(s.s).toBeGreaterThanOrEqual(0.975);
    expect(s.sTtd).toBe(1);
    expect(s.falseNegatives).toBe(0);
  });

  it("carries its serving spec and figures in the model's metadata", () => {
    const { metadata } = readModelMetadata(bytes);
    expect(JSON.parse(metadata[MODEL_SPEC_KEY] ?? "{}")).toMatchObject({
      name: "batadal",
      site: "ctown",
      window: model.windowRows,
      input: "readings",
      score: "score",
      pred: "pred",
    });
    expect(JSON.parse(metadata[MODEL_SPEC_KEY] ?? "{}").inputs).toHaveLength(43);
    expect(metadata["metric.S"]).toBe("0.96");
    expect(metadata["lifeline.parameters_sha256"]).toMatch(/^[0-9a-f]{64}$/);
  });
});
