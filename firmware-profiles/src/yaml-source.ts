import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";

/** A place in a file, 1-based as editors show it. */
export interface SourcePosition {
  line: number;
  column: number;
}

export interface YamlProblem {
  position: SourcePosition;
  /** Errors make the file unreadable; warnings (an unknown directive or tag) do not. */
  severity: "error" | "warning";
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
      // `<<: *defaults` merge keys, which field engineers use to share a connection block.
      merge: true,
      prettyErrors: false,
      uniqueKeys: true,
      version: "1.2",
    });
    const problem = (severity: YamlProblem["severity"]) => (e: { pos: [number, number]; message: string }) => ({
      position: this.#at(e.pos[0]),
      severity,
      message: e.message.split("\n")[0] ?? e.message,
    });
    const problems = [...this.#doc.errors.map(problem("error")), ...this.#doc.warnings.map(problem("warning"))];
    // An alias to an anchor that is not (yet) defined only fails when the document is converted.
    visit(this.#doc, {
      Alias: (_, node) => {
        if (node.resolve(this.#doc) === undefined) {
          problems.push({
            position: this.#at(node.range?.[0] ?? 0),
            severity: "error",
            message: `Unresolved alias *${node.source}: the anchor &${node.source} must be set before it`,
          });
        }
      },
    });
    let value: unknown;
    if (problems.every((p) => p.severity === "warning")) {
      try {
        value = this.#doc.toJS({ maxAliasCount: 100 });
      } catch (e) {
        // An alias expanded too often (a "billion laughs" document) is refused, not expanded.
        problems.push({ position: { line: 1, column: 1 }, severity: "error", message: (e as Error).message });
      }
    }
    this.problems = problems;
    this.value = value;
  }

  /** Where the key at `path` is written (for a missing key: its parent). */
  positionOf(path: readonly PropertyKey[]): SourcePosition {
    let node: Node | null | undefined = this.#doc.contents as Node | null;
    let offset = node?.range?.[0] ?? 0;
    for (const key of path) {
      if (isAlias(node)) node = node.resolve(this.#doc) ?? null;
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
