import { ALERT_LEVELS, type AlertLevel, type AlertRuleLevels } from "@lifeline/contracts";

/**
 * The levels a rule defines, from least to most severe, with their limits. `sign` is -1 for a
 * `below` rule, so that "past a limit" is always `sign × value > sign × limit`.
 */
export interface LevelLadder {
  readonly levels: readonly AlertLevel[];
  readonly limits: readonly number[];
  readonly sign: 1 | -1;
}

export function levelLadder(levels: AlertRuleLevels, above = true): LevelLadder {
  const defined = ALERT_LEVELS.filter((level) => levels[level] !== undefined);
  return { levels: defined, limits: defined.map((level) => levels[level] as number), sign: above ? 1 : -1 };
}

/** The limit of a level of the ladder; for no level, the limit of the least severe one. */
export function limitOf(ladder: LevelLadder, level: AlertLevel | null): number {
  const i = level === null ? 0 : ladder.levels.indexOf(level);
  return ladder.limits[Math.max(i, 0)] as number;
}

/** True when `value` is past the limit of `level` itself (not only within its hysteresis band). */
export function isPast(ladder: LevelLadder, level: AlertLevel, value: number): boolean {
  return ladder.sign * value > ladder.sign * limitOf(ladder, level);
}

/**
 * The level a value puts a key at. A level is raised when the value is past its limit — and has
 * stayed past it for `forMs` of source time, when `since` (first ts past each level, updated here)
 * is given; a level at or below the current one is held while the value is within `hysteresis` of
 * its limit. The most severe such level wins, so III → I is one step and I → III skips II.
 */
export function judgeValue(
  ladder: LevelLadder,
  current: AlertLevel | null,
  value: number,
  ts: number,
  options: { hysteresis: number; forMs: number; since: (number | null)[] },
): AlertLevel | null {
  const { levels, limits, sign } = ladder;
  const currentIndex = current === null ? -1 : levels.indexOf(current);
  let best = -1;
  for (let i = 0; i < levels.length; i++) {
    const limit = sign * (limits[i] as number);
    const past = sign * value > limit;
    let raised = past;
    if (options.forMs > 0) {
      const since = past ? (options.since[i] ?? ts) : null;
      options.since[i] = since;
      raised = since !== null && ts - since >= options.forMs;
    }
    if (raised || (i <= currentIndex && sign * value > limit - options.hysteresis)) best = i;
  }
  return best < 0 ? null : (levels[best] as AlertLevel);
}

/** The most severe level whose limit `measure` has reached (counts, durations: ascending ladders). */
export function reachedLevel(ladder: LevelLadder, measure: number): AlertLevel | null {
  let reached: AlertLevel | null = null;
  for (let i = 0; i < ladder.levels.length; i++) {
    if (measure >= (ladder.limits[i] as number)) reached = ladder.levels[i] as AlertLevel;
  }
  return reached;
}
