/**
 * The BATADAL competition score (Taormina et al. 2018, §"Performance evaluation"):
 * S_TTD = 1 − (1/n)·Σ TTD_i/Δt_i over the n attacks, where Δt_i is the attack's length in hours and TTD_i the
 * hours from its first hour to the first hour flagged inside it (Δt_i when no hour of it is flagged);
 * S_CLS = (TPR + TNR)/2 over all hours; S = 0.5·S_TTD + 0.5·S_CLS.
 */

/** One attack: a maximal run of hours labelled 1, `start` inclusive, `end` exclusive (row indices). */
export interface AttackRun {
  start: number;
  end: number;
}

export interface AttackDetection extends AttackRun {
  /** Hours from the attack's first hour to its first flagged hour; the attack's length if none is flagged. */
  ttdHours: number;
  detected: boolean;
}

export interface BatadalScore {
  sTtd: number;
  sCls: number;
  s: number;
  tpr: number;
  tnr: number;
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
  attacks: AttackDetection[];
}

/** Maximal runs of `label === 1`; any other label (0, -999) is outside an attack. */
export function attackRuns(labels: ArrayLike<number>): AttackRun[] {
  const runs: AttackRun[] = [];
  let start = -1;
  for (let i = 0; i <= labels.length; i++) {
    const inside = i < labels.length && labels[i] === 1;
    if (inside && start < 0) start = i;
    if (!inside && start >= 0) {
      runs.push({ start, end: i });
      start = -1;
    }
  }
  return runs;
}

function detectionOf(run: AttackRun, predictions: ArrayLike<number>): AttackDetection {
  for (let i = run.start; i < run.end; i++) {
    if (predictions[i] === 1) return { ...run, ttdHours: i - run.start, detected: true };
  }
  return { ...run, ttdHours: run.end - run.start, detected: false };
}

/**
 * Scores hourly predictions (1 = attack) against labels (1 = attack; 0 and -999 count as normal).
 * With no attack hours S_TTD and TPR are NaN, and so is S: there is nothing to detect.
 */
export function scoreBatadal(labels: ArrayLike<number>, predictions: ArrayLike<number>): BatadalScore {
  if (labels.length !== predictions.length) {
    throw new RangeError(`labels (${labels.length}) and predictions (${predictions.length}) differ in length`);
  }
  let truePositives = 0;
  let falsePositives = 0;
  let trueNegatives = 0;
  let falseNegatives = 0;
  for (let i = 0; i < labels.length; i++) {
    const attack = labels[i] === 1;
    const flagged = predictions[i] === 1;
    if (attack && flagged) truePositives++;
    else if (attack) falseNegatives++;
    else if (flagged) falsePositives++;
    else trueNegatives++;
  }
  const attacks = attackRuns(labels).map((run) => detectionOf(run, predictions));
  const ttdShare = attacks.reduce((sum, a) => sum + a.ttdHours / (a.end - a.start), 0);
  const sTtd = attacks.length === 0 ? Number.NaN : 1 - ttdShare / attacks.length;
  const tpr = truePositives / (truePositives + falseNegatives);
  const tnr = trueNegatives / (trueNegatives + falsePositives);
  const sCls = (tpr + tnr) / 2;
  return {
    sTtd,
    sCls,
    s: 0.5 * sTtd + 0.5 * sCls,
    tpr,
    tnr,
    truePositives,
    falsePositives,
    trueNegatives,
    falseNegatives,
    attacks,
  };
}
