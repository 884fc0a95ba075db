import type { Reading } from "@lifeline/contracts";
import type { AdapterError } from "./adapter-error.ts";

/** What a field engineer wants to see for each point after commissioning or a profile change. */
export interface PointHealth {
  device: string;
  metric: string;
  lastValue: number | undefined;
  /** Source time of the last reading. */
  lastTs: number | undefined;
  /** Wall-clock time the agent last received a reading of this point. */
  lastSuccessAt: number | undefined;
  lastError: { code: string; message: string; at: number } | undefined;
}

/** Tracks the last value, last success and last error of every (device, metric). */
export class PointHealthTracker {
  readonly #points = new Map<string, PointHealth>();
  readonly #deviceErrors = new Map<string, { code: string; message: string; at: number; point?: string | undefined }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  readings(device: string, readings: readonly Reading[]): void {
    const at = this.#now();
    for (const r of readings) {
      const p = this.#point(device, r.metric);
      p.lastValue = r.value;
      p.lastTs = r.ts;
      p.lastSuccessAt = at;
    }
  }

  error(error: AdapterError): void {
    this.#deviceErrors.set(error.device, {
      code: error.code,
      message: error.message,
      at: this.#now(),
      point: error.point,
    });
  }

  /** Every point seen, with its device's last error where that came after the point's last reading. */
  snapshot(): PointHealth[] {
    const out: PointHealth[] = [];
    for (const p of this.#points.values()) {
      const e = this.#deviceErrors.get(p.device);
      // A device's error is the point's while no reading of the point came after it.
      const current = e !== undefined && e.at >= (p.lastSuccessAt ?? 0);
      out.push({ ...p, lastError: current ? { code: e.code, message: e.message, at: e.at } : undefined });
    }
    for (const [device, e] of this.#deviceErrors) {
      if (![...this.#points.values()].some((p) => p.device === device)) {
        out.push({
          device,
          metric: "*",
          lastValue: undefined,
          lastTs: undefined,
          lastSuccessAt: undefined,
          lastError: { code: e.code, message: e.message, at: e.at },
        });
      }
    }
    return out.sort((a, b) => a.device.localeCompare(b.device) || a.metric.localeCompare(b.metric));
  }

  /** Forgets a device (it was removed from the profile). */
  forget(device: string): void {
    this.#deviceErrors.delete(device);
    for (const key of [...this.#points.keys()]) if (key.startsWith(`${device}\u0000`)) this.#points.delete(key);
  }

  #point(device: string, metric: string): PointHealth {
    const key = `${device}\u0000${metric}`;
    let p = this.#points.get(key);
    if (p === undefined) {
      p = { device, metric, lastValue: undefined, lastTs: undefined, lastSuccessAt: undefined, lastError: undefined };
      this.#points.set(key, p);
    }
    return p;
  }
}
