import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnalyticsError } from "../src/onnx/analytics-error.ts";
import { OnnxGraph } from "../src/onnx/onnx-graph.ts";
import { encodeModel } from "../src/onnx/onnx-model-encoder.ts";
import { OnnxScorer, type OnnxTensorInput, type OnnxTensorOutput } from "../src/onnx/onnx-scorer.ts";

/** y = x + bias and flag = x > bias over rows [batch, 4]; `bias` is a second input with its own batch. */
const twoInputs = (): OnnxGraph =>
  new OnnxGraph("adder")
    .input("x", "float", ["batch", 4])
    .input("bias", "float", ["batch", 4])
    .node("Add", ["x", "bias"], ["y"])
    .node("Greater", ["x", "bias"], ["flag"])
    .output("y", "float", ["batch", 4])
    .output("flag", "bool", ["batch", 4]);

async function failure(promise: Promise<unknown>): Promise<AnalyticsError> {
  return promise.then(
    () => expect.unreachable("no error"),
    (e: unknown) => {
      expect(e).toBeInstanceOf(AnalyticsError);
      return e as AnalyticsError;
    },
  );
}

/** An output's values as plain numbers ([] when the output is missing, which the assertion then shows). */
function numbers(t: OnnxTensorOutput | undefined): number[] {
  return t === undefined ? [] : Array.from(t.data as Float32Array);
}

describe("loading bad models", () => {
  it("ANALYTICS_MODEL_INVALID with onnxruntime's reason for bytes that are not a model", async () => {
    const e = await failure(OnnxScorer.load(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x01)));
    expect(e.code).toBe("ANALYTICS_MODEL_INVALID");
    expect(e.message).toBe(
      "model (bytes): onnxruntime cannot load it: Failed to load model because protobuf parsing failed.",
    );
    expect(e.detail).toEqual({ model: "(bytes)", bytes: 5 });
    expect(e.cause).toBeInstanceOf(Error);
  });

  it("ANALYTICS_MODEL_INVALID for a model cut short, named by the caller's label", async () => {
    const bytes = encodeModel(twoInputs());
    const e = await failure(OnnxScorer.load(bytes.subarray(0, bytes.length - 9), { name: "adder-v3" }));
    expect(e.code).toBe("ANALYTICS_MODEL_INVALID");
    expect(e.message).toMatch(/^model adder-v3: onnxruntime cannot load it: /);
  });

  it("ANALYTICS_MODEL_INVALID naming the node for an operator onnxruntime does not know", async () => {
    const g = new OnnxGraph("odd").input("x", "float", [2]).node("Frobnicate", ["x"], ["y"]).output("y", "float", [2]);
    const e = await failure(OnnxScorer.load(encodeModel(g)));
    expect(e.code).toBe("ANALYTICS_MODEL_INVALID");
    expect(e.message).toContain("No Op registered for Frobnicate with domain_version of 17");
  });

  it("ANALYTICS_MODEL_UNREADABLE for a file that is not there", async () => {
    const path = join(import.meta.dirname, "no-such-model.onnx");
    const e = await failure(OnnxScorer.load(path));
    expect(e.code).toBe("ANALYTICS_MODEL_UNREADABLE");
    expect(e.message).toBe(`model ${path}: ENOENT: no such file or directory, open '${path}'`);
  });
});

describe("inputs that do not match the model", () => {
  let scorer: OnnxScorer;
  const rows = (n: number): OnnxTensorInput => ({ data: new Float32Array(n * 4), dims: [n, 4] });
  beforeAll(async () => {
    scorer = await OnnxScorer.load(encodeModel(twoInputs()));
  });
  afterAll(async () => {
    await scorer.release();
  });

  const cases: [string, Record<string, OnnxTensorInput>, string, Record<string, unknown>][] = [
    [
      "other fixed dims",
      { x: { data: new Float32Array(6), dims: [2, 3] }, bias: rows(2) },
      'model adder: input "x" expects dims [batch, 4], given [2, 3]',
      { expected: ["batch", 4], given: [2, 3] },
    ],
    [
      "another rank",
      { x: { data: new Float32Array(4), dims: [4] }, bias: rows(1) },
      'model adder: input "x" expects dims [batch, 4], given [4]',
      { expected: ["batch", 4], given: [4] },
    ],
    ["a missing input", { x: rows(2) }, 'model adder: input "bias" is missing (expects float32 [batch, 4])', {}],
    [
      "an unknown input",
      { x: rows(2), bias: rows(2), gain: rows(2) },
      'model adder: input "gain" is not an input of the model (inputs: x, bias)',
      {},
    ],
    [
      "another element type",
      { x: { data: new Float64Array(8), dims: [2, 4] }, bias: rows(2) },
      'model adder: input "x" expects float32 data (a Float32Array), given a Float64Array',
      { expectedType: "float32" },
    ],
    [
      "data of another size than its dims",
      { x: { data: new Float32Array(7), dims: [2, 4] }, bias: rows(2) },
      'model adder: input "x" dims [2, 4] hold 8 values, the data has 7',
      { expected: ["batch", 4], given: [2, 4] },
    ],
    [
      "two sizes for one symbolic dimension",
      { x: rows(2), bias: rows(3) },
      'model adder: input "bias" binds batch = 3, another input bound it to 2',
      { expected: ["batch", 4], given: [3, 4] },
    ],
  ];

  it.each(cases)("ANALYTICS_MODEL_INPUT_MISMATCH for %s", async (_, inputs, message, detail) => {
    const e = await failure(scorer.run(inputs));
    const input = /input "(\w+)"/.exec(message)?.[1];
    expect(e).toEqual(
      new AnalyticsError("ANALYTICS_MODEL_INPUT_MISMATCH", message, { model: "adder", input, ...detail }),
    );
  });

  it("runs once the inputs match, with a bool output as 0/1 bytes", async () => {
    const x = { data: Float32Array.of(1, 2, 3, 4), dims: [1, 4] };
    const bias = { data: Float32Array.of(2, 2, 2, 2), dims: [1, 4] };
    const out = await scorer.run({ x, bias });
    expect(numbers(out.y)).toEqual([3, 4, 5, 6]);
    expect(out.flag?.type).toBe("bool");
    expect(numbers(out.flag)).toEqual([0, 0, 1, 1]);
  });

  it("scoreBatch: ANALYTICS_MODEL_INPUT_MISMATCH for a buffer shorter than rowCount × width", async () => {
    const e = await failure(scorer.scoreBatch("x", new Float32Array(10), 3, 4));
    expect(e.code).toBe("ANALYTICS_MODEL_INPUT_MISMATCH");
    expect(e.message).toBe('model adder: input "x" 3 rows of 4 need 12 values, given 10');
  });

  it("scoreBatch: ANALYTICS_MODEL_OUTPUT_MISMATCH for an output that is not float32", async () => {
    const single = await OnnxScorer.load(
      encodeModel(
        new OnnxGraph("flagger")
          .input("x", "float", ["batch", 2])
          .initializer("zero", Float32Array.of(0), [])
          .node("Greater", ["x", "zero"], ["flag"])
          .output("flag", "bool", ["batch", 2]),
      ),
    );
    const e = await failure(single.scoreBatch("x", Float32Array.of(1, -1), 1, 2));
    expect(e.code).toBe("ANALYTICS_MODEL_OUTPUT_MISMATCH");
    expect(e.message).toBe('model flagger: output "flag" is not a float32 tensor with a multiple of 1 values');
    await single.release();
  });
});

describe("a model that fails while running", () => {
  it("ANALYTICS_MODEL_RUN_FAILED with onnxruntime's reason", async () => {
    // Reshape to 3 values only works when batch × 2 = 3, which no batch is; the checks before the
    // run cannot know that, as the input's own dims are right.
    const g = new OnnxGraph("reshaper")
      .input("x", "float", ["batch", 2])
      .initializer("shape", BigInt64Array.of(3n), [1])
      .node("Reshape", ["x", "shape"], ["y"])
      .output("y", "float", [3]);
    const scorer = await OnnxScorer.load(encodeModel(g));
    const e = await failure(scorer.run({ x: { data: new Float32Array(4), dims: [2, 2] } }));
    expect(e.code).toBe("ANALYTICS_MODEL_RUN_FAILED");
    expect(e.message).toMatch(/^model reshaper: onnxruntime failed: .*Reshape_0/);
    expect(e.detail).toEqual({ model: "reshaper" });
    await scorer.release();
  });
});

describe("graphs the builder refuses (ANALYTICS_GRAPH_INVALID)", () => {
  it("a node reading a value nothing produced", () => {
    const g = new OnnxGraph("typo").input("x", "float", [2]).node("Relu", ["xx"], ["y"]).output("y", "float", [2]);
    expect(() => encodeModel(g)).toThrow(
      new AnalyticsError(
        "ANALYTICS_GRAPH_INVALID",
        'graph typo: node Relu_0 (Relu) reads "xx", which no input, initializer or earlier node provides',
        { graph: "typo", node: "Relu_0", value: "xx" },
      ),
    );
  });

  it("an output no node produces, and a value produced twice", () => {
    const unproduced = new OnnxGraph("g").input("x", "float", [2]).node("Relu", ["x"], ["y"]).output("z", "float", [2]);
    expect(() => encodeModel(unproduced)).toThrow('graph g: output "z" is produced by no node');
    const twice = new OnnxGraph("g").input("x", "float", [2]).node("Relu", ["x"], ["x"]).output("x", "float", [2]);
    expect(() => encodeModel(twice)).toThrow('graph g: node Relu_0 (Relu) output "x" is declared twice');
  });

  it("an initializer whose data does not fill its dims, and a negative dimension", () => {
    expect(() => new OnnxGraph("g").initializer("w", new Float32Array(5), [2, 3])).toThrow(
      new AnalyticsError(
        "ANALYTICS_GRAPH_INVALID",
        "graph g: initializer w: dims [2,3] hold 6 values, the data has 5",
        {
          dims: [2, 3],
          length: 5,
        },
      ),
    );
    expect(() => new OnnxGraph("g").input("x", "float", [-1])).toThrow(
      "graph g: value x: dimension -1 is neither a size nor a symbol",
    );
  });
});
