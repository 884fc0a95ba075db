import { z } from "zod";
import { ALERT_LEVELS } from "../alert.ts";
import { idSchema, metricSchema } from "../identifiers.ts";

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const probability = z.number().min(0).max(1);

/**
 * How frames are taken from a stream: ffmpeg decodes at `fps` and scales to `width`×`height`.
 * `keyframes` decodes only key frames (far cheaper; right when the camera's GOP is no longer
 * than 1/fps seconds, as cameras set to a 1 s GOP are).
 */
export const frameSamplingSchema = z.strictObject({
  fps: z.number().min(0.05).max(30).default(1).describe("Frames analysed per second"),
  width: z
    .int()
    .min(16)
    .max(4096)
    .default(128)
    .describe("Width the frames are scaled to for analysis (the built-in model reads 128×96)"),
  height: z.int().min(16).max(4096).default(96).describe("Height the frames are scaled to for analysis"),
  decode: z
    .enum(["all", "keyframes"])
    .default("all")
    .describe("Decode every frame, or key frames only (cheaper, needs a GOP of at most 1/fps s)"),
});

/** Skips frames that did not change; a frame is still analysed at least every `maxSkipMs`. */
export const motionGateSchema = z.strictObject({
  enabled: z.boolean().default(true),
  maxSkipMs: z.int().min(1_000).max(3_600_000).default(10_000).describe("Longest time without an analysed frame"),
});

/**
 * One thing to detect: a class of the model (`dust`, `water`, or a class of a user's model), the
 * score per level (IV blue … I red, rising), and how many analysed frames must agree before the
 * alert fires or clears (a plume must persist, a truck passing by must not raise it).
 */
export const videoDetectSchema = z
  .strictObject({
    class: z.string().min(1).max(64).describe("Class of the model: dust, water, or a class of your model"),
    rule: idSchema.optional().describe("Rule id of the alert (default video-<class>)"),
    metric: metricSchema.optional().describe("Metric the score is stored as (default <class>_score)"),
    levels: z
      .partialRecord(z.enum(ALERT_LEVELS), probability)
      .refine((l) => Object.keys(l).length > 0, "name the score of at least one level")
      .describe("Score from which each level applies"),
    forFrames: z.int().min(1).max(100).default(2).describe("Analysed frames at or above a level before it fires"),
    clearFrames: z
      .int()
      .min(1)
      .max(1_000)
      .default(3)
      .describe("Analysed frames below the lowest level before it clears"),
    hysteresis: probability.default(0.05).describe("How far below a level the score must fall to leave it"),
  })
  .superRefine((d, ctx) => {
    let last = -1;
    for (const level of ALERT_LEVELS) {
      const v = d.levels[level];
      if (v === undefined) continue;
      if (v <= last) {
        ctx.addIssue({ code: "custom", path: ["levels", level], message: `level ${level} must be above lower levels` });
      }
      last = v;
    }
  });

/** A user's YOLO-style ONNX detector, run in place of the built-in dust/water model. */
export const yoloModelSchema = z.strictObject({
  type: z.literal("yolo"),
  file: z.string().min(1).describe("Path of the ONNX file on the gateway"),
  inputSize: z.tuple([z.int().min(16).max(2048), z.int().min(16).max(2048)]).describe("[width, height] of the input"),
  classes: z.array(z.string().min(1).max(64)).min(1).max(1_000),
  layout: z.enum(["yolov5", "yolov8"]).default("yolov8"),
  scoreThreshold: probability.default(0.25),
  iouThreshold: probability.default(0.45),
});

export const videoModelSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("builtin"),
    file: z.string().min(1).optional().describe("The dust/water model file; the bundled one when absent"),
  }),
  yoloModelSchema,
]);

/** What the analysis of one video stream does: sampling, motion gate, model, detections, evidence. */
export const videoAnalysisSchema = z.strictObject({
  sampling: frameSamplingSchema.default({ fps: 1, width: 128, height: 96, decode: "all" }),
  motionGate: motionGateSchema.default({ enabled: true, maxSkipMs: 10_000 }),
  model: videoModelSchema.default({ type: "builtin" }),
  detect: z.array(videoDetectSchema).min(1).max(32),
  scoresAsReadings: z.boolean().default(true).describe("Store each analysed frame's scores as readings"),
});

/** An ONVIF camera (ONVIF Core, Media, Events and PTZ services). */
export const onvifCameraSchema = z.strictObject({
  type: z.literal("onvif"),
  id: idSchema.describe("Device id of the camera"),
  url: z.url().describe("The device service address (XAddr), e.g. http://10.0.0.21/onvif/device_service"),
  username: z.string().min(1).max(256),
  passwordEnv: z.string().regex(ENV_NAME, "expected an environment variable name such as CAMERA_PASSWORD"),
  profile: z.string().min(1).max(64).optional().describe("Media profile token; the first H.264 profile when absent"),
  alertPreset: z.string().min(1).max(64).optional().describe("PTZ preset the camera turns to for evidence"),
  events: z.boolean().default(true).describe("Subscribe to the camera's motion and tamper events (PullPoint)"),
  record: z
    .boolean()
    .default(false)
    .describe("Record the stream continuously (stream copy, 1-min segments), within the agent's recording cap"),
  analysis: videoAnalysisSchema,
});

/** A drone speaking MAVLink v2 over UDP, with the video stream its profile names. */
export const mavlinkDroneSchema = z.strictObject({
  type: z.literal("mavlink"),
  id: idSchema.describe("Device id of the drone"),
  listen: z.strictObject({
    host: z.string().min(1).default("0.0.0.0"),
    port: z.int().min(1).max(65_535).default(14_550),
  }),
  systemId: z.int().min(1).max(255).describe("MAVLink system id of the drone"),
  video: z
    .strictObject({
      url: z.string().regex(/^(rtsp|rtsps|rtmp|http|https|udp|srt):\/\//, "expected a stream URL such as rtsp://…"),
      analysis: videoAnalysisSchema,
    })
    .optional(),
});

export type FrameSampling = z.infer<typeof frameSamplingSchema>;
export type VideoDetectConfig = z.infer<typeof videoDetectSchema>;
export type VideoModelConfig = z.infer<typeof videoModelSchema>;
export type YoloModelConfig = z.infer<typeof yoloModelSchema>;
export type VideoAnalysisConfig = z.infer<typeof videoAnalysisSchema>;
export type OnvifCameraConfig = z.infer<typeof onvifCameraSchema>;
export type MavlinkDroneConfig = z.infer<typeof mavlinkDroneSchema>;

/** The metric a detection's score is stored as. */
export function detectMetric(d: Pick<VideoDetectConfig, "class" | "metric">): string {
  return d.metric ?? `${d.class}_score`;
}

/** The rule id of a detection's alerts. */
export function detectRule(d: Pick<VideoDetectConfig, "class" | "rule">): string {
  return d.rule ?? `video-${d.class}`;
}

/** Readings a drone's link gives (MAVLink common messages), besides its video scores. */
export const DRONE_METRICS = [
  "armed",
  "mode",
  "lat",
  "lon",
  "alt_m",
  "rel_alt_m",
  "heading_deg",
  "ground_speed_mps",
  "battery_v",
  "battery_a",
  "battery_pct",
  "battery_temp_c",
] as const;

/** Readings a camera gives besides its scores: online, and its own motion and tamper events. */
export const CAMERA_METRICS = ["online", "motion", "tamper"] as const;
