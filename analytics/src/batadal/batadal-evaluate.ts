import { assertHourly, type BatadalRow, type BatadalTable } from "./batadal-csv.ts";
import { scoreRows } from "./batadal-detector.ts";
import { BatadalError } from "./batadal-error.ts";
import type { BatadalModel } from "./batadal-model.ts";
import { type BatadalScore, scoreBatadal } from "./batadal-score.ts";

/**
 * Attack labels of a labelled file: 1 where ATT_FLAG is 1, 0 elsewhere. dataset04 marks every hour it does not
 * label as an attack -999 (it has no 0 at all), so -999 counts as normal, as it must for TNR to exist; the
 * organisers warn that some of those hours are in fact attacks (batadal.net FAQ, "there might be other
 * undiscovered attacks in Dataset 4").
 */
export function attackLabels(table: BatadalTable): Uint8Array {
  if (!table.labelled) {
    throw new BatadalError("ANALYTICS_BATADAL_CSV_HEADER", `${table.source}: no ATT_FLAG column to evaluate against`, {
      source: table.source,
      column: "ATT_FLAG",
    });
  }
  return Uint8Array.from(table.rows, (row) => (row.attackFlag === 1 ? 1 : 0));
}

/**
 * The seven attacks of dataset04 with their full extent (first and last hour, inclusive), as disclosed after the
 * competition and used to label dataset04 in public BATADAL evaluation code. The file's ATT_FLAG marks only parts
 * of five of them. For diagnostics only: the reported figure uses the file's own labels.
 */
export const BATADAL_DATASET04_ATTACKS: readonly { first: string; last: string }[] = Object.freeze([
  { first: "13/09/16 23", last: "16/09/16 00" },
  { first: "26/09/16 11", last: "27/09/16 10" },
  { first: "09/10/16 09", last: "11/10/16 20" },
  { first: "29/10/16 19", last: "02/11/16 16" },
  { first: "26/11/16 17", last: "29/11/16 04" },
  { first: "06/12/16 07", last: "10/12/16 04" },
  { first: "14/12/16 15", last: "19/12/16 04" },
]);

/** Labels from a list of attack periods (DATETIME of the first and last hour); every period must lie in the file. */
export function labelsFromPeriods(
  table: BatadalTable,
  periods: readonly { first: string; last: string }[],
): Uint8Array {
  const index = new Map(table.rows.map((row, i) => [row.datetime, i]));
  const labels = new Uint8Array(table.rows.length);
  for (const { first, last } of periods) {
    const from = index.get(first);
    const to = index.get(last);
    if (from === undefined || to === undefined || to < from) {
      throw new RangeError(`attack ${first} – ${last} is not a period of ${table.source}`);
    }
    labels.fill(1, from, to + 1);
  }
  return labels;
}

export interface BatadalEvaluation {
  score: BatadalScore;
  scores: Float64Array;
  predictions: Uint8Array;
}

/** Scores a file with the model and rates the predictions against `labels` (by default the file's ATT_FLAG). */
export function evaluateBatadal(
  model: BatadalModel,
  table: BatadalTable,
  labels: Uint8Array = attackLabels(table),
): BatadalEvaluation {
  assertHourly(table);
  const { scores, predictions } = scoreRows(
    model,
    table.rows.map((row) => row.readings),
  );
  return { score: scoreBatadal(labels, predictions), scores, predictions };
}

/** The competition's submission format: `DATETIME,PRED`, one line per input row. */
export function formatPredictionCsv(rows: readonly BatadalRow[], predictions: ArrayLike<number>): string {
  if (rows.length !== predictions.length) {
    throw new RangeError(`${rows.length} rows but ${predictions.length} predictions`);
  }
  const lines = ["DATETIME,PRED"];
  rows.forEach((row, i) => {
    lines.push(`${row.datetime},${predictions[i] === 1 ? 1 : 0}`);
  });
  return `${lines.join("\n")}\n`;
}
