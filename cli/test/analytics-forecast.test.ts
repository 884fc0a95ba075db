import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MODEL_SPEC_KEY, OnnxScorer, readModelMetadata } from "@lifeline/analytics";
import { afterAll, describe, expect, it } from "vitest";
import { runLifeline } from "./run-lifeline.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-forecast-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("lifeline analytics train dust", () => {
  it("trains on simulated days, reports held-out figures, and writes a servable ONNX model", async () => {
    const out = join(dir, "dust.onnx");
    const report = join(dir, "dust.html");
    const run = await runLifeline([
      ...["analytics", "train", "dust", "--out", out, "--report", report],
      ...["--days", "4", "--eval-days", "3", "--devices", "2"],
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^dust-pm10-1h-60min: trained on 2 series × 4 days \(seed 1\), threshold [0-9.]+; held-out 6 device-days \(seed 2\):/,
    );
    expect(run.stdout).toMatch(/\| dust-pm10-1h-60min \| \d+ \| \d+ \| [0-9.]+ % \| \d+ \| [0-9.]+ \|/);
    const bytes = new Uint8Array(readFileSync(out));
    const { metadata } = readModelMetadata(bytes);
    expect(JSON.parse(metadata[MODEL_SPEC_KEY] ?? "{}")).toEqual({
      format: 1,
      name: "dust-pm10-1h-60min",
      site: "mine-datong-7",
      device: "*",
      inputs: ["pm10", "tsp", "wind_speed"],
      window: 60,
      stepMs: 60_000,
      maxRowGapMs: 120_000,
      input: "input",
      score: "score",
      pred: "pred",
    });
    expect(metadata["lifeline.training_data_sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(metadata["metric.held_out_device_days"])).toBe(6);
    // It runs in onnxruntime: a window of clean air is a low probability and no alarm.
    const scorer = await OnnxScorer.load(bytes);
    const clean = new Float32Array(60 * 3);
    for (let r = 0; r < 60; r++) clean.set([40, 66, 2], r * 3);
    const result = await scorer.run({ input: { data: clean, dims: [1, 60, 3] } });
    expect(Number(result.score?.data[0])).toBeLessThan(0.05);
    expect(Number(result.pred?.data[0])).toBe(0);
    await scorer.release();
    expect(readFileSync(report, "utf8")).toMatch(/^<!doctype html>[\s\S]*<svg[\s\S]*<\/html>\n$/);
  }, 90_000);
});
