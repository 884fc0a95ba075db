import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { LifelineError } from "@lifeline/contracts";
import { consoleLogger } from "./console-logger.ts";
import { isPortFree } from "./free-port.ts";
import { parseJetStreamSync } from "./jetstream-sync-option.ts";
import { startStack } from "./stack.ts";
import { STORE_OPTIONS } from "./store-options.ts";
import { UP_USAGE } from "./usage.ts";

const DEFAULT_PORTS = { "api-port": 8080, "mqtt-port": 1883, "nats-port": 4222 } as const;

/**
 * A port the user named is used as given (and fails loudly if taken). A default port that is
 * taken — Debian's nats-server and mosquitto packages start system services on 4222 and 1883 —
 * is replaced by a free one, with a warning, so that `npm start` works on a fresh machine.
 */
async function port(
  value: string | undefined,
  name: keyof typeof DEFAULT_PORTS,
  host: string,
  log: ReturnType<typeof consoleLogger>,
): Promise<number> {
  if (value === undefined) {
    const preferred = DEFAULT_PORTS[name];
    if (await isPortFree(preferred, host)) return preferred;
    log.warn(`port ${preferred} is in use (a system service?); using a free port instead, or set --${name}`);
    return 0;
  }
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) {
    throw Object.assign(new Error(`--${name}: expected a port number from 0 to 65535, got '${value}'`), {
      code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
    });
  }
  return n;
}

export async function upCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      demo: { type: "boolean", default: false },
      data: { type: "string", default: ".lifeline" },
      host: { type: "string", default: "127.0.0.1" },
      "api-port": { type: "string" },
      "mqtt-port": { type: "string" },
      "nats-port": { type: "string" },
      "jetstream-sync": { type: "string", default: "always" },
      help: { type: "boolean", default: false },
      ...STORE_OPTIONS,
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${UP_USAGE}\n`);
    return 0;
  }
  const log = consoleLogger("lifeline");
  const host = values.host;
  const apiPort = await port(values["api-port"], "api-port", host, log);
  const mqttPort = await port(values["mqtt-port"], "mqtt-port", host, log);
  const natsPort = await port(values["nats-port"], "nats-port", host, log);
  const jetstreamSync = parseJetStreamSync(values["jetstream-sync"]);
  let stack: Awaited<ReturnType<typeof startStack>>;
  try {
    stack = await startStack({
      dataDir: resolve(values.data),
      host,
      apiPort,
      mqttPort,
      natsPort,
      jetstreamSync,
      demo: values.demo,
      store: values,
      logger: consoleLogger,
    });
  } catch (error) {
    const code = error instanceof LifelineError ? ` [${error.code}]` : "";
    log.error(`could not start${code}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  process.stdout.write(
    [
      "",
      `Lifeline is running.`,
      `  API    ${stack.apiUrl}   (try ${stack.apiUrl}/v1/status)`,
      `  MQTT   ${stack.mqttUrl}`,
      `  NATS   ${stack.natsUrl}`,
      ...(stack.demo
        ? [
            `  Demo   site ${stack.demo.site}, gateway ${stack.demo.gateway}, devices ${stack.demo.deviceIds.join(", ")}`,
            `         curl '${stack.apiUrl}/v1/series?device=dust-01&metric=pm10'`,
            `         curl '${stack.apiUrl}/v1/series?device=dust-01&metric=pm10&step=10s&agg=max'`,
          ]
        : []),
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolveSignal) => {
    process.once("SIGINT", () => resolveSignal());
    process.once("SIGTERM", () => resolveSignal());
  });
  log.info("stopping: draining the site, gateway and stream processor");
  await stack.stop();
  log.info("stopped");
  return 0;
}
