import { parseArgs } from "node:util";
import { DEFAULT_STREAM_LIMITS, ensureStreams, startGateway } from "@lifeline/gateway";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats, drainNats } from "./connect-nats.ts";
import { consoleLogger } from "./console-logger.ts";
import { untilSignal } from "./until-signal.ts";
import { GATEWAY_USAGE } from "./usage.ts";

export async function gatewayCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nats: { type: "string" },
      "mqtt-port": { type: "string", default: "1883" },
      host: { type: "string", default: "127.0.0.1" },
      replicas: { type: "string", default: "1" },
    },
    strict: true,
  });
  if (values.nats === undefined) {
    process.stderr.write(`lifeline gateway: --nats is required\n\n${GATEWAY_USAGE}\n`);
    return 2;
  }
  const log = consoleLogger("gateway");
  const nats = await connectNats(values.nats.split(","), "lifeline-gateway");
  await ensureStreams(await jetstreamManager(nats), { ...DEFAULT_STREAM_LIMITS, replicas: Number(values.replicas) });
  const gateway = await startGateway({ nats, port: Number(values["mqtt-port"]), host: values.host, log });
  process.stdout.write(`ready mqtt=${gateway.port}\n`);
  await untilSignal();
  await gateway.close();
  await drainNats(nats);
  return 0;
}
