import { join } from "node:path";
import { parseArgs } from "node:util";
import { acceptSignedProfile, ProfileReceiver } from "@lifeline/edge-agent";
import { consoleLogger } from "./console-logger.ts";
import { loadTrustedKeys } from "./profile-command.ts";
import { untilSignal } from "./until-signal.ts";
import { AGENT_USAGE } from "./usage.ts";

export async function agentCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      gateway: { type: "string" },
      mqtt: { type: "string" },
      trust: { type: "string" },
      data: { type: "string" },
      "auto-rollback": { type: "string", default: "120" },
    },
  });
  if (!values.gateway || !values.mqtt || !values.trust) {
    process.stderr.write(`lifeline agent: --gateway, --mqtt and --trust are required\n\n${AGENT_USAGE}\n`);
    return 2;
  }
  const trusted = loadTrustedKeys(values.trust);
  const log = consoleLogger("agent");
  log.info("waiting for a profile", { gateway: values.gateway, trustedKeys: [...trusted.keys()] });
  const receiver = new ProfileReceiver({
    gateway: values.gateway,
    mqttUrl: values.mqtt,
    accept: acceptSignedProfile(values.gateway, trusted),
    autoRollbackAfterMs: Number(values["auto-rollback"]) * 1_000,
    agentOptions: {
      dataDir: values.data ?? join(".lifeline", `agent-${values.gateway}`),
      log: consoleLogger("edge-agent"),
    },
    log,
  });
  await receiver.start();
  await untilSignal();
  await receiver.stop();
  return 0;
}
