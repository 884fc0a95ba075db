import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalyticsError } from "../src/onnx/analytics-error.ts";
import { OnnxGraph, onnxAttr } from "../src/onnx/onnx-graph.ts";
import { encodeModel } from "../src/onnx/onnx-model-encoder.ts";
import { OnnxScorer, type OnnxTensorOutput } from "../src/onnx/onnx-scorer.ts";

// A PCA monitoring graph over windows [batch, window, features]: standardize, project onto K
// components, reconstruct; per row the squared residual (SPE/Q) and Hotelling's T²; each smoothed
// as the mean over the window; an alarm where the smoothed SPE exceeds a limit.
const F = 6;
const K = 2;
const WINDOW = 4;
const BATCH = 8;
const ANOMALOUS = [1, 4, 6];

const MEAN = Float32Array.from({ length: F }, (_, f) => 20 + 5 * f);
const STD = Float32Array.from({ length: F }, (_, f) => 1 + 0.25 * f);
const LAMBDA = Float32Array.of(3.2, 1.4);

/** Two orthonormal directions (Gram–Schmidt on fixed vectors), stored [F, K]; `back` is its transpose. */
function components(): { p: Float32Array; back: Float32Array } {
  const a = Array.from({ length: F }, (_, f) => Math.cos(f * 0.8));
  const b = Array.from({ length: F }, (_, f) => Math.sin(f * 1.3 + 0.4));
  const norm = (v: number[]) => Math.hypot(...v);
  const u = a.map((x) => x / norm(a));
  const dot = b.reduce((s, x, f) => s + x * (u[f] as number), 0);
  const w0 = b.map((x, f) => x - dot * (u[f] as number));
  const w = w0.map((x) => x / norm(w0));
  const p = new Float32Array(F * K);
  const back = new Float32Array(K * F);
  for (let f = 0; f < F; f++) {
    p[f * K] = back[f] = u[f] as number;
    p[f * K + 1] = back[F + f] = w[f] as number;
  }
  return { p, back };
}

function pcaGraph(threshold: number, p: Float32Array, back: Float32Array): OnnxGraph {
  return (
    new OnnxGraph("pca_residual")
      .input("window", "float", ["batch", WINDOW, F])
      .initializer("mean", MEAN, [F])
      .initializer("std", STD, [F])
      .initializer("components", p, [F, K])
      .initializer("components_t", back, [K, F])
      .initializer(
        "inv_lambda",
        LAMBDA.map((l) => 1 / l),
        [K],
      )
      .initializer("last_axis", BigInt64Array.of(2n), [1])
      .initializer("limit", Float32Array.of(threshold), [])
      .node("Sub", ["window", "mean"], ["centered"])
      .node("Div", ["centered", "std"], ["z"])
      .node("MatMul", ["z", "components"], ["t"])
      .node("MatMul", ["t", "components_t"], ["reconstructed"])
      .node("Sub", ["z", "reconstructed"], ["residual"])
      .node("Mul", ["residual", "residual"], ["residual_sq"])
      // Opset 13–17 ReduceSum: axes is an input tensor; ReduceMean (until opset 18): an attribute.
      .node("ReduceSum", ["residual_sq", "last_axis"], ["spe_rows"], { keepdims: onnxAttr.int(0) })
      .node("ReduceMean", ["spe_rows"], ["spe"], { axes: onnxAttr.ints([1]), keepdims: onnxAttr.int(0) })
      .node("Mul", ["t", "t"], ["t_sq"])
      .node("Mul", ["t_sq", "inv_lambda"], ["t_scaled"])
      .node("ReduceSum", ["t_scaled", "last_axis"], ["t2_rows"], { keepdims: onnxAttr.int(0) })
      .node("ReduceMean", ["t2_rows"], ["t2"], { axes: onnxAttr.ints([1]), keepdims: onnxAttr.int(0) })
      .node("Greater", ["spe", "limit"], ["alarm"])
      .node("Cast", ["alarm"], ["alarm_flag"], { to: onnxAttr.int(1) }) // TensorProto.FLOAT
      .output("spe", "float", ["batch"])
      .output("t2", "float", ["batch"])
      .output("alarm", "bool", ["batch"])
      .output("alarm_flag", "float", ["batch"])
  );
}

/** Windows of smooth signals; the anomalous devices get a step in features 2 and 5 on their last two rows. */
function windows(): Float32Array {
  const x = new Float32Array(BATCH * WINDOW * F);
  for (let d = 0; d < BATCH; d++) {
    for (let r = 0; r < WINDOW; r++) {
      for (let f = 0; f < F; f++) {
        const step = ANOMALOUS.includes(d) && r >= WINDOW - 2 && (f === 2 || f === 5) ? 4 + d : 0;
        const sd = STD[f] as number;
        x[(d * WINDOW + r) * F + f] = (MEAN[f] as number) + sd * (Math.sin(d * 1.1 + r * 0.5 + f * 0.9) + step);
      }
    }
  }
  return x;
}

function reference(x: Float32Array, p: Float32Array, back: Float32Array): { spe: number[]; t2: number[] } {
  const spe: number[] = [];
  const t2: number[] = [];
  for (let d = 0; d < BATCH; d++) {
    let speSum = 0;
    let t2Sum = 0;
    for (let r = 0; r < WINDOW; r++) {
      const z = Array.from(
        { length: F },
        (_, f) => ((x[(d * WINDOW + r) * F + f] as number) - (MEAN[f] as number)) / (STD[f] as number),
      );
      const t = Array.from({ length: K }, (_, k) => z.reduce((s, zf, f) => s + zf * (p[f * K + k] as number), 0));
      for (let f = 0; f < F; f++) {
        const rec = t.reduce((s, tk, k) => s + tk * (back[k * F + f] as number), 0);
        speSum += ((z[f] as number) - rec) ** 2;
      }
      t2Sum += t.reduce((s, tk, k) => s + (tk * tk) / (LAMBDA[k] as number), 0);
    }
    spe.push(speSum / WINDOW);
    t2.push(t2Sum / WINDOW);
  }
  return { spe, t2 };
}

function farFrom(actual: ArrayLike<number>, expected: readonly number[]): number[] {
  expect(actual.length).toBe(expected.length);
  return expected.flatMap((e, i) => (Math.abs((actual[i] as number) - e) > 1e-5 * Math.max(1, Math.abs(e)) ? [i] : []));
}

/** An output's values as plain numbers ([] when the output is missing, which the assertion then shows). */
function numbers(t: OnnxTensorOutput | undefined): number[] {
  return t === undefined ? [] : Array.from(t.data as Float32Array);
}

describe("PCA residual score with window smoothing and a threshold", () => {
  const { p, back } = components();
  const x = windows();
  const expected = reference(x, p, back);
  // The limit halfway between the largest normal score and the smallest anomalous one.
  const normal = expected.spe.filter((_, d) => !ANOMALOUS.includes(d));
  const anomalous = expected.spe.filter((_, d) => ANOMALOUS.includes(d));
  const limit = (Math.max(...normal) + Math.min(...anomalous)) / 2;
  let scorer: OnnxScorer;
  beforeAll(async () => {
    scorer = await OnnxScorer.load(encodeModel(pcaGraph(limit, p, back)));
  });
  afterAll(async () => {
    await scorer.release();
  });

  it("separates the anomalous devices by a wide margin in the reference", () => {
    expect(Math.min(...anomalous) - Math.max(...normal)).toBeGreaterThan(1);
  });

  it("computes the smoothed SPE and T² of every device as the TypeScript reference does", async () => {
    const out = await scorer.run({ window: { data: x, dims: [BATCH, WINDOW, F] } });
    expect(Object.keys(out).sort()).toEqual(["alarm", "alarm_flag", "spe", "t2"]);
    expect(out.spe?.dims).toEqual([BATCH]);
    expect(farFrom(out.spe?.data as Float32Array, expected.spe)).toEqual([]);
    expect(farFrom(out.t2?.data as Float32Array, expected.t2)).toEqual([]);
  });

  it("raises the alarm (bool) and its 0/1 flag for exactly the anomalous devices", async () => {
    const out = await scorer.run({ window: { data: x, dims: [BATCH, WINDOW, F] } });
    const flags = Array.from({ length: BATCH }, (_, d) => (ANOMALOUS.includes(d) ? 1 : 0));
    expect(out.alarm?.type).toBe("bool");
    expect(numbers(out.alarm)).toEqual(flags);
    expect(out.alarm_flag?.type).toBe("float32");
    expect(numbers(out.alarm_flag)).toEqual(flags);
  });

  it("scores one device alone as it scores it in the batch", async () => {
    const one = x.subarray(4 * WINDOW * F, 5 * WINDOW * F);
    const out = await scorer.run({ window: { data: one, dims: [1, WINDOW, F] } });
    expect(farFrom(out.spe?.data as Float32Array, [expected.spe[4] as number])).toEqual([]);
    expect(numbers(out.alarm)).toEqual([1]);
  });
});

describe("opset 17 signatures of the reductions", () => {
  const reduce = (op: string, axesAs: "input" | "attribute") => {
    const g = new OnnxGraph(`${op}_${axesAs}`).input("x", "float", [2, 3]);
    if (axesAs === "input") g.initializer("axes", BigInt64Array.of(1n), [1]).node(op, ["x", "axes"], ["y"]);
    else g.node(op, ["x"], ["y"], { axes: onnxAttr.ints([1]) });
    return g.output("y", "float", [2, 1]);
  };
  const loadError = async (bytes: Uint8Array): Promise<AnalyticsError> =>
    OnnxScorer.load(bytes).then(
      () => expect.unreachable("loaded"),
      (e: AnalyticsError) => e,
    );

  it("refuses ReduceMean with axes as an input before opset 18", async () => {
    const e = await loadError(encodeModel(reduce("ReduceMean", "input"), { opset: 17 }));
    expect(e.code).toBe("ANALYTICS_MODEL_INVALID");
    expect(e.message).toContain(
      "Node(ReduceMean_0) with schema(::ReduceMean:13) has input size 2 not in range [min=1, max=1]",
    );
  });

  it("accepts ReduceMean with axes as an input from opset 18", async () => {
    const scorer = await OnnxScorer.load(encodeModel(reduce("ReduceMean", "input"), { opset: 18 }));
    const out = await scorer.run({ x: { data: Float32Array.of(1, 2, 3, 4, 5, 9), dims: [2, 3] } });
    expect(numbers(out.y)).toEqual([2, 6]);
    await scorer.release();
  });

  it("refuses ReduceSum with axes as an attribute in opset 17", async () => {
    const e = await loadError(encodeModel(reduce("ReduceSum", "attribute"), { opset: 17 }));
    expect(e.code).toBe("ANALYTICS_MODEL_INVALID");
    expect(e.message).toContain("Unrecognized attribute: axes for operator ReduceSum");
  });
});
