import type { Reading } from "@lifeline/contracts";
import { StepAverages, type StepAveragesSnapshot } from "./step-averages.ts";

/** A full window of one device, ready for a model: `rows` × `inputs` values, oldest row first. */
export interface ReadyWindow {
  site: string;
  device: string;
  /** Source time of the newest row: the time of the score. */
  ts: number;
  values: Float32Array;
}

interface DeviceRows {
  /** Rows being filled, by source time (values of the inputs seen so far at that time). */
  pending: Map<number, (number | undefined)[]>;
  /** Complete rows, oldest first, at most `window` of them. */
  rows: { ts: number; values: number[] }[];
  lastTs: number;
}

/**
 * The rows of every device, as JSON can carry them: saved with the rule engine's state so that a
 * restarted processor goes on filling the windows it had, instead of waiting `window` rows.
 */
export interface WindowRowsSnapshot {
  inputs: string[];
  window: number;
  /** The model's step, when its rows are step averages (see StepAverages); null otherwise. */
  stepMs?: number | null;
  steps?: StepAveragesSnapshot;
  devices: {
    key: string;
    /** Incomplete rows: source time and the values seen so far (null: not yet). */
    pending: [number, (number | null)[]][];
    rows: { ts: number; values: number[] }[];
    /** Null before the device's first complete row. */
    lastTs: number | null;
  }[];
}

export interface WindowRowsStats {
  rows: number;
  windows: number;
  /** Rows given up because a newer row completed first (an input missing at that time). */
  incomplete: number;
  /** Readings not newer than the device's last complete row (replays, late data). */
  stale: number;
  /** Windows restarted because consecutive rows were further apart than `maxRowGapMs`. */
  gaps: number;
  /** Readings that came after their step was handed on (only for a model with a step). */
  late: number;
}

/**
 * Turns a device's readings into model rows — the values of the model's inputs at one source
 * time — and rows into sliding windows. Deterministic and replay-safe: a reading not newer than
 * the device's last complete row is ignored, so a redelivered batch yields no window twice.
 */
export class WindowRows {
  readonly #inputs: Map<string, number>;
  readonly #window: number;
  readonly #maxGapMs: number;
  readonly #devices = new Map<string, DeviceRows>();
  readonly #stats: Omit<WindowRowsStats, "late"> = { rows: 0, windows: 0, incomplete: 0, stale: 0, gaps: 0 };
  /** Present when rows are the averages of each step (a model trained on stored steps). */
  readonly #steps: StepAverages | undefined;
  readonly #stepMs: number | null;

  constructor(inputs: readonly string[], window: number, maxRowGapMs = Number.POSITIVE_INFINITY, stepMs?: number) {
    this.#inputs = new Map(inputs.map((m, i) => [m, i]));
    this.#window = window;
    this.#maxGapMs = maxRowGapMs;
    this.#steps = stepMs === undefined ? undefined : new StepAverages(this.#inputs, stepMs);
    this.#stepMs = stepMs ?? null;
  }

  stats(): WindowRowsStats {
    return { ...this.#stats, late: this.#steps?.late ?? 0 };
  }

  snapshot(): WindowRowsSnapshot {
    return {
      inputs: [...this.#inputs.keys()],
      window: this.#window,
      stepMs: this.#stepMs,
      ...(this.#steps === undefined ? {} : { steps: this.#steps.snapshot() }),
      devices: [...this.#devices].map(([key, d]) => ({
        key,
        pending: [...d.pending].map(([ts, values]): [number, (number | null)[]] => [ts, values.map((v) => v ?? null)]),
        rows: d.rows.map((row) => ({ ts: row.ts, values: [...row.values] })),
        lastTs: Number.isFinite(d.lastTs) ? d.lastTs : null,
      })),
    };
  }

  /**
   * Takes over the rows of a snapshot taken with the same inputs and window; returns false (and
   * keeps what it has) when they differ, since rows of other inputs cannot fill this model's windows.
   */
  restore(snapshot: WindowRowsSnapshot): boolean {
    if (snapshot.window !== this.#window || snapshot.inputs.join("\n") !== [...this.#inputs.keys()].join("\n")) {
      return false;
    }
    if ((snapshot.stepMs ?? null) !== this.#stepMs) return false;
    if (this.#steps !== undefined && snapshot.steps !== undefined && !this.#steps.restore(snapshot.steps)) return false;
    this.#devices.clear();
    for (const d of snapshot.devices) {
      this.#devices.set(d.key, {
        pending: new Map(d.pending.map(([ts, values]) => [ts, values.map((v) => v ?? undefined)])),
        rows: d.rows.slice(-this.#window).map((row) => ({ ts: row.ts, values: [...row.values] })),
        lastTs: d.lastTs ?? Number.NEGATIVE_INFINITY,
      });
    }
    return true;
  }

  /** Whether a metric is one of the inputs (cheap test before anything else is done). */
  wants(metric: string): boolean {
    return this.#inputs.has(metric);
  }

  /** Adds one envelope's readings; returns the windows they completed, in time order. */
  add(site: string, device: string, rawReadings: readonly Reading[]): ReadyWindow[] {
    const key = `${site}/${device}`;
    const readings = this.#steps === undefined ? rawReadings : this.#steps.add(key, rawReadings);
    let d = this.#devices.get(key);
    const out: ReadyWindow[] = [];
    for (const r of readings) {
      const i = this.#inputs.get(r.metric);
      if (i === undefined || r.quality === "bad") continue;
      if (d === undefined) {
        d = { pending: new Map(), rows: [], lastTs: Number.NEGATIVE_INFINITY };
        this.#devices.set(key, d);
      }
      if (r.ts <= d.lastTs) {
        this.#stats.stale++;
        continue;
      }
      let row = d.pending.get(r.ts);
      if (row === undefined) {
        row = new Array(this.#inputs.size).fill(undefined);
        d.pending.set(r.ts, row);
      }
      row[i] = r.value;
      if (row.every((v) => v !== undefined)) this.#complete(site, device, d, r.ts, row as number[], out);
    }
    return out;
  }

  #complete(site: string, device: string, d: DeviceRows, ts: number, values: number[], out: ReadyWindow[]): void {
    for (const t of d.pending.keys()) {
      if (t > ts) continue;
      d.pending.delete(t);
      if (t < ts) this.#stats.incomplete++;
    }
    const previous = d.rows[d.rows.length - 1];
    if (previous !== undefined && ts - previous.ts > this.#maxGapMs) {
      d.rows.length = 0;
      this.#stats.gaps++;
    }
    d.lastTs = ts;
    d.rows.push({ ts, values });
    if (d.rows.length > this.#window) d.rows.shift();
    this.#stats.rows++;
    if (d.rows.length < this.#window) return;
    const width = this.#inputs.size;
    const flat = new Float32Array(this.#window * width);
    d.rows.forEach((row, r) => {
      flat.set(row.values, r * width);
    });
    this.#stats.windows++;
    out.push({ site, device, ts, values: flat });
  }
}
