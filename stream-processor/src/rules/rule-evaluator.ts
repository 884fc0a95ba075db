import type { AlertEvidence, AlertLevel, Reading } from "@lifeline/contracts";

/** A reading as a rule sees it: good or uncertain, and newer than the last of its series. */
export type RuleReading = Pick<Reading, "metric" | "ts" | "value" | "unit">;

/** What a rule decided for one key: the level it is at from `at` on, and why. */
export interface Judgement {
  level: AlertLevel | null;
  /** Source time of the deciding reading, or the clock time that decided (a window end, a midnight). */
  at: number;
  metric?: string;
  /** The measure compared with the levels (a value, an aggregate, a rate, a count, a duration). */
  value?: number;
  summary: string;
  evidence: AlertEvidence;
}

/** The state of one (rule, site, device): its level, when it last changed, and the rule kind's own state. */
export interface RuleKey {
  level: AlertLevel | null;
  /** `at` of the last condition emitted for this key; the next one must be later. */
  lastAt: number | null;
  /** Plain JSON, owned by the rule's evaluator. */
  state: unknown;
}

/**
 * Takes a judgement that changes the key's level: the engine emits it as a condition and sets
 * `key.level` at once, so a second judgement in the same call compares with the new level.
 */
export type Decide = (judgement: Judgement) => void;

/** Counts an evaluator keeps for the engine's stats. */
export interface RuleCounters {
  /** Readings that came after their clock window was closed by a tick. */
  late: number;
}

/** One rule, compiled: what it reads and how it judges one key. */
export interface RuleEvaluator {
  /** Metrics whose readings it takes; empty: every reading of the device (a stale rule without metric). */
  readonly metrics: readonly string[];
  /** True when a tick can decide (stale data, clock windows, day ends). */
  readonly clocked: boolean;
  /** True when the key of the rule's device exists before its first reading (stale with `since`). */
  readonly eager: boolean;
  /** Fresh state for a device. */
  init(): unknown;
  onReading(key: RuleKey, reading: RuleReading, decide: Decide): void;
  /** `now` is the clock; `watermark` (now less the grace for late readings) closes windows and days. */
  onTick(key: RuleKey, now: number, watermark: number, decide: Decide): void;
}
