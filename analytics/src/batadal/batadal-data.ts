import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The copy of the competition files kept with the package (gzipped), used when no folder has them. */
export const BUNDLED_BATADAL_DIR = fileURLToPath(new URL("../../data/batadal/", import.meta.url));

/**
 * The path of BATADAL dataset 03 or 04: in `dir` (as `.csv` or `.csv.gz`) when it is there, else
 * the bundled copy — so that training and the tests run on a machine without `../shared/data`.
 */
export function batadalFile(which: "03" | "04", dir?: string): string {
  const name = `BATADAL_dataset${which}.csv`;
  for (const candidate of dir === undefined ? [] : [join(dir, name), join(dir, `${name}.gz`)]) {
    if (existsSync(candidate)) return candidate;
  }
  return join(BUNDLED_BATADAL_DIR, `${name}.gz`);
}
