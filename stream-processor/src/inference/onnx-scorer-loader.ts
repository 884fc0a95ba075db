import { type ModelSpec, OnnxScorer } from "@lifeline/analytics";
import type { ModelScorer } from "./inference-runner.ts";

/** Serves a model through onnxruntime: the spec names the input and the score and decision outputs. */
export async function loadOnnxScorer(bytes: Uint8Array, spec: ModelSpec): Promise<ModelScorer> {
  const scorer = await OnnxScorer.load(bytes, { name: spec.name });
  return {
    async score(input, dims) {
      const out = await scorer.run({ [spec.input]: { data: input, dims: [...dims] } });
      const score = out[spec.score]?.data;
      const pred = spec.pred === undefined ? undefined : out[spec.pred]?.data;
      return {
        score: Float32Array.from(score ?? [], Number),
        ...(pred === undefined ? {} : { pred: Float32Array.from(pred, Number) }),
      };
    },
    close: () => scorer.release(),
  };
}
