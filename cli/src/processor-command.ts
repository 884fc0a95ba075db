import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { NatsModelRegistry } from "@lifeline/analytics";
import { buildApi, startAlerting } from "@lifeline/cloud-api";
import { startStreamProcessor } from "@lifeline/stream-processor";
import { connectNats, drainNats } from "./connect-nats.ts";
import { consoleLogger } from "./console-logger.ts";
import { openStore, STORE_OPTIONS } from "./store-options.ts";
import { untilSignal } from "./until-signal.ts";
import { PROCESSOR_USAGE } from "./usage.ts";

export async function processorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nats: { type: "string" },
      data: { type: "string", default: ".lifeline/clickhouse" },
      "api-port": { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      batch: { type: "string", default: "5000" },
      linger: { type: "string", default: "250" },
      alerts: { type: "string", default: "all" },
      ...STORE_OPTIONS,
    },
    strict: true,
  });
  if (values.nats === undefined) {
    process.stderr.write(`lifeline processor: --nats is required\n\n${PROCESSOR_USAGE}\n`);
    return 2;
  }
  if (!["all", "rules", "off"].includes(values.alerts)) {
    process.stderr.write(`lifeline processor: --alerts expects all, rules or off, found ${values.alerts}\n`);
    return 2;
  }
  const log = consoleLogger("stream-processor");
  const nats = await connectNats(values.nats.split(","), "lifeline-stream-processor");
  const store = await openStore(values, resolve(values.data));
  const processor = await startStreamProcessor({
    nats,
    store,
    batchSize: Number(values.batch),
    lingerMs: Number(values.linger),
    pendingDir: join(dirname(resolve(values.data)), "pending-inserts"),
    alertRules:
      values.alerts === "off" ? undefined : { stateFile: join(dirname(resolve(values.data)), "alert-rules.json") },
    models: values.alerts === "off" ? undefined : await NatsModelRegistry.open(nats),
    log,
  });
  const alerting =
    values.alerts === "all"
      ? await startAlerting({
          nats,
          driver: store.driver,
          rules: processor.alertRules?.source(),
          log: consoleLogger("alerts"),
        })
      : undefined;
  const api =
    values["api-port"] === undefined
      ? undefined
      : await buildApi({
          store,
          log: consoleLogger("cloud-api"),
          alerting,
          status: () => ({
            streamProcessor: processor.stats(),
            ...(alerting === undefined
              ? {}
              : { alerts: alerting.service.stats(), webhooks: alerting.dispatcher.allStats() }),
          }),
        });
  await api?.listen({ port: Number(values["api-port"]), host: values.host });
  process.stdout.write("ready\n");
  await untilSignal();
  await alerting?.stop();
  await processor.stop();
  await api?.close();
  await drainNats(nats);
  await store.close();
  return 0;
}
