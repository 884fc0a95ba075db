import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AnalyticsError } from "../src/onnx/analytics-error.ts";
import { OnnxGraph } from "../src/onnx/onnx-graph.ts";
import { encodeModel } from "../src/onnx/onnx-model-encoder.ts";
import { readModelMetadata } from "../src/onnx/onnx-model-metadata.ts";
import { ModelProtoField } from "../src/onnx/onnx-proto-fields.ts";
import { OnnxScorer } from "../src/onnx/onnx-scorer.ts";
import { ProtobufWriter } from "../src/onnx/protobuf-writer.ts";

const identity = (): OnnxGraph =>
  new OnnxGraph("co_detector")
    .input("x", "float", ["batch", 3])
    .node("Identity", ["x"], ["y"])
    .output("y", "float", ["batch", 3]);

// What issue 8 says a model carries: inputs and features, version, training-data hash, evaluation metrics.
const METADATA = {
  inputs: "x:float32[batch,3]",
  features: "co_ppm_mean_5m,ch4_pct_max_5m,温度_slope_15m",
  version: "7",
  training_data_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  metrics: JSON.stringify({ f1: 0.912, precision: 0.95, recall: 0.877, dataset: "BATADAL test" }),
  empty: "",
};

describe("model metadata round trip", () => {
  const options = {
    producerVersion: "0.1.0",
    domain: "org.lifeline.analytics",
    modelVersion: 7,
    docString: "Methane and CO anomaly score for mine sensors.",
    metadata: METADATA,
  };

  it("reads back every header field and metadata_props entry that encodeModel wrote", () => {
    expect(readModelMetadata(encodeModel(identity(), options))).toEqual({
      irVersion: 8,
      opsetImports: [{ domain: "", version: 17 }],
      producerName: "lifeline",
      producerVersion: "0.1.0",
      domain: "org.lifeline.analytics",
      modelVersion: 7,
      docString: "Methane and CO anomaly score for mine sensors.",
      graphName: "co_detector",
      metadata: METADATA,
    });
  });

  it("is what a scorer loaded from a file reports, after onnxruntime accepted the model", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lifeline-onnx-"));
    try {
      const path = join(dir, "co_detector.onnx");
      await writeFile(path, encodeModel(identity(), options));
      const scorer = await OnnxScorer.load(path);
      expect(scorer.name).toBe("co_detector");
      expect(scorer.metadata.metadata).toEqual(METADATA);
      expect(scorer.metadata.modelVersion).toBe(7);
      await scorer.release();
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("keeps a key named __proto__ as a plain entry", () => {
    const metadata = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
    const read = readModelMetadata(encodeModel(identity(), { metadata })).metadata;
    expect(Object.entries(read)).toEqual([
      ["__proto__", "x"],
      ["a", "b"],
    ]);
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
  });

  it("reads no metadata and the defaults when none were given", () => {
    const read = readModelMetadata(encodeModel(identity()));
    expect(read.metadata).toEqual({});
    expect([read.producerVersion, read.modelVersion, read.docString]).toEqual(["", 0, ""]);
  });

  it("refuses a metadata key written twice", () => {
    const w = new ProtobufWriter()
      .int64(ModelProtoField.irVersion, 8)
      .message(ModelProtoField.graph, (g) => g.string(2, "g"));
    for (const value of ["1", "2"]) {
      w.message(ModelProtoField.metadataProps, (e) => e.string(1, "version").string(2, value));
    }
    expect(() => readModelMetadata(w.finish())).toThrow(
      new AnalyticsError("ANALYTICS_MODEL_INVALID", 'metadata_props has the key "version" twice', { key: "version" }),
    );
  });

  it("refuses bytes that are not a ModelProto", () => {
    expect(() => readModelMetadata(new TextEncoder().encode("not a model"))).toThrow(AnalyticsError);
    expect(() => readModelMetadata(new ProtobufWriter().string(2, "no ir_version, no graph").finish())).toThrow(
      new AnalyticsError("ANALYTICS_MODEL_INVALID", "not an ONNX model: no ir_version or no graph", {
        irVersion: 0,
        graph: false,
      }),
    );
  });
});
