import { AnalyticsError } from "../onnx/analytics-error.ts";
import { OnnxScorer, type OnnxScorerOptions } from "../onnx/onnx-scorer.ts";
import { VISION_CLASSES_KEY, VISION_INPUT_KEY, type VisionInputSpec } from "./vision-model.ts";
import { chwBatch, type RgbImage, writeChw } from "./vision-tensor.ts";

export interface VisionScorerOptions extends OnnxScorerOptions {
  /** Frames per onnxruntime run; default 16. */
  batchSize?: number;
}

/** Probability per class of one frame, e.g. `{ dust: 0.93, water: 0.02 }`. */
export type VisionScores = Record<string, number>;

/**
 * A vision model (`visionOnnx`) in onnxruntime: frames of any size are resized to the model's
 * declared input and scored in batches against the camera's clean background.
 */
export class VisionScorer {
  readonly onnx: OnnxScorer;
  readonly input: VisionInputSpec;
  readonly classes: readonly string[];
  readonly #batchSize: number;

  private constructor(onnx: OnnxScorer, input: VisionInputSpec, classes: readonly string[], batchSize: number) {
    this.onnx = onnx;
    this.input = input;
    this.classes = classes;
    this.#batchSize = batchSize;
  }

  static async load(model: Uint8Array | string, options: VisionScorerOptions = {}): Promise<VisionScorer> {
    const onnx = await OnnxScorer.load(model, options);
    const input = onnx.metadata.metadata[VISION_INPUT_KEY];
    const classes = onnx.metadata.metadata[VISION_CLASSES_KEY];
    if (input === undefined || classes === undefined) {
      await onnx.release();
      throw new AnalyticsError(
        "ANALYTICS_MODEL_INVALID",
        `model ${onnx.name}: not a vision model (metadata ${VISION_INPUT_KEY} or ${VISION_CLASSES_KEY} missing)`,
        { model: onnx.name },
      );
    }
    return new VisionScorer(
      onnx,
      JSON.parse(input) as VisionInputSpec,
      JSON.parse(classes) as string[],
      options.batchSize ?? 16,
    );
  }

  /** Scores each frame against `background` (one camera's clean reference, any size). */
  async score(frames: readonly RgbImage[], background: RgbImage): Promise<VisionScores[]> {
    const { width, height } = this.input;
    const plane = 3 * width * height;
    const reference = chwBatch([background], width, height);
    const out: VisionScores[] = [];
    for (let start = 0; start < frames.length; start += this.#batchSize) {
      const batch = frames.slice(start, start + this.#batchSize);
      const backgrounds = new Float32Array(batch.length * plane);
      for (let i = 0; i < batch.length; i++) backgrounds.set(reference, i * plane);
      const data = new Float32Array(batch.length * plane);
      batch.forEach((f, i) => {
        writeChw(f, width, height, data, i * plane);
      });
      const dims = [batch.length, 3, height, width];
      const result = await this.onnx.run({ frames: { data, dims }, background: { data: backgrounds, dims } });
      const p = result[this.input.output]?.data;
      if (!(p instanceof Float32Array) || p.length !== batch.length * this.classes.length) {
        throw new AnalyticsError(
          "ANALYTICS_MODEL_OUTPUT_MISMATCH",
          `model ${this.onnx.name}: output ${this.input.output} is not float32 [${batch.length}, ${this.classes.length}]`,
          { model: this.onnx.name },
        );
      }
      for (let i = 0; i < batch.length; i++) {
        out.push(Object.fromEntries(this.classes.map((c, k) => [c, p[i * this.classes.length + k] as number])));
      }
    }
    return out;
  }

  async release(): Promise<void> {
    await this.onnx.release();
  }
}
