import { AnalyticsError } from "./analytics-error.ts";

/** Element types a graph input, output or initializer may have here (TensorProto.DataType FLOAT, INT64, BOOL). */
export type OnnxElemType = "float" | "int64" | "bool";

/** A dimension: a fixed size, or a symbolic name such as "batch" that binds at run time. */
export type OnnxDim = number | string;

/** Tensor data stored in a model: float32 or int64, row-major. */
export type OnnxTensorValues = Float32Array | BigInt64Array;

export interface OnnxTensor {
  data: OnnxTensorValues;
  dims: readonly number[];
}

/** An attribute value; JavaScript numbers cannot say int or float, so each value carries its kind. */
export type OnnxAttribute =
  | { kind: "int"; value: number | bigint }
  | { kind: "float"; value: number }
  | { kind: "ints"; value: readonly (number | bigint)[] }
  | { kind: "floats"; value: readonly number[] }
  | { kind: "string"; value: string }
  | { kind: "tensor"; value: OnnxTensor };

/** Constructors for attribute values: `{ transB: onnxAttr.int(1), alpha: onnxAttr.float(0.5) }`. */
export const onnxAttr = {
  int: (value: number | bigint): OnnxAttribute => ({ kind: "int", value }),
  float: (value: number): OnnxAttribute => ({ kind: "float", value }),
  ints: (value: readonly (number | bigint)[]): OnnxAttribute => ({ kind: "ints", value }),
  floats: (value: readonly number[]): OnnxAttribute => ({ kind: "floats", value }),
  string: (value: string): OnnxAttribute => ({ kind: "string", value }),
  tensor: (data: OnnxTensorValues, dims: readonly number[]): OnnxAttribute => ({
    kind: "tensor",
    value: checkedTensor("tensor attribute", data, dims),
  }),
} as const;

export interface OnnxValueInfo {
  name: string;
  elemType: OnnxElemType;
  dims: readonly OnnxDim[];
  docString?: string | undefined;
}

export interface OnnxInitializer extends OnnxTensor {
  name: string;
}

export interface OnnxNode {
  /** Unique in the graph; defaults to `<opType>_<index>` so onnxruntime's messages point at the node. */
  name: string;
  opType: string;
  /** "" is the default ai.onnx domain. */
  domain: string;
  /** "" stands for an optional input left out. */
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Readonly<Record<string, OnnxAttribute>>;
}

/**
 * A computation graph built in topological order: declare inputs and initializers, then add nodes
 * that read only values already declared or produced, then declare outputs. `encodeModel` writes it.
 */
export class OnnxGraph {
  readonly name: string;
  readonly docString: string;
  readonly #inputs: OnnxValueInfo[] = [];
  readonly #outputs: OnnxValueInfo[] = [];
  readonly #initializers: OnnxInitializer[] = [];
  readonly #nodes: OnnxNode[] = [];

  constructor(name: string, docString = "") {
    this.name = name;
    this.docString = docString;
  }

  get inputs(): readonly OnnxValueInfo[] {
    return this.#inputs;
  }
  get outputs(): readonly OnnxValueInfo[] {
    return this.#outputs;
  }
  get initializers(): readonly OnnxInitializer[] {
    return this.#initializers;
  }
  get nodes(): readonly OnnxNode[] {
    return this.#nodes;
  }

  input(name: string, elemType: OnnxElemType, dims: readonly OnnxDim[], docString?: string): this {
    this.#inputs.push({ name, elemType, dims: this.#checkDims(name, dims), docString });
    return this;
  }

  output(name: string, elemType: OnnxElemType, dims: readonly OnnxDim[], docString?: string): this {
    this.#outputs.push({ name, elemType, dims: this.#checkDims(name, dims), docString });
    return this;
  }

  initializer(name: string, data: OnnxTensorValues, dims: readonly number[]): this {
    this.#initializers.push({ name, ...checkedTensor(`graph ${this.name}: initializer ${name}`, data, dims) });
    return this;
  }

  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
    options: { name?: string; domain?: string } = {},
  ): this {
    const name = options.name ?? `${opType}_${this.#nodes.length}`;
    this.#nodes.push({ name, opType, domain: options.domain ?? "", inputs, outputs, attributes });
    return this;
  }

  /**
   * Throws ANALYTICS_GRAPH_INVALID for what onnxruntime would reject with a vaguer message: a name
   * declared twice, a node reading a value no input, initializer or earlier node provides (GraphProto
   * requires nodes "sorted topologically"), a graph output nothing produces.
   */
  validate(): void {
    const known = new Set<string>();
    const declare = (name: string, what: string): void => {
      if (name === "") this.#fail(`${what} has an empty name`, { value: name });
      if (known.has(name)) this.#fail(`${what} ${JSON.stringify(name)} is declared twice`, { value: name });
      known.add(name);
    };
    for (const i of this.#inputs) declare(i.name, "input");
    // IR version 4 and later let an initializer share an input's name: it is then that input's default.
    const inputNames = new Set(this.#inputs.map((i) => i.name));
    for (const t of this.#initializers) if (!inputNames.has(t.name)) declare(t.name, "initializer");
    for (const n of this.#nodes) {
      for (const input of n.inputs) {
        if (input !== "" && !known.has(input)) {
          this.#fail(
            `node ${n.name} (${n.opType}) reads ${JSON.stringify(input)}, which no input, initializer or earlier node provides`,
            {
              node: n.name,
              value: input,
            },
          );
        }
      }
      for (const output of n.outputs) declare(output, `node ${n.name} (${n.opType}) output`);
    }
    if (this.#outputs.length === 0) this.#fail("has no outputs", {});
    for (const o of this.#outputs) {
      if (!known.has(o.name)) this.#fail(`output ${JSON.stringify(o.name)} is produced by no node`, { value: o.name });
    }
  }

  #checkDims(name: string, dims: readonly OnnxDim[]): readonly OnnxDim[] {
    for (const d of dims) {
      const ok = typeof d === "string" ? d.length > 0 : Number.isSafeInteger(d) && d >= 0;
      if (!ok)
        this.#fail(`value ${name}: dimension ${JSON.stringify(d)} is neither a size nor a symbol`, { value: name });
    }
    return [...dims];
  }

  #fail(message: string, detail: Record<string, unknown>): never {
    throw new AnalyticsError("ANALYTICS_GRAPH_INVALID", `graph ${this.name}: ${message}`, {
      graph: this.name,
      ...detail,
    });
  }
}

function checkedTensor(what: string, data: OnnxTensorValues, dims: readonly number[]): OnnxTensor {
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new AnalyticsError("ANALYTICS_GRAPH_INVALID", `${what}: dims ${JSON.stringify(dims)} must be sizes`, {
      dims,
    });
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new AnalyticsError(
      "ANALYTICS_GRAPH_INVALID",
      `${what}: dims ${JSON.stringify(dims)} hold ${size} values, the data has ${data.length}`,
      { dims, length: data.length },
    );
  }
  return { data, dims: [...dims] };
}
