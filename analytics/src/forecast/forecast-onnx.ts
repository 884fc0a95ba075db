import { OnnxGraph } from "../onnx/onnx-graph.ts";
import { encodeModel } from "../onnx/onnx-model-encoder.ts";
import { sha256Hex } from "../registry/model-registry.ts";
import { MODEL_SPEC_KEY, type ModelSpecInput } from "../serving/model-spec.ts";
import type { ExceedanceForecaster } from "./exceedance-forecaster.ts";
import { forecastGraphPlan } from "./forecast-graph-plan.ts";

export interface ForecastExport {
  /** Where it is served: the site, and one device or `*`. */
  site: string;
  device?: string;
  /** Hash of the training data, so that a model says what it learned from. */
  trainingDataSha256: string;
  /** Evaluation figures on held-out data, stored as `metric.<name>`. */
  metrics: Readonly<Record<string, number>>;
  version?: number;
}

/**
 * The forecaster as an ONNX model (the op sequence of `forecastGraphPlan`), with what serving
 * needs in its metadata: the spec (inputs, window, outputs `score` = probability and `pred` = alarm),
 * the trained parameters' source, and the evaluation figures.
 */
export function forecasterOnnx(model: ExceedanceForecaster, exp: ForecastExport): Uint8Array {
  const plan = forecastGraphPlan(model);
  const graph = new OnnxGraph(plan.name, model.definition.description).input(
    plan.input.name,
    plan.input.elemType,
    plan.input.dims,
  );
  for (const t of plan.initializers) {
    const data = t.elemType === "float" ? Float32Array.from(t.data) : BigInt64Array.from(t.data, (v) => BigInt(v));
    graph.initializer(t.name, data, t.dims);
  }
  for (const n of plan.nodes) graph.node(n.opType, n.inputs, n.outputs, n.attributes);
  for (const o of plan.outputs) graph.output(o.name, o.elemType, o.dims);
  const spec: ModelSpecInput = {
    format: 1,
    name: model.definition.name,
    site: exp.site,
    device: exp.device ?? "*",
    inputs: [...model.definition.inputs],
    window: model.definition.window,
    // Trained on one row per step (simulated minutes, or the store's step averages): served the same way.
    stepMs: model.definition.stepMs,
    maxRowGapMs: 2 * model.definition.stepMs,
    input: plan.input.name,
    score: "score",
    pred: "pred",
  };
  const metadata: Record<string, string> = {
    [MODEL_SPEC_KEY]: JSON.stringify(spec),
    "lifeline.kind": "exceedance-forecaster",
    "lifeline.horizon_ms": String(model.definition.horizonMs),
    "lifeline.threshold": String(model.threshold),
    "lifeline.features": JSON.stringify(model.definition.features),
    "lifeline.training_data_sha256": exp.trainingDataSha256,
    "lifeline.parameters_sha256": sha256Hex(new TextEncoder().encode(JSON.stringify(model))),
  };
  for (const [k, v] of Object.entries(exp.metrics)) metadata[`metric.${k}`] = String(v);
  return encodeModel(graph, {
    docString: model.definition.description,
    ...(exp.version === undefined ? {} : { modelVersion: exp.version }),
    metadata,
  });
}
