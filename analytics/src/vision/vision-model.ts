import {
  fitLogisticRegression,
  type LogisticRegression,
  logisticProbability,
} from "../forecast/logistic-regression.ts";
import { encodeModel } from "../onnx/onnx-model-encoder.ts";
import { sha256Hex } from "../registry/model-registry.ts";
import { checkVisionSize, VISION_FEATURE_COUNT, visionFeatureNames } from "./vision-features.ts";
import { type VisionHead, visionGraph } from "./vision-graph.ts";

export const VISION_CLASSES = ["dust", "water"] as const;
export type VisionClass = (typeof VISION_CLASSES)[number];

/** Metadata keys of a vision model file. */
export const VISION_INPUT_KEY = "lifeline.vision.input";
export const VISION_CLASSES_KEY = "lifeline.vision.classes";

/** The input contract written into the model: what `VisionScorer` resizes frames to. */
export interface VisionInputSpec {
  width: number;
  height: number;
  /** Input names; both [batch, 3, height, width], RGB 0..1, planar. */
  frames: "frames";
  background: "background";
  output: "probabilities";
}

/** Per class, a logistic regression on the image statistics; probability ≥ threshold means present. */
export interface VisionModel {
  width: number;
  height: number;
  classes: readonly VisionClass[];
  heads: readonly LogisticRegression[];
  threshold: number;
}

/** Fits one penalised logistic regression per class on feature rows (`rows × VISION_FEATURE_COUNT`). */
export function fitVisionModel(
  features: Float64Array,
  labels: Readonly<Record<VisionClass, ArrayLike<number>>>,
  size: { width: number; height: number },
  l2 = 1,
): VisionModel {
  checkVisionSize(size.width, size.height);
  const heads = VISION_CLASSES.map((c) => fitLogisticRegression(features, labels[c], VISION_FEATURE_COUNT, { l2 }));
  return { ...size, classes: VISION_CLASSES, heads, threshold: 0.5 };
}

/** Probabilities per class for one feature row, in TypeScript (float64). */
export function visionProbabilities(model: VisionModel, features: ArrayLike<number>): number[] {
  return model.heads.map((h) => logisticProbability(h, features));
}

/** The heads as one Gemm: standardisation folded into the weights, w/s and b − Σ w·m/s. */
export function visionHead(model: VisionModel): VisionHead {
  const k = model.heads.length;
  const weights = new Float32Array(k * VISION_FEATURE_COUNT);
  const bias = new Float32Array(k);
  model.heads.forEach((h, c) => {
    let b = h.bias;
    for (let j = 0; j < VISION_FEATURE_COUNT; j++) {
      const w = (h.weights[j] as number) / (h.scale[j] as number);
      weights[c * VISION_FEATURE_COUNT + j] = w;
      b -= w * (h.mean[j] as number);
    }
    bias[c] = b;
  });
  return { classes: model.classes, weights, bias };
}

export interface VisionExport {
  /** Hash of the training frames and labels, so that a model says what it learned from. */
  trainingDataSha256: string;
  /** Held-out figures, stored as `metric.<name>`. */
  metrics: Readonly<Record<string, number>>;
  version?: number;
}

/** The model file: statistics and head in one graph, the input contract, classes and figures in its metadata. */
export function visionOnnx(model: VisionModel, exp: VisionExport): Uint8Array {
  const input: VisionInputSpec = {
    width: model.width,
    height: model.height,
    frames: "frames",
    background: "background",
    output: "probabilities",
  };
  const metadata: Record<string, string> = {
    "lifeline.kind": "vision-classifier",
    [VISION_INPUT_KEY]: JSON.stringify(input),
    [VISION_CLASSES_KEY]: JSON.stringify(model.classes),
    "lifeline.threshold": String(model.threshold),
    "lifeline.features": JSON.stringify(visionFeatureNames()),
    "lifeline.training_data_sha256": exp.trainingDataSha256,
    "lifeline.parameters_sha256": sha256Hex(new TextEncoder().encode(JSON.stringify(model))),
  };
  for (const [k, v] of Object.entries(exp.metrics)) metadata[`metric.${k}`] = String(v);
  return encodeModel(visionGraph(model.width, model.height, visionHead(model)), {
    docString: "Dust plume / haze and surface water on roads, trained on simulated frames",
    ...(exp.version === undefined ? {} : { modelVersion: exp.version }),
    metadata,
  });
}
