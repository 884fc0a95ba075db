import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeModel, FileModelRegistry, MODEL_SPEC_KEY, OnnxGraph } from "@lifeline/analytics";
import { afterAll, describe, expect, it } from "vitest";
import { runLifeline } from "./run-lifeline.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-analytics-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A model a user brings: any ONNX file; what it is fed and produces is declared in a spec file. */
function userModel(): Uint8Array {
  const g = new OnnxGraph("their-detector")
    .input("x", "float", ["batch", 1, 2])
    .output("y", "float", ["batch", 1, 2])
    .node("Identity", ["x"], ["y"]);
  return encodeModel(g, { metadata: { "metric.auc": "0.91" } });
}

describe("lifeline analytics: bring your own model", () => {
  it("registers a user's ONNX file with its spec, activates, lists and rolls back", async () => {
    const model = join(dir, "theirs.onnx");
    const spec = join(dir, "spec.json");
    const registry = join(dir, "models");
    writeFileSync(model, userModel());
    writeFileSync(
      spec,
      JSON.stringify({
        format: 1,
        name: "leak-detector",
        site: "gas-3",
        inputs: ["p_in", "p_out"],
        input: "x",
        score: "y",
      }),
    );
    const without = await runLifeline(["analytics", "register", "--model", model, "--registry", registry]);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain(`${model} carries no lifeline.spec: give --spec SPEC.json`);
    writeFileSync(join(dir, "bad-spec.json"), JSON.stringify({ format: 1, name: "x", site: "gas-3", inputs: [] }));
    const bad = await runLifeline([
      "analytics",
      "register",
      "--model",
      model,
      "--spec",
      join(dir, "bad-spec.json"),
      "--registry",
      registry,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("spec: inputs: Too small: expected array to have >=1 items");
    for (const expected of [1, 2]) {
      const ok = await runLifeline(["analytics", "register", "--model", model, "--spec", spec, "--registry", registry]);
      expect(ok.stdout).toMatch(
        new RegExp(`^leak-detector: version ${expected} registered \\(sha256 [0-9a-f]{64}, \\d+ bytes\\)\\n$`),
      );
    }
    const stored = await new FileModelRegistry(registry).versions("leak-detector");
    expect(JSON.parse(stored[0]?.metadata[MODEL_SPEC_KEY] ?? "{}")).toMatchObject({
      window: 1,
      device: "*",
      input: "x",
      score: "y",
    });
    expect(stored[0]?.metadata["metric.auc"]).toBe("0.91");
    expect((await runLifeline(["analytics", "activate", "leak-detector", "1", "--registry", registry])).stdout).toBe(
      "leak-detector: version 1 active (before: none)\n",
    );
    expect((await runLifeline(["analytics", "activate", "leak-detector", "2", "--registry", registry])).stdout).toBe(
      "leak-detector: version 2 active (before: 1)\n",
    );
    const listed = await runLifeline(["analytics", "models", "leak-detector", "--registry", registry]);
    expect(listed.stdout.split("\n").map((l) => l.slice(0, 18))).toEqual([
      "  leak-detector v1",
      "* leak-detector v2",
      "",
    ]);
    expect(listed.stdout).toContain("auc=0.91");
    expect((await runLifeline(["analytics", "rollback", "leak-detector", "--registry", registry])).stdout).toBe(
      "leak-detector: back to version 1\n",
    );
    const none = await runLifeline(["analytics", "rollback", "leak-detector", "--registry", registry]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      "lifeline analytics: ANALYTICS_NO_PREVIOUS_VERSION: model leak-detector has no earlier active version\n",
    );
  }, 60_000);
});
