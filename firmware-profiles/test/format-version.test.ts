import { describe, expect, it } from "vitest";
import { checkFormatVersion } from "../src/format-version.ts";

describe("checkFormatVersion", () => {
  it("accepts the current and older minor versions", () => {
    expect(checkFormatVersion("1.0")).toEqual({ ok: true });
    expect(checkFormatVersion("1.0", "1.2")).toEqual({ ok: true });
  });

  it("warns on a newer minor version", () => {
    expect(checkFormatVersion("1.3", "1.2")).toEqual({
      ok: true,
      warning: "format: version 1.3 is newer than 1.2; keys it added are ignored",
    });
  });

  it.each([
    ["2.0", "PROFILE_FORMAT_UNSUPPORTED", "format: version 2.0 is not supported; this build reads 1.x (up to 1.0)"],
    ["1", "PROFILE_FORMAT_INVALID", 'format: expected "MAJOR.MINOR" such as "1.0", got "1"'],
    [1.0, "PROFILE_FORMAT_INVALID", 'format: expected "MAJOR.MINOR" such as "1.0", got 1'],
  ])("refuses %s", (format, code, message) => {
    const result = checkFormatVersion(format);
    expect(result.ok).toBe(false);
    if (!result.ok) expect([result.error.code, result.error.message]).toEqual([code, message]);
  });
});
