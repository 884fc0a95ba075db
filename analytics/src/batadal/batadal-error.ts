import { LifelineError } from "@lifeline/contracts";

export type BatadalErrorCode =
  /** The header lacks DATETIME or a sensor column, or names a column twice. */
  | "ANALYTICS_BATADAL_CSV_HEADER"
  /** A data row with the wrong number of fields, a bad time, a non-numeric value or an unknown ATT_FLAG. */
  | "ANALYTICS_BATADAL_CSV_ROW"
  /** Rows that are not consecutive hours, where the detector needs an unbroken hourly series. */
  | "ANALYTICS_BATADAL_GAP"
  /** Too few rows to train on. */
  | "ANALYTICS_BATADAL_TOO_FEW_ROWS"
  /** A training row labelled as an attack: the detector learns normal operation only. */
  | "ANALYTICS_BATADAL_TRAINING_ATTACK"
  /** A model object whose arrays do not have the sizes its header announces, or an unknown format. */
  | "ANALYTICS_BATADAL_MODEL_INVALID";

/** A BATADAL file, window or model the detector cannot use; `detail` names the line, column or field. */
export class BatadalError extends LifelineError {
  declare readonly code: BatadalErrorCode;

  constructor(code: BatadalErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { detail });
  }
}
