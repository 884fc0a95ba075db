import { readFileSync } from "node:fs";
import { LifelineError } from "@lifeline/contracts";

/**
 * Reads a secret by reference: `env:NAME` from the agent's environment, `file:/path` from the
 * gateway's disk (trailing newline removed). Profiles carry only the reference, so a missing
 * secret is an error that names the reference and where it was looked for, never an empty string.
 */
export function resolveSecretRef(ref: string, env: Record<string, string | undefined>, key: string): string {
  if (ref.startsWith("env:")) {
    const name = ref.slice("env:".length);
    const value = env[name];
    if (value === undefined || value === "") {
      throw new LifelineError("EDGE_SECRET_MISSING", `${key}: environment variable ${name} is not set`);
    }
    return value;
  }
  if (ref.startsWith("file:")) {
    const path = ref.slice("file:".length);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (cause) {
      const why = (cause as NodeJS.ErrnoException).code ?? String(cause);
      throw new LifelineError("EDGE_SECRET_MISSING", `${key}: cannot read ${path} (${why})`, { cause });
    }
    const value = text.replace(/\r?\n$/, "");
    if (value === "") throw new LifelineError("EDGE_SECRET_MISSING", `${key}: ${path} is empty`);
    return value;
  }
  throw new LifelineError("EDGE_SECRET_REF_INVALID", `${key}: expected env:NAME or file:/path, found ${ref}`);
}
