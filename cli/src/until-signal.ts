/** Resolves on the first SIGINT or SIGTERM (Ctrl-C, or a supervisor stopping the process). */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
