import { join } from "node:path";
import { parseArgs } from "node:util";
import { acceptSignedProfile, ProfileReceiver } from "@lifeline/edge-agent";
import { consoleLogger } from "./console-logger.ts";
import { loadTrustedKeys } from "./profile-command.ts";
import { untilSignal } from "./until-signal.ts";

export const AGENT_USAGE = `lifeline agent --gateway ID --mqtt URL --trust DIR [--data DIR] [--auto-rollback 120]

  Runs a gateway's edge agent, configured by the profiles flashed to it: each is checked against
  the public keys in DIR (*.pub), applied, and answered on the gateway's status; a new profile
  whose uplink acknowledges nothing for --auto-rollback seconds is rolled back. Readings wait in
  a journal under --data (default ./.lifeline/agent-ID) until the uplink acknowledged them, also
  across restarts. Ctrl-C stops.`;

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
