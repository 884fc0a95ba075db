import { createHash } from "node:crypto";
import { VISION_FEATURE_COUNT, visionFeatures } from "./vision-features.ts";
import {
  fitVisionModel,
  VISION_CLASSES,
  type VisionClass,
  type VisionModel,
  visionProbabilities,
} from "./vision-model.ts";
import { writeChw } from "./vision-tensor.ts";

export type VisionSampleKind = "clear" | "dust" | "water" | "dust+water";

/** A labelled frame with its camera's clean reference (same size); simulators' `sceneSamples` makes these. */
export interface VisionSample {
  width: number;
  height: number;
  rgb: Uint8Array;
  background: Uint8Array;
  dust: boolean;
  water: boolean;
  /** What else is in the frame (rain, mist, dusk, …), for false-positive counts. */
  nuisances?: readonly string[];
}

export interface VisionSampleRequest {
  seed: number;
  count: number;
  width: number;
  height: number;
  kind: VisionSampleKind;
}

/** Where frames come from; injected so that analytics does not depend on the simulators. */
export type VisionSampleSource = (request: VisionSampleRequest) => VisionSample[];

export interface TrainVisionOptions {
  source: VisionSampleSource;
  /** Training frames come from seed, held-out ones from seed + 1,000,000 (other cameras). Default 1. */
  seed?: number;
  /** Frames of each kind (clear, dust, water; half as many with both); default 400. */
  framesPerClass?: number;
  /** Held-out frames per kind; default framesPerClass / 2. */
  testFramesPerClass?: number;
  /** Model input; default 128 × 96. */
  width?: number;
  height?: number;
  /** Logistic regression penalty; default 1. */
  l2?: number;
}

export interface ClassFigures {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number;
  recall: number;
  accuracy: number;
}

export interface VisionEvaluation {
  frames: number;
  classes: Record<VisionClass, ClassFigures>;
  /** Per nuisance: frames negative for a class that have it, and how many of them the model called positive. */
  nuisanceFalsePositives: Record<string, Record<VisionClass, { negatives: number; falsePositives: number }>>;
}

export interface TrainedVisionModel {
  model: VisionModel;
  evaluation: VisionEvaluation;
  trainingDataSha256: string;
  /** Metrics for `visionOnnx`: `dust.precision`, `water.recall`, … */
  metrics: Record<string, number>;
}

interface LabelledFeatures {
  features: Float64Array;
  labels: Record<VisionClass, Uint8Array>;
  nuisances: (readonly string[])[];
}

/** Draws simulated frames, fits the heads on the training cameras, evaluates on held-out cameras. */
export function trainVisionModel(options: TrainVisionOptions): TrainedVisionModel {
  const width = options.width ?? 128;
  const height = options.height ?? 96;
  const seed = options.seed ?? 1;
  const n = options.framesPerClass ?? 400;
  const hash = createHash("sha256");
  const train = featuresOf(draw(options.source, seed, n, width, height), width, height, hash);
  const test = featuresOf(
    draw(options.source, seed + 1_000_000, options.testFramesPerClass ?? Math.ceil(n / 2), width, height),
    width,
    height,
  );
  const model = fitVisionModel(train.features, train.labels, { width, height }, options.l2 ?? 1);
  const evaluation = evaluateVision(model, test);
  const metrics: Record<string, number> = { test_frames: evaluation.frames, train_frames: train.nuisances.length };
  for (const c of VISION_CLASSES) {
    const f = evaluation.classes[c];
    Object.assign(metrics, {
      [`${c}.precision`]: f.precision,
      [`${c}.recall`]: f.recall,
      [`${c}.accuracy`]: f.accuracy,
    });
  }
  return { model, evaluation, trainingDataSha256: hash.digest("hex"), metrics };
}

function draw(source: VisionSampleSource, seed: number, n: number, width: number, height: number): VisionSample[] {
  const kinds: [VisionSampleKind, number][] = [
    ["clear", n],
    ["dust", n],
    ["water", n],
    ["dust+water", Math.ceil(n / 2)],
  ];
  return kinds.flatMap(([kind, count], k) => source({ seed: seed * 4 + k, count, width, height, kind }));
}

/** Features of each sample (resized to the model input), its labels, and (optionally) into a hash. */
export function featuresOf(
  samples: readonly VisionSample[],
  width: number,
  height: number,
  hash?: ReturnType<typeof createHash>,
): LabelledFeatures {
  const features = new Float64Array(samples.length * VISION_FEATURE_COUNT);
  const labels = { dust: new Uint8Array(samples.length), water: new Uint8Array(samples.length) };
  const frame = new Float32Array(3 * width * height);
  const background = new Float32Array(3 * width * height);
  samples.forEach((s, i) => {
    writeChw(s, width, height, frame);
    writeChw({ width: s.width, height: s.height, rgb: s.background }, width, height, background);
    features.set(visionFeatures(frame, background, width, height), i * VISION_FEATURE_COUNT);
    labels.dust[i] = s.dust ? 1 : 0;
    labels.water[i] = s.water ? 1 : 0;
    hash?.update(s.rgb).update(s.background).update(Uint8Array.of(labels.dust[i], labels.water[i]));
  });
  return { features, labels, nuisances: samples.map((s) => s.nuisances ?? []) };
}

/** Precision, recall and accuracy per class at the model's threshold, and false positives per nuisance. */
export function evaluateVision(model: VisionModel, data: LabelledFeatures): VisionEvaluation {
  const rows = data.nuisances.length;
  const classes = {} as Record<VisionClass, ClassFigures>;
  const nuisanceFalsePositives: VisionEvaluation["nuisanceFalsePositives"] = {};
  const counts = VISION_CLASSES.map(() => ({ tp: 0, fp: 0, fn: 0, tn: 0 }));
  for (let i = 0; i < rows; i++) {
    const p = visionProbabilities(
      model,
      data.features.subarray(i * VISION_FEATURE_COUNT, (i + 1) * VISION_FEATURE_COUNT),
    );
    VISION_CLASSES.forEach((c, k) => {
      const said = (p[k] as number) >= model.threshold;
      const truth = data.labels[c][i] === 1;
      const cell = counts[k] as { tp: number; fp: number; fn: number; tn: number };
      if (said && truth) cell.tp++;
      else if (said) cell.fp++;
      else if (truth) cell.fn++;
      else cell.tn++;
      if (truth) return;
      for (const name of data.nuisances[i] ?? []) {
        nuisanceFalsePositives[name] ??= {
          dust: { negatives: 0, falsePositives: 0 },
          water: { negatives: 0, falsePositives: 0 },
        };
        const entry = nuisanceFalsePositives[name][c];
        entry.negatives++;
        if (said) entry.falsePositives++;
      }
    });
  }
  VISION_CLASSES.forEach((c, k) => {
    const { tp, fp, fn, tn } = counts[k] as { tp: number; fp: number; fn: number; tn: number };
    classes[c] = {
      tp,
      fp,
      fn,
      tn,
      precision: tp / Math.max(1, tp + fp),
      recall: tp / Math.max(1, tp + fn),
      accuracy: (tp + tn) / Math.max(1, rows),
    };
  });
  return { frames: rows, classes, nuisanceFalsePositives };
}
