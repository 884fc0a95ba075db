import { format } from "node:util";
import type { Logger } from "@lifeline/contracts";
import { setDebugLogger, setErrorLogger, setWarningLogger } from "node-opcua-debug";

/**
 * node-opcua prints its warnings with console.log, i.e. on stdout, where they would corrupt the
 * JSON lines of `lifeline probe` and mix with a program's output. This module is imported before
 * node-opcua (first import of the edge-agent entry point) so that even the warnings it prints while
 * loading go to stderr; `routeOpcuaLogs` then hands them to the agent's logger.
 */
const toStderr = (...parts: unknown[]) => process.stderr.write(`${format(...parts)}\n`);
setWarningLogger(toStderr);
setErrorLogger(toStderr);
setDebugLogger(() => undefined);

/** Sends node-opcua's warnings and errors to `log` (process-wide: node-opcua's logging is global). */
export function routeOpcuaLogs(log: Logger): void {
  const text = (parts: unknown[]) =>
    format(...parts)
      .replace(/\s+/g, " ")
      .trim();
  setWarningLogger((...parts: unknown[]) => log.warn(`node-opcua: ${text(parts)}`));
  setErrorLogger((...parts: unknown[]) => log.error(`node-opcua: ${text(parts)}`));
}
