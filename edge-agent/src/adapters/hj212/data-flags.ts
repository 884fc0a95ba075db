import { HJ212_DATA_FLAGS, type Hj212DataFlag, type Quality } from "@lifeline/contracts";
import { ownValue } from "./own-value.ts";

/** HJ 212-2017 §6.6.4 (表 8, 数据标记): the state of the instrument when the value was taken. */
export const DATA_FLAGS = HJ212_DATA_FLAGS;
export type DataFlag = Hj212DataFlag;

/**
 * How far a value can be trusted, by its data flag. N is the only "instrument normal" state.
 * S (a value typed in by hand) and T (the sample exceeded the upper limit of the range, so the
 * true value is at least this) still say something about the site: uncertain, as OPC UA's
 * Uncertain_SubstituteValue and Uncertain_EngineeringUnitsExceeded. F (stopped), M (maintenance),
 * D (fault), C (calibration: the value is the calibration standard's) and B (no communication
 * between instrument and logger) do not describe the site: bad.
 */
export const DEFAULT_FLAG_QUALITY: Readonly<Record<DataFlag, Quality>> = {
  N: "good",
  S: "uncertain",
  T: "uncertain",
  F: "bad",
  M: "bad",
  D: "bad",
  C: "bad",
  B: "bad",
};

/**
 * A factor without a Flag field is taken as normal (nothing says otherwise); a letter the table
 * does not know (表 8 is "可扩充", extensible) is uncertain.
 */
export function qualityOf(flag: string | undefined, table: Readonly<Record<string, Quality>>): Quality {
  if (flag === undefined) return "good";
  return ownValue(table, flag) ?? "uncertain";
}
