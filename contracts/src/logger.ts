/** Structured logging is injected, never imported: libraries do not choose where logs go. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
};
