import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

/** A place in a file, 1-based as editors show it. */
export interface SourcePosition {
  line: number;
  column: number;
}

export interface YamlProblem {
  position: SourcePosition;
  message: string;
}

/**
 * A parsed YAML file that can say where each value came from: `positionOf(["devices", 0, "points", 2,
 * "scale"])` is the line and column of that key (or of the nearest enclosing node that exists).
 */
export class YamlSource {
  readonly file: string;
  readonly value: unknown;
  readonly problems: readonly YamlProblem[];
  readonly #doc: ReturnType<typeof parseDocument>;
  readonly #lines: LineCounter;

  constructor(file: string, text: string) {
    this.file = file;
    this.#lines = new LineCounter();
    // YAML 1.2 core schema: `on`, `yes`, `0755` stay what they look like (no YAML 1.1 surprises).
    this.#doc = parseDocument(text, {
      lineCounter: this.#lines,
      prettyErrors: false,
      uniqueKeys: true,
      version: "1.2",
    });
    this.problems = [...this.#doc.errors, ...this.#doc.warnings].map((e) => ({
      position: this.#at(e.pos[0]),
      message: e.message.split("\n")[0] ?? e.message,
    }));
    this.value = this.#doc.errors.length === 0 ? this.#doc.toJS({ maxAliasCount: 100 }) : undefined;
  }

  /** Where the key at `path` is written (for a missing key: its parent). */
  positionOf(path: readonly PropertyKey[]): SourcePosition {
    let node: Node | null | undefined = this.#doc.contents as Node | null;
    let offset = node?.range?.[0] ?? 0;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
        if (pair === undefined) break;
        offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
        node = pair.value as Node | null;
      } else if (isSeq(node) && typeof key === "number") {
        const item = node.items[key] as Node | undefined;
        if (item === undefined) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return this.#at(offset);
  }

  #at(offset: number): SourcePosition {
    const { line, col } = this.#lines.linePos(offset);
    return { line, column: col };
  }
}
