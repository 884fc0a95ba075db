import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeModel, OnnxGraph, onnxAttr } from "@lifeline/analytics";
import { ALERT_CONDITION_STREAM, type AlertCondition, videoAnalysisSchema } from "@lifeline/contracts";
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { StreamAnalyzer } from "../src/analysis/stream-analyzer.ts";
import { VideoRuntime } from "../src/analysis/video-runtime.ts";
import { natsFixture } from "./nats-fixture.ts";

const nats = natsFixture("byo-yolo-");

/**
 * A user's YOLOv8-shaped detector ([1, 4 + 2 classes, 1 candidate], 160 × 160 input) that sees
 * "smoke" as bright as the picture: one box at the centre whose smoke score is the mean of the
 * input, and whose person score is 0.
 */
function brightnessYolo(): Uint8Array {
  const g = new OnnxGraph("brightness-yolo")
    .input("images", "float", [1, 3, 160, 160])
    .initializer("box", Float32Array.of(80, 80, 40, 40, 0, 0), [1, 6, 1])
    .initializer("smoke_only", Float32Array.of(0, 0, 0, 0, 1, 0), [1, 6, 1])
    .node("ReduceMean", ["images"], ["mean"], { keepdims: onnxAttr.int(0) })
    .node("Mul", ["smoke_only", "mean"], ["smoke"])
    .node("Add", ["box", "smoke"], ["output0"])
    .output("output0", "float", [1, 6, 1]);
  return encodeModel(g);
}

const grey = (level: number, i: number) => ({
  width: 320,
  height: 240,
  rgb: new Uint8Array(320 * 240 * 3).fill(level),
  ts: 1_000 * (i + 1),
  seq: i,
});

describe("bring your own detector", () => {
  it("a YOLO-style ONNX model with declared input and classes runs in the same pipeline", async () => {
    const file = join(nats.dir, "brightness-yolo.onnx");
    writeFileSync(file, brightnessYolo());
    const runtime = await VideoRuntime.open({
      dataDir: join(nats.dir, "agent"),
      connectNats: () => nats.connect(),
    });
    const analysis = videoAnalysisSchema.parse({
      motionGate: { enabled: false },
      model: { type: "yolo", file, inputSize: [160, 160], classes: ["smoke", "person"], layout: "yolov8" },
      detect: [{ class: "smoke", levels: { II: 0.6 }, forFrames: 2, clearFrames: 1 }],
    });
    const { model, scheduler } = await runtime.model(analysis.model);
    expect(model.classes).toEqual(["smoke", "person"]);
    const scores: number[] = [];
    const analyzer = new StreamAnalyzer({
      site: "yard",
      device: "cam-byo",
      analysis,
      scheduler,
      outbox: runtime.outbox,
      readings: { readings: (_d, r) => scores.push(...r.map((x) => Math.round(x.value * 100) / 100)) },
    });
    // Dark, bright, bright, bright, dark: letterboxing pads with grey 114, so a frame's mean is
    // (frame × 120 rows + 114 × 40 rows) / 160 rows.
    for (const [i, level] of [40, 230, 230, 230, 40].entries()) await analyzer.frame(grey(level, i));
    await analyzer.settled();
    await runtime.outbox.drained();
    const expected = (level: number) => Math.round(((level * 120 + 114 * 40) / 160 / 255) * 100) / 100;
    // Below the 0.25 score threshold a box is not a detection: the score is 0.
    expect(scores).toEqual([0, expected(230), expected(230), expected(230), 0]);
    const jsm = await jetstreamManager(nats.nc);
    const info = await jsm.streams.info(ALERT_CONDITION_STREAM);
    const got: AlertCondition[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      got.push(
        (await jsm.streams.getMessage(ALERT_CONDITION_STREAM, { seq }))?.json<AlertCondition>() as AlertCondition,
      );
    }
    expect(got.map((c) => [c.rule, c.device, c.level, c.at, c.metric])).toEqual([
      ["video-smoke", "cam-byo", "II", 3_000, "smoke_score"],
      ["video-smoke", "cam-byo", null, 5_000, "smoke_score"],
    ]);
    await runtime.close();
  });
});
