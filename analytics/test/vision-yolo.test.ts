import { describe, expect, it } from "vitest";
import { OnnxGraph, onnxAttr } from "../src/onnx/onnx-graph.ts";
import { encodeModel } from "../src/onnx/onnx-model-encoder.ts";
import { intersectionOverUnion, letterboxOf } from "../src/vision/yolo-decode.ts";
import { YoloDetector } from "../src/vision/yolo-detector.ts";

// Candidates in model pixels (160 × 160 input): [cx, cy, w, h, objectness, person, truck].
const CANDIDATES = [
  [80, 80, 40, 20, 0.5, 1, 0], // person 0.5
  [82, 80, 40, 20, 0.25, 1, 0], // person 0.25, IoU 0.905 with the first: suppressed
  [80, 80, 40, 20, 0.5, 0, 0.75], // truck 0.375 at the same place: another class, kept
  [120, 100, 10, 10, 0.5, 0.25, 0], // 0.125, below the threshold
  [30, 50, 20, 20, 1, 0, 0.5], // truck 0.5
  [150, 130, 40, 40, 1, 0.5, 0], // person 0.5, runs past the frame's right and bottom edges: clipped
];

/** A model with the YOLO head's shape whose output does not depend on the picture: 0 · mean(images) + constant. */
function yoloModel(layout: "yolov5" | "yolov8"): Uint8Array {
  const n = CANDIDATES.length;
  // yolov8 has no objectness: its class scores are these products, and its rows are the values.
  const v8 = [0, 1, 2, 3, 5, 6].map((v) => CANDIDATES.map((c) => (c[v] as number) * (v >= 5 ? (c[4] as number) : 1)));
  const values = Float32Array.from((layout === "yolov5" ? CANDIDATES : v8).flat());
  const dims = layout === "yolov5" ? [1, n, 7] : [1, 6, n];
  const g = new OnnxGraph(`tiny-${layout}`)
    .input("images", "float", [1, 3, 160, 160])
    .initializer("head", values, dims)
    .initializer("zero", Float32Array.of(0), [])
    .node("ReduceMean", ["images"], ["mean"], { keepdims: onnxAttr.int(0) })
    .node("Mul", ["mean", "zero"], ["nothing"])
    .node("Add", ["head", "nothing"], ["output0"])
    .output("output0", "float", dims);
  return encodeModel(g);
}

// A 320 × 240 frame letterboxed into 160 × 160: scale 0.5, 20-pixel bars above and below.
const frame = { width: 320, height: 240, rgb: new Uint8Array(320 * 240 * 3).fill(90) };

describe("YoloDetector", () => {
  for (const layout of ["yolov5", "yolov8"] as const) {
    it(`decodes a ${layout} head into frame boxes after per-class NMS (ties: class, then candidate order)`, async () => {
      const detector = await YoloDetector.load(yoloModel(layout), {
        inputSize: [160, 160],
        classes: ["person", "truck"],
        layout,
      });
      const found = await detector.detect(frame);
      await detector.release();
      expect(found).toEqual([
        { class: "person", classIndex: 0, score: 0.5, box: [120, 100, 80, 40] },
        { class: "person", classIndex: 0, score: 0.5, box: [260, 180, 60, 60] },
        { class: "truck", classIndex: 1, score: 0.5, box: [40, 40, 40, 40] },
        { class: "truck", classIndex: 1, score: 0.375, box: [120, 100, 80, 40] },
      ]);
    });
  }

  it("refuses a model whose input is not the declared size, and an output of another width", async () => {
    await expect(
      YoloDetector.load(yoloModel("yolov5"), { inputSize: [320, 320], classes: ["person", "truck"], layout: "yolov5" }),
    ).rejects.toMatchObject({ code: "ANALYTICS_MODEL_INPUT_MISMATCH" });
    const detector = await YoloDetector.load(yoloModel("yolov5"), {
      inputSize: [160, 160],
      classes: ["person"],
      layout: "yolov5",
    });
    await expect(detector.detect(frame)).rejects.toMatchObject({ code: "ANALYTICS_MODEL_OUTPUT_MISMATCH" });
    await detector.release();
  });

  it("letterboxes and measures overlap as Ultralytics does", () => {
    expect(letterboxOf(320, 240, 160, 160)).toEqual({
      scale: 0.5,
      padX: 0,
      padY: 20,
      frameWidth: 320,
      frameHeight: 240,
    });
    expect(letterboxOf(100, 400, 160, 160)).toEqual({
      scale: 0.4,
      padX: 60,
      padY: 0,
      frameWidth: 100,
      frameHeight: 400,
    });
    expect(intersectionOverUnion([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(1 / 3, 12);
    expect(intersectionOverUnion([0, 0, 10, 10], [10, 0, 10, 10])).toBe(0);
  });
});
