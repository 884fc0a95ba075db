import { spawn } from "node:child_process";
import { join } from "node:path";

export const LIFELINE_BIN = join(import.meta.dirname, "../bin/lifeline.js");

/** Runs the `lifeline` command to its end, as a person would from a shell. */
export function runLifeline(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [LIFELINE_BIN, ...args]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}
