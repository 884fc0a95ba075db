import { randomBytes } from "node:crypto";
import type { ActiveModel, ModelRegistry, ModelSpec } from "@lifeline/analytics";
import { MODEL_SPEC_KEY, modelSpecSchema, predMetricOf, scoreMetricOf } from "@lifeline/analytics";
import { type Envelope, type Logger, type Reading, telemetrySubject } from "@lifeline/contracts";
import { type ReadyWindow, WindowRows, type WindowRowsSnapshot, type WindowRowsStats } from "./window-rows.ts";

/** What serving needs of a model runtime: scores for a batch of windows [n, window, inputs]. */
export interface ModelScorer {
  score(input: Float32Array, dims: readonly number[]): Promise<{ score: Float32Array; pred?: Float32Array }>;
  close(): Promise<void>;
}

export type ScorerLoader = (bytes: Uint8Array, spec: ModelSpec) => Promise<ModelScorer>;

interface Served {
  spec: ModelSpec;
  version: number;
  scorer: ModelScorer;
  rows: WindowRows;
  /** Identity of the score envelopes of this model version in this process. */
  bootId: string;
  seq: number;
}

/** The windows being filled, per model name: what a restarted processor goes on from. */
export type InferenceSnapshot = Record<string, WindowRowsSnapshot>;

export interface InferenceStats {
  models: Record<string, { version: number; scored: number; batches: number; invalid: number } & WindowRowsStats>;
  loads: number;
  loadFailures: number;
}

/** Windows scored in one call at most: larger batches are split. */
const MAX_BATCH = 1_024;
/** The gateway id of score readings: they come from the analytics of this deployment, not a site. */
export const SCORE_GATEWAY = "analytics";

/**
 * Serves the active version of every registered model on the live stream: readings become rows
 * and windows per device, windows of all devices are scored in one batch per model, and each score
 * is published back to the telemetry stream as a reading (`score.<model>`, source time of the
 * window's newest row) — stored like any reading and seen by the rule engine (`model` rules). A new
 * active version is loaded beside the old one and swapped in between batches; windows being filled
 * carry over when the inputs are the same, so no reading is dropped by a model change.
 */
export class InferenceRunner {
  readonly #served = new Map<string, Served>();
  readonly #scored = new Map<string, { scored: number; batches: number; invalid: number }>();
  readonly #loadScorer: ScorerLoader;
  readonly #registry: ModelRegistry;
  readonly #log: Logger;
  /** Rows of a saved state for models not loaded yet: taken over when one loads with the same inputs and window. */
  readonly #saved = new Map<string, WindowRowsSnapshot>();
  #loads = 0;
  #loadFailures = 0;
  #stopWatch: (() => void) | undefined;
  #loading: Promise<void> = Promise.resolve();

  constructor(options: { registry: ModelRegistry; loadScorer: ScorerLoader; log: Logger }) {
    this.#registry = options.registry;
    this.#loadScorer = options.loadScorer;
    this.#log = options.log;
  }

  async start(): Promise<void> {
    this.#stopWatch = await this.#registry.watchActive((active) => {
      this.#loading = this.#loading.then(() => this.#load(active));
    });
    await this.#loading;
  }

  /** Resolves when every activation seen so far was loaded (or failed). */
  settled(): Promise<void> {
    return this.#loading;
  }

  stats(): InferenceStats {
    const models: InferenceStats["models"] = {};
    for (const [name, s] of this.#served) {
      models[name] = {
        version: s.version,
        ...(this.#scored.get(name) ?? { scored: 0, batches: 0, invalid: 0 }),
        ...s.rows.stats(),
      };
    }
    return { models, loads: this.#loads, loadFailures: this.#loadFailures };
  }

  snapshot(): InferenceSnapshot {
    const out: InferenceSnapshot = {};
    for (const [name, snapshot] of this.#saved) out[name] = snapshot;
    for (const [name, s] of this.#served) out[name] = s.rows.snapshot();
    return out;
  }

  /**
   * Goes on from the windows of a saved state (`snapshot()`), so that a restarted processor scores
   * the next row instead of waiting a whole window. A model whose inputs or window changed starts
   * empty; one not loaded yet takes its rows over when it loads.
   */
  restore(snapshot: InferenceSnapshot | undefined): void {
    for (const [name, rows] of Object.entries(snapshot ?? {})) {
      const s = this.#served.get(name);
      if (s === undefined) this.#saved.set(name, rows);
      else this.#takeOver(name, s.rows, rows);
    }
  }

  /** Scores what these envelopes complete and returns the score envelopes to publish. */
  async score(envelopes: readonly Envelope[]): Promise<{ subject: string; envelope: Envelope; msgId: string }[]> {
    const out: { subject: string; envelope: Envelope; msgId: string }[] = [];
    for (const [name, s] of this.#served) {
      const ready: ReadyWindow[] = [];
      for (const e of envelopes) {
        if (e.site !== s.spec.site || (s.spec.device !== "*" && e.device !== s.spec.device)) continue;
        ready.push(...s.rows.add(e.site, e.device, e.readings));
      }
      for (let i = 0; i < ready.length; i += MAX_BATCH) {
        out.push(...(await this.#scoreBatch(name, s, ready.slice(i, i + MAX_BATCH))));
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    this.#stopWatch?.();
    await this.#loading;
    for (const s of this.#served.values()) await s.scorer.close();
    this.#served.clear();
  }

  async #scoreBatch(name: string, s: Served, windows: readonly ReadyWindow[]) {
    const width = s.spec.inputs.length;
    const input = new Float32Array(windows.length * s.spec.window * width);
    windows.forEach((w, i) => {
      input.set(w.values, i * w.values.length);
    });
    const { score, pred } = await s.scorer.score(input, [windows.length, s.spec.window, width]);
    const counters = this.#scored.get(name) ?? { scored: 0, batches: 0, invalid: 0 };
    counters.scored += windows.length;
    counters.batches++;
    this.#scored.set(name, counters);
    return windows.flatMap((w, i) => {
      const value = score[i];
      // A NaN or infinite score is a model fault, not a reading: counted and logged, not stored.
      if (value === undefined || !Number.isFinite(value)) {
        counters.invalid++;
        this.#log.warn("model gave a score that is not a number", { model: name, device: w.device, ts: w.ts });
        return [];
      }
      const readings: Reading[] = [{ metric: scoreMetricOf(s.spec), ts: w.ts, value, unit: "", quality: "good" }];
      const decision = pred?.[i];
      if (decision !== undefined && Number.isFinite(decision)) {
        readings.push({ metric: predMetricOf(s.spec), ts: w.ts, value: decision, unit: "", quality: "good" });
      }
      const envelope: Envelope = {
        v: 1,
        site: w.site,
        gateway: SCORE_GATEWAY,
        device: w.device,
        bootId: s.bootId,
        seq: s.seq++,
        readings,
      };
      // A window scored again after a crash has the same id: JetStream drops the copy.
      const msgId = `score.${name}.${s.version}.${w.site}.${w.device}.${w.ts}`;
      return [{ subject: telemetrySubject(envelope), envelope, msgId }];
    });
  }

  #rowsFor(name: string, spec: ModelSpec): WindowRows {
    const rows = new WindowRows(spec.inputs, spec.window, spec.maxRowGapMs, spec.stepMs);
    const saved = this.#saved.get(name);
    this.#saved.delete(name);
    if (saved !== undefined) this.#takeOver(name, rows, saved);
    return rows;
  }

  #takeOver(name: string, rows: WindowRows, saved: WindowRowsSnapshot): void {
    if (!rows.restore(saved))
      this.#log.info("saved windows not taken over: the model's inputs changed", { model: name });
  }

  async #load(active: ActiveModel): Promise<void> {
    const current = this.#served.get(active.name);
    if (current?.version === active.version) return;
    try {
      const versions = await this.#registry.versions(active.name);
      const record = versions.find((v) => v.version === active.version);
      const spec = modelSpecSchema.parse(JSON.parse(record?.metadata[MODEL_SPEC_KEY] ?? "null"));
      const bytes = await this.#registry.load(active.name, active.version);
      const scorer = await this.#loadScorer(bytes, spec);
      const sameRows =
        current !== undefined &&
        current.spec.window === spec.window &&
        current.spec.stepMs === spec.stepMs &&
        current.spec.inputs.join("\n") === spec.inputs.join("\n");
      this.#served.set(active.name, {
        spec,
        version: active.version,
        scorer,
        rows: sameRows ? current.rows : this.#rowsFor(active.name, spec),
        bootId: `${active.name}-v${active.version}-${randomBytes(4).toString("hex")}`.slice(0, 64),
        seq: 0,
      });
      this.#loads++;
      await current?.scorer.close();
      this.#log.info("model loaded", { model: active.name, version: active.version, previous: current?.version });
    } catch (error) {
      this.#loadFailures++;
      this.#log.error("model not loaded; the previous version keeps serving", {
        model: active.name,
        version: active.version,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
