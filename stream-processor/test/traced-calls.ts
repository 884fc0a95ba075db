import { readFileSync } from "node:fs";

/**
 * The calls an `strace -f -y -o trace` file holds on paths under `dir`, made comparable: no pid
 * prefix, no descriptor number, `dir` written as `DIR`.
 */
export function tracedCalls(trace: string, dir: string): string[] {
  return readFileSync(trace, "utf8")
    .split("\n")
    .filter((line) => line.includes(dir))
    .map((line) =>
      line
        .replace(/^\d+ +/, "")
        .replace(/\(\d+</, "(<")
        .replaceAll(dir, "DIR"),
    );
}
