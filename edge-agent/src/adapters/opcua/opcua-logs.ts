import { format } from "node:util";
import type { Logger } from "@lifeline/contracts";
import { setDebugLogger, setErrorLogger, setWarningLogger } from "node-opcua-debug";

/**
 * node-opcua prints its warnings with console.log, i.e. on stdout, where they would corrupt the
 * JSON lines of `lifeline probe` and mix with a program's output. This module is imported before
 * node-opcua (first import of the edge-agent entry point) so that even the warnings it prints while
 * loading go to stderr; `routeOpcuaLogs` then hands them to the agent's logger.
 */
/** node-opcua passes its caller ({ filename, callerline }) first; the text is what follows. */
const text = (parts: unknown[]) =>
  format(...parts.filter((p, i) => !(i === 0 && typeof p === "object" && p !== null && "filename" in p)));
/**
 * W27 says Node 20 disabled RSA PKCS#1 v1.5 decryption (CVE-2023-46809); only the deprecated
 * Basic128Rsa15 policy needs it, which Lifeline does not offer, so it would be noise at every start.
 * node-opcua-preload.ts keeps the check that warns from running; this is for a version it misses.
 */
const noise = (line: string) => /NODE-OPCUA-W27|security-revert=CVE-2023-46809/.test(line);
const toStderr = (...parts: unknown[]) => {
  const line = text(parts);
  if (!noise(line)) process.stderr.write(`${line}\n`);
};
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
