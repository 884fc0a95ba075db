import {
  ALERT_LEVELS,
  type AlertLevel,
  detectMetric,
  detectRule,
  levelRank,
  type VideoDetectConfig,
} from "@lifeline/contracts";

/** A detection that changed level on one stream: raised, escalated, lowered, or cleared (`null`). */
export interface DetectionChange {
  class: string;
  rule: string;
  metric: string;
  level: AlertLevel | null;
  previous: AlertLevel | null;
  /** The score of the frame that decided. */
  score: number;
  /** Capture time of that frame. */
  at: number;
}

interface ClassState {
  readonly detect: VideoDetectConfig;
  level: AlertLevel | null;
  /** Consecutive analysed frames that point the same way away from `level`, and the levels they saw. */
  run: { up: boolean; frames: number; levels: Array<AlertLevel | null> } | undefined;
}

/**
 * Turns per-frame scores into level changes, one state per class of one stream. A level is entered
 * when `forFrames` consecutive analysed frames score at least its threshold (a plume that persists;
 * a truck's dust cloud that passes in one frame does not), and left when the score falls
 * `hysteresis` below it for `clearFrames` frames (to nothing) or `forFrames` frames (to a lower
 * level). The new level is the one every frame of the run supports: the lowest seen going up,
 * the highest seen going down.
 */
export class DetectionTracker {
  readonly #states: ClassState[];

  constructor(detect: readonly VideoDetectConfig[]) {
    this.#states = detect.map((d) => ({ detect: d, level: null, run: undefined }));
  }

  /** The level each class is at now, by class. */
  levels(): Record<string, AlertLevel | null> {
    return Object.fromEntries(this.#states.map((s) => [s.detect.class, s.level]));
  }

  /** Feeds the scores of one analysed frame (by class; a class the model did not score counts as 0). */
  update(scores: Readonly<Record<string, number>>, at: number): DetectionChange[] {
    const changes: DetectionChange[] = [];
    for (const s of this.#states) {
      const score = scores[s.detect.class] ?? 0;
      const change = this.#step(s, score, at);
      if (change !== undefined) changes.push(change);
    }
    return changes;
  }

  #step(s: ClassState, score: number, at: number): DetectionChange | undefined {
    const seen = levelOf(s.detect, score, s.level);
    if (seen === s.level) {
      s.run = undefined;
      return undefined;
    }
    const up = rank(seen) > rank(s.level);
    if (s.run === undefined || s.run.up !== up) s.run = { up, frames: 0, levels: [] };
    s.run.frames++;
    s.run.levels.push(seen);
    const target = up ? lowest(s.run.levels) : highest(s.run.levels);
    const needed = target === null ? s.detect.clearFrames : s.detect.forFrames;
    if (s.run.frames < needed) return undefined;
    const previous = s.level;
    s.level = target;
    s.run = undefined;
    if (target === previous) return undefined;
    return {
      class: s.detect.class,
      rule: detectRule(s.detect),
      metric: detectMetric(s.detect),
      level: target,
      previous,
      score,
      at,
    };
  }
}

/** The level a score stands at, given the level held now: staying needs only `level − hysteresis`. */
function levelOf(d: VideoDetectConfig, score: number, current: AlertLevel | null): AlertLevel | null {
  let found: AlertLevel | null = null;
  for (const level of ALERT_LEVELS) {
    const threshold = d.levels[level];
    if (threshold === undefined) continue;
    const held = current !== null && levelRank(level) <= levelRank(current);
    if (score >= (held ? threshold - d.hysteresis : threshold)) found = level;
  }
  return found;
}

function rank(level: AlertLevel | null): number {
  return level === null ? -1 : levelRank(level);
}

function lowest(levels: ReadonlyArray<AlertLevel | null>): AlertLevel | null {
  return levels.reduce((a, b) => (rank(b) < rank(a) ? b : a));
}

function highest(levels: ReadonlyArray<AlertLevel | null>): AlertLevel | null {
  return levels.reduce((a, b) => (rank(b) > rank(a) ? b : a));
}
