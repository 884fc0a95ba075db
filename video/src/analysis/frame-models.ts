import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { VisionScorer, YoloDetector } from "@lifeline/analytics";
import type { VideoModelConfig } from "@lifeline/contracts";
import { VideoError } from "../video-error.ts";
import type { FrameScores, ScoreJob } from "./stream-analyzer.ts";

/** A loaded frame model, as the batch scheduler runs it. */
export interface FrameModel {
  /** Name and version, for the alert's evidence. */
  readonly name: string;
  readonly classes: readonly string[];
  run(jobs: readonly ScoreJob[]): Promise<FrameScores[]>;
  release(): Promise<void>;
}

/** The dust/water model that ships with Lifeline (`lifeline analytics train vision` makes it). */
export const BUNDLED_VISION_MODEL = join(dirname(fileURLToPath(import.meta.url)), "../../models/lifeline-vision.onnx");

/** Loads the model a stream's analysis names: the built-in dust/water model, or a user's YOLO detector. */
export async function loadFrameModel(config: VideoModelConfig): Promise<FrameModel> {
  if (config.type === "yolo") {
    const detector = await YoloDetector.load(config.file, {
      inputSize: config.inputSize,
      classes: config.classes,
      layout: config.layout,
      scoreThreshold: config.scoreThreshold,
      iouThreshold: config.iouThreshold,
    });
    return {
      name: detector.onnx.name,
      classes: config.classes,
      // A detector's score for a class is its best box of that class in the frame (0 when none).
      async run(jobs) {
        const out: FrameScores[] = [];
        for (const job of jobs) {
          const scores: FrameScores = Object.fromEntries(config.classes.map((c) => [c, 0]));
          for (const d of await detector.detect(job.frame)) scores[d.class] = Math.max(scores[d.class] ?? 0, d.score);
          out.push(scores);
        }
        return out;
      },
      release: () => detector.onnx.release(),
    };
  }
  const file = config.file ?? BUNDLED_VISION_MODEL;
  if (!existsSync(file)) {
    throw new VideoError(
      "VIDEO_MODEL_MISSING",
      `no vision model at ${file} (make one: lifeline analytics train vision)`,
      {
        detail: { file },
      },
    );
  }
  const scorer = await VisionScorer.load(file);
  return {
    name: scorer.onnx.name,
    classes: scorer.classes,
    // Frames of one camera share its background: one run per camera in the batch, in job order.
    async run(jobs) {
      const out = new Array<FrameScores>(jobs.length);
      const groups = new Map<ScoreJob["background"], number[]>();
      jobs.forEach((job, i) => {
        const group = groups.get(job.background) ?? [];
        group.push(i);
        groups.set(job.background, group);
      });
      for (const [background, indexes] of groups) {
        const scores = await scorer.score(
          indexes.map((i) => (jobs[i] as ScoreJob).frame),
          background,
        );
        indexes.forEach((i, k) => {
          out[i] = scores[k] as FrameScores;
        });
      }
      return out;
    },
    release: () => scorer.release(),
  };
}
