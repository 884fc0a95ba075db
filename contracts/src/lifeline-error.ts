/**
 * The one error shape every Lifeline package throws: a stable machine-readable `code`
 * (e.g. `CONTRACT_INVALID_ENVELOPE`), a message that names what and where, and the `cause`.
 * Packages subclass it so that `instanceof` and `name` tell the failure apart.
 */
export class LifelineError extends Error {
  readonly code: string;
  /** Structured detail for logs, quarantine rows and API bodies. */
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: { cause?: unknown; detail?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.detail = options.detail ?? {};
  }

  toJSON(): { code: string; message: string; detail: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, detail: this.detail };
  }
}
