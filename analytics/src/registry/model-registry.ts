import { createHash } from "node:crypto";
import { isId, LifelineError } from "@lifeline/contracts";

/** One registered version of a model: its bytes are addressed by (name, version) and checked by hash. */
export interface ModelVersion {
  name: string;
  version: number;
  sha256: string;
  size: number;
  registeredAt: number;
  /** What the model declares: inputs and features, training-data hash, evaluation metrics, … */
  metadata: Record<string, string>;
}

/** Which version of a model is served, and the versions served before it (newest last). */
export interface ActiveModel {
  name: string;
  version: number;
  history: number[];
  activatedAt: number;
  by: string;
}

export type RegistryErrorCode =
  | "ANALYTICS_MODEL_NAME_INVALID"
  | "ANALYTICS_MODEL_NOT_FOUND"
  | "ANALYTICS_MODEL_CORRUPT"
  | "ANALYTICS_NO_PREVIOUS_VERSION";

export class RegistryError extends LifelineError {
  declare readonly code: RegistryErrorCode;

  constructor(code: RegistryErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { detail });
  }
}

/**
 * Versions of models, and which one is active. Registering never changes what is served;
 * activating does, and serving processes follow `watchActive` to hot-load the new version.
 * Rolling back activates the version that was active before the current one.
 */
export interface ModelRegistry {
  register(name: string, bytes: Uint8Array, metadata: Record<string, string>): Promise<ModelVersion>;
  versions(name: string): Promise<ModelVersion[]>;
  /** The model's bytes, checked against the hash recorded at registration. */
  load(name: string, version: number): Promise<Uint8Array>;
  activate(name: string, version: number, by: string): Promise<ActiveModel>;
  rollback(name: string, by: string): Promise<ActiveModel>;
  active(name: string): Promise<ActiveModel | undefined>;
  /** Calls `onChange` for every model's active version now and at every change; returns a stop function. */
  watchActive(onChange: (active: ActiveModel) => void): Promise<() => void>;
}

export function checkModelName(name: string): void {
  if (!isId(name)) {
    throw new RegistryError(
      "ANALYTICS_MODEL_NAME_INVALID",
      `model name ${JSON.stringify(name)}: expected 1-64 characters of A-Z, a-z, 0-9, '_' or '-'`,
      { name },
    );
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The bytes, if they are what was registered; else ANALYTICS_MODEL_CORRUPT. */
export function verified(v: ModelVersion, bytes: Uint8Array): Uint8Array {
  const actual = sha256Hex(bytes);
  if (actual !== v.sha256) {
    throw new RegistryError(
      "ANALYTICS_MODEL_CORRUPT",
      `model ${v.name} version ${v.version}: sha256 ${actual}, registered as ${v.sha256}`,
      { name: v.name, version: v.version },
    );
  }
  return bytes;
}

/** The next active record: `version` served now, the current one pushed onto the history. */
export function nextActive(
  current: ActiveModel | undefined,
  name: string,
  version: number,
  by: string,
  now: number,
): ActiveModel {
  const history = current === undefined ? [] : [...current.history, current.version].slice(-20);
  return { name, version, history, activatedAt: now, by };
}

/** The record after a rollback: the last version of the history, or ANALYTICS_NO_PREVIOUS_VERSION. */
export function rolledBack(current: ActiveModel | undefined, name: string, by: string, now: number): ActiveModel {
  const previous = current?.history[current.history.length - 1];
  if (current === undefined || previous === undefined) {
    throw new RegistryError("ANALYTICS_NO_PREVIOUS_VERSION", `model ${name} has no earlier active version`, { name });
  }
  return { name, version: previous, history: current.history.slice(0, -1), activatedAt: now, by };
}
