import { AnalyticsError } from "../onnx/analytics-error.ts";
import { OnnxScorer, type OnnxScorerOptions } from "../onnx/onnx-scorer.ts";
import { checkImage, type RgbImage, writeChw } from "./vision-tensor.ts";
import { type Detection, decodeYolo, type Letterbox, letterboxOf, type YoloLayout } from "./yolo-decode.ts";

/** What a user declares for the YOLO-style model they bring. */
export interface YoloModelSpec {
  /** The model's input `[width, height]`; frames are letterboxed into it. */
  inputSize: readonly [number, number];
  classes: readonly string[];
  /** Minimum score (objectness × class score for yolov5); default 0.25. */
  scoreThreshold?: number;
  /** Boxes of one class overlapping more than this are suppressed; default 0.45. */
  iouThreshold?: number;
  /** "yolov5": output [1, N, 5 + C]; "yolov8": output [1, 4 + C, N]. */
  layout: YoloLayout;
  /** Default 100. */
  maxDetections?: number;
}

/** Grey of the letterbox bars, as the Ultralytics exporters pad (114 / 255). */
const PAD_GREY = 114 / 255;

/** A user's YOLO-style ONNX detector: letterbox, run, decode, NMS; detections in frame pixels. */
export class YoloDetector {
  readonly onnx: OnnxScorer;
  readonly spec: Required<YoloModelSpec>;
  readonly #input: string;
  readonly #output: string;

  private constructor(onnx: OnnxScorer, spec: Required<YoloModelSpec>) {
    this.onnx = onnx;
    this.spec = spec;
    this.#input = onnx.inputs[0]?.name ?? "images";
    this.#output = onnx.outputs[0]?.name ?? "output0";
  }

  static async load(
    model: Uint8Array | string,
    spec: YoloModelSpec,
    options: OnnxScorerOptions = {},
  ): Promise<YoloDetector> {
    const full: Required<YoloModelSpec> = { scoreThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100, ...spec };
    const onnx = await OnnxScorer.load(model, options);
    const shape = onnx.inputs[0]?.shape ?? [];
    const [w, h] = full.inputSize;
    const fixed = (i: number, want: number) => typeof shape[i] !== "number" || shape[i] === want;
    if (onnx.inputs.length !== 1 || shape.length !== 4 || !fixed(1, 3) || !fixed(2, h) || !fixed(3, w)) {
      await onnx.release();
      throw new AnalyticsError(
        "ANALYTICS_MODEL_INPUT_MISMATCH",
        `model ${onnx.name}: a YOLO model takes one input [1, 3, ${h}, ${w}] as declared, it has ${onnx.inputs.map((p) => `${p.name} [${p.shape.join(", ")}]`).join(", ")}`,
        { model: onnx.name, declared: full.inputSize },
      );
    }
    return new YoloDetector(onnx, full);
  }

  /** Detections in one frame, highest score first. */
  async detect(frame: RgbImage): Promise<Detection[]> {
    checkImage(frame);
    const [w, h] = this.spec.inputSize;
    const box = letterboxOf(frame.width, frame.height, w, h);
    const data = letterbox(frame, w, h, box);
    const result = await this.onnx.run({ [this.#input]: { data, dims: [1, 3, h, w] } });
    const out = result[this.#output];
    const c = this.spec.classes.length;
    const dims = out?.dims ?? [];
    const v5 = this.spec.layout === "yolov5";
    const ok =
      out?.data instanceof Float32Array &&
      dims.length === 3 &&
      dims[0] === 1 &&
      (v5 ? dims[2] === 5 + c : dims[1] === 4 + c);
    if (!ok) {
      throw new AnalyticsError(
        "ANALYTICS_MODEL_OUTPUT_MISMATCH",
        `model ${this.onnx.name}: a ${this.spec.layout} head for ${c} classes is float32 ${v5 ? `[1, N, ${5 + c}]` : `[1, ${4 + c}, N]`}, output ${this.#output} is ${out?.type} [${dims.join(", ")}]`,
        { model: this.onnx.name, output: this.#output, dims },
      );
    }
    const candidates = (v5 ? dims[1] : dims[2]) as number;
    return decodeYolo(out?.data as Float32Array, candidates, box, { ...this.spec, classes: this.spec.classes });
  }

  async release(): Promise<void> {
    await this.onnx.release();
  }
}

/** The frame scaled by `box.scale`, centred on grey bars, as a [1, 3, h, w] tensor. */
function letterbox(frame: RgbImage, w: number, h: number, box: Letterbox): Float32Array {
  const nw = Math.max(1, Math.round(frame.width * box.scale));
  const nh = Math.max(1, Math.round(frame.height * box.scale));
  const scaled = new Float32Array(3 * nw * nh);
  writeChw(frame, nw, nh, scaled);
  const out = new Float32Array(3 * w * h).fill(PAD_GREY);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < nh; y++) {
      const from = c * nw * nh + y * nw;
      out.set(scaled.subarray(from, from + nw), c * w * h + (y + box.padY) * w + box.padX);
    }
  }
  return out;
}
