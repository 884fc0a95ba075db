import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../src/problem.ts";
import { validateProfile } from "../src/validate-profile.ts";

// testcases/<name>/profile.yaml is a broken profile; expected.txt holds every problem line validate must print.
const root = fileURLToPath(new URL("../testcases/", import.meta.url));
const cases = readdirSync(root).sort();

describe("profile testcases", () => {
  it("has a corpus of at least 30 broken profiles", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)("%s", (name) => {
    const text = readFileSync(join(root, name, "profile.yaml"), "utf8");
    const expected = readFileSync(join(root, name, "expected.txt"), "utf8");
    const result = validateProfile(text, "profile.yaml");
    expect(`${result.problems.map(formatProblem).join("\n")}\n`).toBe(expected);
    expect(result.problems.length).toBeGreaterThan(0);
    // A profile comes back exactly when nothing is an error.
    const hasError = result.problems.some((p) => p.severity === "error");
    expect(result.profile === undefined).toBe(hasError);
  });
});
