import type { JetStreamSync } from "@lifeline/gateway";

/**
 * `--jetstream-sync`: `always`, `server` (nats-server's own default, every 2 minutes), or a whole
 * number of milliseconds. Shared by `lifeline up` and the ingest benchmark, which runs it the same way.
 */
export function parseJetStreamSync(value: string): JetStreamSync | "server" {
  if (value === "always" || value === "server") return value;
  if (/^\d+$/.test(value) && Number(value) > 0) return Number(value);
  throw Object.assign(
    new Error(`--jetstream-sync: expected always, server or a number of milliseconds, got '${value}'`),
    { code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" },
  );
}
