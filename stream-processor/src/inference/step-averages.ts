import type { Reading } from "@lifeline/contracts";

/** One device's step being filled: sums and counts per input, and the last source time taken per input. */
interface OpenStep {
  start: number;
  sums: number[];
  counts: number[];
  lastTs: number[];
}

export interface StepAveragesSnapshot {
  stepMs: number;
  devices: { key: string; start: number; sums: number[]; counts: number[]; lastTs: number[] }[];
}

/**
 * Turns a device's readings into one value per input and step — the average of the readings in
 * [start, start + step), stamped with the step's start — the rows a forecaster was trained on
 * (`store.series` with the model's step and `avg`). A monitor that reports every 10 s and one that
 * reports once a minute then give a one-minute model the same rows.
 *
 * A step is handed on when the device's first reading of a later step arrives. Replay-safe: per
 * input, a reading not newer than the last one taken is ignored (a redelivered batch adds nothing
 * twice), and so is a reading of a step already handed on.
 */
export class StepAverages {
  readonly #inputs: ReadonlyMap<string, number>;
  readonly #stepMs: number;
  readonly #devices = new Map<string, OpenStep>();
  #late = 0;

  constructor(inputs: ReadonlyMap<string, number>, stepMs: number) {
    this.#inputs = inputs;
    this.#stepMs = stepMs;
  }

  /** Readings not taken: older than the device's open step, or not newer than its input's last one. */
  get late(): number {
    return this.#late;
  }

  /** Adds readings of one device; returns the averages of the steps they closed, oldest first. */
  add(key: string, readings: readonly Reading[]): Reading[] {
    const out: Reading[] = [];
    for (const r of readings) {
      const i = this.#inputs.get(r.metric);
      if (i === undefined || r.quality === "bad") continue;
      const start = Math.floor(r.ts / this.#stepMs) * this.#stepMs;
      let open = this.#devices.get(key);
      if (open !== undefined && start > open.start) {
        out.push(...this.#averages(open));
        open = { ...this.#empty(start), lastTs: open.lastTs };
        this.#devices.set(key, open);
      }
      if (open === undefined) {
        open = this.#empty(start);
        this.#devices.set(key, open);
      }
      if (start < open.start || r.ts <= (open.lastTs[i] as number)) {
        this.#late++;
        continue;
      }
      open.sums[i] = (open.sums[i] as number) + r.value;
      open.counts[i] = (open.counts[i] as number) + 1;
      open.lastTs[i] = r.ts;
    }
    return out;
  }

  snapshot(): StepAveragesSnapshot {
    return {
      stepMs: this.#stepMs,
      devices: [...this.#devices].map(([key, s]) => ({
        key,
        start: s.start,
        sums: [...s.sums],
        counts: [...s.counts],
        // JSON has no -Infinity: an input never seen is written as null and read back as -Infinity.
        lastTs: s.lastTs.map((t) => (Number.isFinite(t) ? t : null)) as number[],
      })),
    };
  }

  restore(snapshot: StepAveragesSnapshot): boolean {
    if (snapshot.stepMs !== this.#stepMs) return false;
    this.#devices.clear();
    for (const d of snapshot.devices) {
      this.#devices.set(d.key, {
        start: d.start,
        sums: [...d.sums],
        counts: [...d.counts],
        lastTs: d.lastTs.map((t) => t ?? Number.NEGATIVE_INFINITY),
      });
    }
    return true;
  }

  #empty(start: number): OpenStep {
    const n = this.#inputs.size;
    return {
      start,
      sums: new Array(n).fill(0),
      counts: new Array(n).fill(0),
      lastTs: new Array(n).fill(Number.NEGATIVE_INFINITY),
    };
  }

  #averages(step: OpenStep): Reading[] {
    const out: Reading[] = [];
    for (const [metric, i] of this.#inputs) {
      const count = step.counts[i] as number;
      if (count > 0) {
        out.push({ metric, ts: step.start, value: (step.sums[i] as number) / count, unit: "", quality: "good" });
      }
    }
    return out;
  }
}
