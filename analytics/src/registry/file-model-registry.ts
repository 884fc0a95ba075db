import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mkdirDurably, writeFileDurably } from "@lifeline/durable-fs";
import {
  type ActiveModel,
  checkModelName,
  type ModelRegistry,
  type ModelVersion,
  nextActive,
  RegistryError,
  rolledBack,
  sha256Hex,
  verified,
} from "./model-registry.ts";

/**
 * The registry as files, for a single machine without NATS (and for the command line):
 * `<dir>/<name>/<version>.onnx` with `<version>.json` beside it, and `<dir>/<name>/active.json`.
 * Every write replaces its file durably (a synced temporary file renamed over it, the folder
 * synced), so a reader never sees half a file and a power cut leaves the old file or the new one —
 * never an empty `active.json` that would stop every process loading models.
 */
export class FileModelRegistry implements ModelRegistry {
  readonly #dir: string;
  readonly #now: () => number;
  readonly #pollMs: number;

  constructor(dir: string, options: { now?: () => number; pollMs?: number } = {}) {
    this.#dir = dir;
    this.#now = options.now ?? Date.now;
    this.#pollMs = options.pollMs ?? 1_000;
  }

  async register(name: string, bytes: Uint8Array, metadata: Record<string, string>): Promise<ModelVersion> {
    checkModelName(name);
    const existing = await this.versions(name);
    const v: ModelVersion = {
      name,
      version: (existing[existing.length - 1]?.version ?? 0) + 1,
      sha256: sha256Hex(bytes),
      size: bytes.byteLength,
      registeredAt: this.#now(),
      metadata,
    };
    const dir = join(this.#dir, name);
    mkdirDurably(dir);
    writeFileDurably(join(dir, `${v.version}.onnx`), bytes);
    writeFileDurably(join(dir, `${v.version}.json`), JSON.stringify(v, null, 2));
    return v;
  }

  async versions(name: string): Promise<ModelVersion[]> {
    checkModelName(name);
    const dir = join(this.#dir, name);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => /^\d+\.json$/.test(f))
      .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as ModelVersion)
      .sort((a, b) => a.version - b.version);
  }

  async load(name: string, version: number): Promise<Uint8Array> {
    const v = (await this.versions(name)).find((x) => x.version === version);
    const file = join(this.#dir, name, `${version}.onnx`);
    if (v === undefined || !existsSync(file)) {
      throw new RegistryError("ANALYTICS_MODEL_NOT_FOUND", `model ${name} has no version ${version}`, {
        name,
        version,
      });
    }
    return verified(v, new Uint8Array(readFileSync(file)));
  }

  async activate(name: string, version: number, by: string): Promise<ActiveModel> {
    await this.load(name, version);
    const record = nextActive(await this.active(name), name, version, by, this.#now());
    writeFileDurably(join(this.#dir, name, "active.json"), JSON.stringify(record, null, 2));
    return record;
  }

  async rollback(name: string, by: string): Promise<ActiveModel> {
    const record = rolledBack(await this.active(name), name, by, this.#now());
    writeFileDurably(join(this.#dir, name, "active.json"), JSON.stringify(record, null, 2));
    return record;
  }

  async active(name: string): Promise<ActiveModel | undefined> {
    checkModelName(name);
    const file = join(this.#dir, name, "active.json");
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as ActiveModel) : undefined;
  }

  /** Polls the active files (every `pollMs`): a change made by another process is seen within it. */
  async watchActive(onChange: (active: ActiveModel) => void): Promise<() => void> {
    const seen = new Map<string, string>();
    const look = () => {
      if (!existsSync(this.#dir)) return;
      for (const name of readdirSync(this.#dir)) {
        const file = join(this.#dir, name, "active.json");
        if (!existsSync(file)) continue;
        const text = readFileSync(file, "utf8");
        if (seen.get(name) === text) continue;
        seen.set(name, text);
        onChange(JSON.parse(text) as ActiveModel);
      }
    };
    look();
    const timer = setInterval(look, this.#pollMs);
    return () => clearInterval(timer);
  }
}
