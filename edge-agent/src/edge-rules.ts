import type { Reading } from "@lifeline/contracts";
import type { EdgeRule } from "@lifeline/firmware-profiles";

/**
 * The profile's edge rules, applied per (device, metric) between the adapters and the uplink:
 * deadband and min-interval drop readings that say nothing new, range marks implausible readings
 * bad. They never change a value or its source time. Dropped readings are counted.
 */
export class EdgeRules {
  readonly #rules = new Map<string, EdgeRule[]>();
  readonly #lastForwarded = new Map<string, Reading>();
  dropped = 0;

  constructor(rules: readonly EdgeRule[]) {
    for (const rule of rules) {
      const key = `${rule.device}\u0000${rule.metric}`;
      this.#rules.set(key, [...(this.#rules.get(key) ?? []), rule]);
    }
  }

  get size(): number {
    return [...this.#rules.values()].reduce((n, rs) => n + rs.length, 0);
  }

  /** The readings of one device that go on, in order. */
  apply(device: string, readings: readonly Reading[]): Reading[] {
    if (this.#rules.size === 0) return readings as Reading[];
    const out: Reading[] = [];
    for (const reading of readings) {
      const key = `${device}\u0000${reading.metric}`;
      const rules = this.#rules.get(key);
      if (rules === undefined) {
        out.push(reading);
        continue;
      }
      let r = reading;
      const last = this.#lastForwarded.get(key);
      let keep = true;
      for (const rule of rules) {
        if (rule.kind === "range" && (r.value < rule.min || r.value > rule.max)) r = { ...r, quality: "bad" };
        if (rule.kind === "deadband" && last !== undefined && Math.abs(r.value - last.value) < rule.absolute)
          keep = false;
        if (rule.kind === "min-interval" && last !== undefined && r.ts - last.ts < rule.ms) keep = false;
      }
      // A change of quality always goes through: a sensor turning bad is news even if its value is not.
      if (!keep && last !== undefined && last.quality === r.quality) {
        this.dropped++;
        continue;
      }
      this.#lastForwarded.set(key, r);
      out.push(r);
    }
    return out;
  }
}
