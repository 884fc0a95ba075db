import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { batadalFile } from "@lifeline/analytics";
import { afterAll, describe, expect, it } from "vitest";
import { runLifeline } from "./run-lifeline.ts";

/** The bundled copy: the same files as ../shared/data/batadal, on any machine. */
const DATASET04 = gunzipSync(readFileSync(batadalFile("04"))).toString("utf8");
const dir = mkdtempSync(join(tmpdir(), "lifeline-batadal-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("lifeline analytics on BATADAL", () => {
  it("trains on dataset03, rates dataset04, and scores any BATADAL file through onnxruntime", async () => {
    const model = join(dir, "batadal.onnx");
    const trained = await runLifeline(["analytics", "train", "batadal", "--out", model]);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/\n {2}dataset03 \(8761 hours of normal operation\)/);
    // S on the labelled attacks of dataset04, which the model never saw (0.9790 when written, TPR 1, TNR 0.9161).
    const row = /\| dataset04 \| 5 \| 5 \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \|/.exec(trained.stdout);
    expect(Number(row?.[1])).toBe(1);
    expect(Number(row?.[3])).toBeGreaterThanOrEqual(0.975);
    expect(row?.[4]).toBe("1.0000");

    // The first 300 hours of dataset04, with and without its ATT_FLAG column.
    const lines = DATASET04.trim().split("\n").slice(0, 301);
    const labelled = join(dir, "part.csv");
    const unlabelled = join(dir, "part-unlabelled.csv");
    writeFileSync(labelled, `${lines.join("\n")}\n`);
    writeFileSync(unlabelled, `${lines.map((l) => l.split(",").slice(0, -1).join(",")).join("\n")}\n`);
    const outs: string[] = [];
    for (const csv of [labelled, unlabelled]) {
      const out = join(dir, `${outs.length}.pred.csv`);
      const scored = await runLifeline(["analytics", "score", "--model", model, "--csv", csv, "--out", out]);
      expect(scored.code).toBe(0);
      outs.push(readFileSync(out, "utf8"));
    }
    expect(outs[0]).toBe(outs[1]);
    const pred = (outs[0] as string).trim().split("\n");
    expect(pred.length).toBe(301);
    expect(pred[0]).toBe("DATETIME,PRED");
    expect(pred[1]).toBe("04/07/16 00,0");
    expect(
      pred
        .slice(1)
        .every((l, i) => /^\d{2}\/\d{2}\/\d{2} \d{2},[01]$/.test(l) && l.startsWith(lines[i + 1]?.slice(0, 11) ?? "x")),
    ).toBe(true);

    const noLabels = await runLifeline(["analytics", "evaluate", "--model", model, "--csv", unlabelled]);
    expect(noLabels.code).toBe(2);
    expect(noLabels.stderr).toContain("has no ATT_FLAG column");
    writeFileSync(join(dir, "broken.csv"), `${lines[0]}\n04/07/16 00, 2.44, x\n`);
    const broken = await runLifeline([
      "analytics",
      "score",
      "--model",
      model,
      "--csv",
      join(dir, "broken.csv"),
      "--out",
      join(dir, "b.csv"),
    ]);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(
      /^lifeline analytics: ANALYTICS_BATADAL_CSV_ROW: .*broken\.csv:2: expected 45 fields, found 3\n$/,
    );
  }, 120_000);
});
