import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { trainVisionModel, type VisionSample, visionOnnx } from "@lifeline/analytics";
import { sceneSamples } from "@lifeline/simulators";

/**
 * `lifeline analytics train vision --out MODEL.onnx`: the dust-plume / surface-water model. Frames
 * come from the scene simulator (mine and road views, with light, mist, rain, vehicles); the model
 * is evaluated on other cameras (other seeds) and written with its figures in its metadata.
 */
export async function trainVisionCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: "string" },
      seed: { type: "string", default: "1" },
      frames: { type: "string", default: "400" },
      width: { type: "string", default: "128" },
      height: { type: "string", default: "96" },
      version: { type: "string", default: "1" },
      // Frames as a camera delivers them: rendered at 2× and JPEG-compressed at quality 20–90.
      "camera-scale": { type: "string", default: "2" },
    },
    strict: true,
  });
  if (values.out === undefined) throw Object.assign(new Error("train vision needs --out MODEL.onnx"), { usage: true });
  const started = performance.now();
  const trained = trainVisionModel({
    seed: Number(values.seed),
    framesPerClass: Number(values.frames),
    width: Number(values.width),
    height: Number(values.height),
    source: (request) =>
      sceneSamples({
        ...request,
        camera: { scale: Number(values["camera-scale"]), quality: [20, 90] },
      }) as VisionSample[],
  });
  const bytes = visionOnnx(trained.model, {
    trainingDataSha256: trained.trainingDataSha256,
    metrics: trained.metrics,
    version: Number(values.version),
  });
  writeFileSync(values.out, bytes);
  const rows = Object.entries(trained.evaluation.classes).map(
    ([c, f]) =>
      `| ${c} | ${f.tp} | ${f.fp} | ${f.fn} | ${f.tn} | ${f.precision.toFixed(3)} | ${f.recall.toFixed(3)} | ${f.accuracy.toFixed(3)} |`,
  );
  process.stdout.write(
    [
      `vision: trained on ${trained.metrics.train_frames} simulated frames (seed ${values.seed}), held-out ${trained.evaluation.frames} frames of other cameras, ${((performance.now() - started) / 1000).toFixed(1)} s`,
      "",
      "| class | true pos | false pos | false neg | true neg | precision | recall | accuracy |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows,
      "",
      `wrote ${values.out} (${bytes.length} bytes)`,
      "",
    ].join("\n"),
  );
  return 0;
}
