import { readFile } from "node:fs/promises";
import * as ort from "onnxruntime-node";
import { AnalyticsError } from "./analytics-error.ts";
import { type OnnxModelMetadata, readModelMetadata } from "./onnx-model-metadata.ts";

export type OnnxTensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface OnnxTensorInput {
  data: OnnxTensorData;
  dims: readonly number[];
}

export interface OnnxTensorOutput {
  /** onnxruntime's name of the element type: "float32", "int64", "bool" (data is a Uint8Array of 0/1), … */
  type: string;
  data: OnnxTensorData;
  dims: readonly number[];
}

/** A model input or output as onnxruntime sees it; symbolic dimensions stay strings. */
export interface OnnxPort {
  name: string;
  type: string;
  shape: readonly (number | string)[];
}

export interface OnnxScorerOptions {
  /**
   * Threads one run may use; default 1. onnxruntime's own default is one per core, with threads that
   * spin between runs, which would take the cores from the stream processor sharing the process.
   */
  intraOpThreads?: number;
  /** onnxruntime log level, 0 (verbose) to 4 (fatal); default 3 (errors only). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** How errors name the model; default its graph name. */
  name?: string;
}

const ARRAY_OF_TYPE: Readonly<Record<string, new (n: number) => OnnxTensorData>> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
  uint8: Uint8Array,
};

/**
 * An ONNX model loaded into onnxruntime-node. Inputs are checked against the model's declared
 * types and shapes before running, so a mismatch names the input instead of surfacing as an
 * onnxruntime message. Note that onnxruntime-node runs a model on the JavaScript thread.
 */
export class OnnxScorer {
  readonly name: string;
  readonly metadata: OnnxModelMetadata;
  readonly inputs: readonly OnnxPort[];
  readonly outputs: readonly OnnxPort[];
  readonly #session: ort.InferenceSession;

  private constructor(session: ort.InferenceSession, metadata: OnnxModelMetadata, name: string) {
    this.#session = session;
    this.metadata = metadata;
    this.name = name;
    this.inputs = session.inputMetadata.map(toPort);
    this.outputs = session.outputMetadata.map(toPort);
  }

  /** Loads a model from its bytes or a file; ANALYTICS_MODEL_INVALID carries onnxruntime's reason. */
  static async load(model: Uint8Array | string, options: OnnxScorerOptions = {}): Promise<OnnxScorer> {
    const label = options.name ?? (typeof model === "string" ? model : "(bytes)");
    const bytes = typeof model === "string" ? await readModelFile(model, label) : model;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: options.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
        logSeverityLevel: options.logSeverityLevel ?? 3,
      });
    } catch (cause) {
      throw new AnalyticsError(
        "ANALYTICS_MODEL_INVALID",
        `model ${label}: onnxruntime cannot load it: ${messageOf(cause)}`,
        { model: label, bytes: bytes.length },
        cause,
      );
    }
    try {
      const metadata = readModelMetadata(bytes);
      return new OnnxScorer(session, metadata, options.name ?? metadata.graphName);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /** Runs the model; every declared input must be given, with its element type and dims. */
  async run(inputs: Readonly<Record<string, OnnxTensorInput>>): Promise<Record<string, OnnxTensorOutput>> {
    const feeds = this.#feeds(inputs);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.#session.run(feeds);
    } catch (cause) {
      throw new AnalyticsError(
        "ANALYTICS_MODEL_RUN_FAILED",
        `model ${this.name}: onnxruntime failed: ${messageOf(cause)}`,
        { model: this.name },
        cause,
      );
    }
    const out: Record<string, OnnxTensorOutput> = {};
    for (const [name, value] of Object.entries(results)) {
      const tensor = value as ort.Tensor;
      out[name] = { type: tensor.type, data: tensor.data as OnnxTensorData, dims: tensor.dims };
    }
    return out;
  }

  /**
   * Scores `rowCount` rows of `width` features (row-major; `rows` may be longer, e.g. a reused buffer)
   * in one run through the input `inputName`, and returns the float output `output` (default the
   * first): `rowCount × k` values, row-major.
   */
  async scoreBatch(
    inputName: string,
    rows: Float32Array,
    rowCount: number,
    width: number,
    output: string | undefined = this.outputs[0]?.name,
  ): Promise<Float32Array> {
    const need = rowCount * width;
    if (rows.length < need) {
      throw this.#mismatch(inputName, `${rowCount} rows of ${width} need ${need} values, given ${rows.length}`, {
        rowCount,
        width,
        given: rows.length,
      });
    }
    const results = await this.run({ [inputName]: { data: rows.subarray(0, need), dims: [rowCount, width] } });
    const scores = output === undefined ? undefined : results[output];
    if (scores === undefined || !(scores.data instanceof Float32Array) || scores.data.length % Math.max(rowCount, 1)) {
      throw new AnalyticsError(
        "ANALYTICS_MODEL_OUTPUT_MISMATCH",
        `model ${this.name}: output ${JSON.stringify(output)} is not a float32 tensor with a multiple of ${rowCount} values`,
        { model: this.name, output, type: scores?.type, dims: scores?.dims },
      );
    }
    return scores.data;
  }

  async release(): Promise<void> {
    await this.#session.release();
  }

  #feeds(inputs: Readonly<Record<string, OnnxTensorInput>>): Record<string, ort.Tensor> {
    const declared = new Set(this.inputs.map((p) => p.name));
    for (const name of Object.keys(inputs)) {
      if (!declared.has(name)) {
        throw this.#mismatch(name, `is not an input of the model (inputs: ${[...declared].join(", ")})`, {});
      }
    }
    const bound = new Map<string, number>();
    const feeds: Record<string, ort.Tensor> = {};
    for (const port of this.inputs) {
      const given = inputs[port.name];
      if (given === undefined) {
        throw this.#mismatch(port.name, `is missing (expects ${port.type} ${formatDims(port.shape)})`, {});
      }
      this.#checkInput(port, given, bound);
      feeds[port.name] = new ort.Tensor(port.type as ort.Tensor.Type, given.data, given.dims);
    }
    return feeds;
  }

  /** Element type, rank, fixed sizes, and one size per symbolic dimension across all inputs of a run. */
  #checkInput(port: OnnxPort, given: OnnxTensorInput, bound: Map<string, number>): void {
    const arrayType = ARRAY_OF_TYPE[port.type];
    if (arrayType === undefined || !(given.data instanceof arrayType)) {
      throw this.#mismatch(
        port.name,
        `expects ${port.type} data (a ${arrayType?.name ?? "?"}), given a ${given.data.constructor.name}`,
        {
          expectedType: port.type,
        },
      );
    }
    const dimsDetail = { expected: port.shape, given: given.dims };
    const badDims = (): AnalyticsError =>
      this.#mismatch(port.name, `expects dims ${formatDims(port.shape)}, given ${formatDims(given.dims)}`, dimsDetail);
    if (given.dims.length !== port.shape.length) throw badDims();
    for (const [i, want] of port.shape.entries()) {
      const got = given.dims[i] as number;
      if (!Number.isSafeInteger(got) || got < 0) throw badDims();
      if (typeof want === "number" && want !== got) throw badDims();
      if (typeof want === "string") {
        const earlier = bound.get(want);
        if (earlier !== undefined && earlier !== got) {
          throw this.#mismatch(port.name, `binds ${want} = ${got}, another input bound it to ${earlier}`, dimsDetail);
        }
        bound.set(want, got);
      }
    }
    const size = given.dims.reduce((a, b) => a * b, 1);
    if (size !== given.data.length) {
      throw this.#mismatch(
        port.name,
        `dims ${formatDims(given.dims)} hold ${size} values, the data has ${given.data.length}`,
        dimsDetail,
      );
    }
  }

  #mismatch(input: string, why: string, detail: Record<string, unknown>): AnalyticsError {
    return new AnalyticsError(
      "ANALYTICS_MODEL_INPUT_MISMATCH",
      `model ${this.name}: input ${JSON.stringify(input)} ${why}`,
      {
        model: this.name,
        input,
        ...detail,
      },
    );
  }
}

async function readModelFile(path: string, label: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new AnalyticsError("ANALYTICS_MODEL_UNREADABLE", `model ${label}: ${messageOf(cause)}`, { path }, cause);
  }
}

function toPort(m: ort.InferenceSession.ValueMetadata): OnnxPort {
  return m.isTensor
    ? { name: m.name, type: m.type, shape: [...m.shape] }
    : { name: m.name, type: "non-tensor", shape: [] };
}

function formatDims(dims: readonly (number | string)[]): string {
  return `[${dims.join(", ")}]`;
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
