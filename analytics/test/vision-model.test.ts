import { sceneSamples } from "@lifeline/simulators";
import { describe, expect, it } from "vitest";
import { encodeModel } from "../src/onnx/onnx-model-encoder.ts";
import { featuresOf, trainVisionModel } from "../src/vision/train-vision.ts";
import { VISION_FEATURE_COUNT } from "../src/vision/vision-features.ts";
import { visionGraph } from "../src/vision/vision-graph.ts";
import { VISION_INPUT_KEY, visionOnnx, visionProbabilities } from "../src/vision/vision-model.ts";
import { VisionScorer } from "../src/vision/vision-scorer.ts";

// 60 frames per kind at 64 × 64 trains in about a second; the CLI trains at 128 × 96 with 400.
const trained = trainVisionModel({ source: sceneSamples, seed: 1, framesPerClass: 60, width: 64, height: 64 });

describe("trainVisionModel", () => {
  it("separates dust, water and clear frames of held-out cameras", () => {
    const { evaluation } = trained;
    // 30 held-out frames of each kind, 15 with both: 105 frames.
    expect(evaluation.frames).toBe(105);
    // Deterministic (seeded frames, Newton fit): the confusion counts are exact.
    expect(evaluation.classes.dust).toMatchObject({ tp: 43, fp: 0, fn: 2, tn: 60 });
    expect(evaluation.classes.water).toMatchObject({ tp: 41, fp: 0, fn: 4, tn: 60 });
    for (const figures of Object.values(evaluation.nuisanceFalsePositives)) {
      expect(figures.dust.falsePositives + figures.water.falsePositives).toBe(0);
    }
    expect(Object.keys(evaluation.nuisanceFalsePositives).sort()).toEqual([
      "clouds",
      "dusk",
      "mist",
      "noise",
      "rain",
      "vehicle",
    ]);
    expect(trained.trainingDataSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("is the same model on every run", () => {
    const again = trainVisionModel({ source: sceneSamples, seed: 1, framesPerClass: 60, width: 64, height: 64 });
    expect(again.trainingDataSha256).toBe(trained.trainingDataSha256);
    expect(again.model).toEqual(trained.model);
  });

  it("exports one ONNX model whose probabilities match TypeScript's, scored in batches from frames of another size", async () => {
    const bytes = visionOnnx(trained.model, {
      trainingDataSha256: trained.trainingDataSha256,
      metrics: trained.metrics,
      version: 3,
    });
    const scorer = await VisionScorer.load(bytes, { batchSize: 4 });
    expect(scorer.input).toEqual({
      width: 64,
      height: 64,
      frames: "frames",
      background: "background",
      output: "probabilities",
    });
    expect(scorer.classes).toEqual(["dust", "water"]);
    const meta = scorer.onnx.metadata;
    expect(meta.modelVersion).toBe(3);
    expect(meta.metadata["lifeline.training_data_sha256"]).toBe(trained.trainingDataSha256);
    expect(meta.metadata["metric.dust.precision"]).toBe(String(trained.metrics["dust.precision"]));
    expect(JSON.parse(meta.metadata[VISION_INPUT_KEY] ?? "{}").width).toBe(64);
    // One camera, frames at 128 × 128 (resized to the model's 64 × 64 by the scorer).
    const frames = sceneSamples({ seed: 77, count: 10, width: 128, height: 128, kind: "dust", views: ["road"] });
    const background = { width: 128, height: 128, rgb: frames[0]?.background as Uint8Array };
    const scores = await scorer.score(frames, background);
    expect(scores).toHaveLength(10);
    const ref = featuresOf(
      frames.map((f) => ({ ...f, background: background.rgb })),
      64,
      64,
    );
    scores.forEach((s, i) => {
      const p = visionProbabilities(
        trained.model,
        ref.features.subarray(i * VISION_FEATURE_COUNT, (i + 1) * VISION_FEATURE_COUNT),
      );
      expect(s.dust).toBeCloseTo(p[0] as number, 4);
      expect(s.water).toBeCloseTo(p[1] as number, 4);
    });
    await scorer.release();
  });

  it("refuses a model without vision metadata", async () => {
    await expect(VisionScorer.load(encodeModel(visionGraph(64, 64)))).rejects.toMatchObject({
      code: "ANALYTICS_MODEL_INVALID",
    });
  });
});
