import { LifelineError } from "@lifeline/contracts";

/** The profile format this build writes and reads fully. */
export const PROFILE_FORMAT = "1.0";

export type FormatCheck = { ok: true; warning?: string } | { ok: false; error: LifelineError };

/**
 * Profiles carry `format: "MAJOR.MINOR"`. An unknown major version is refused (its meaning may
 * have changed); a newer minor version is read with a warning (it only adds optional keys).
 */
export function checkFormatVersion(format: unknown, supported: string = PROFILE_FORMAT): FormatCheck {
  const match = typeof format === "string" ? /^(\d+)\.(\d+)$/.exec(format) : null;
  if (match === null) {
    return {
      ok: false,
      error: new LifelineError(
        "PROFILE_FORMAT_INVALID",
        `format: expected "MAJOR.MINOR" such as "${supported}", got ${JSON.stringify(format)}`,
      ),
    };
  }
  const [major, minor] = supported.split(".").map(Number) as [number, number];
  const [fileMajor, fileMinor] = [Number(match[1]), Number(match[2])];
  if (fileMajor !== major) {
    return {
      ok: false,
      error: new LifelineError(
        "PROFILE_FORMAT_UNSUPPORTED",
        `format: version ${format} is not supported; this build reads ${major}.x (up to ${supported})`,
      ),
    };
  }
  if (fileMinor > minor) {
    return { ok: true, warning: `format: version ${format} is newer than ${supported}; keys it added are ignored` };
  }
  return { ok: true };
}
