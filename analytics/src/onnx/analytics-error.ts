import { LifelineError } from "@lifeline/contracts";

export type AnalyticsErrorCode =
  /** Bytes onnxruntime cannot load (the message carries onnxruntime's), or that are not a ModelProto. */
  | "ANALYTICS_MODEL_INVALID"
  /** A model file that cannot be read from disk. */
  | "ANALYTICS_MODEL_UNREADABLE"
  /** Inputs that do not match the model: a missing or unknown name, another element type, other dims. */
  | "ANALYTICS_MODEL_INPUT_MISMATCH"
  /** An output that is not what the caller asked for (e.g. `scoreBatch` on a model without a float output). */
  | "ANALYTICS_MODEL_OUTPUT_MISMATCH"
  /** onnxruntime failed while running a model it had loaded. */
  | "ANALYTICS_MODEL_RUN_FAILED"
  /** A graph the builder refuses to encode: a value used before it is produced, a tensor of the wrong size, … */
  | "ANALYTICS_GRAPH_INVALID";

/** A model that cannot be built, loaded or run; `detail` names the graph, node, input or output. */
export class AnalyticsError extends LifelineError {
  declare readonly code: AnalyticsErrorCode;

  constructor(code: AnalyticsErrorCode, message: string, detail: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, { cause, detail });
  }
}
