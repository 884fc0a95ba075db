import { AGENT_USAGE, agentCommand } from "./agent-command.ts";
import { ANALYTICS_USAGE, analyticsCommand } from "./analytics-command.ts";
import { GATEWAY_USAGE, gatewayCommand } from "./gateway-command.ts";
import { PKI_USAGE, pkiCommand } from "./pki-command.ts";
import { PROBE_USAGE, probeCommand } from "./probe-command.ts";
import { PROCESSOR_USAGE, processorCommand } from "./processor-command.ts";
import { PROFILE_USAGE, profileCommand } from "./profile-command.ts";
import { UP_USAGE, upCommand } from "./up-command.ts";

const USAGE = `lifeline <command>

Commands:
  up         run the single-node stack (add --demo for a simulated site)
  gateway    run the MQTT gateway alone (multi-process deployments)
  processor  run the stream processor (and optionally the API) alone
  profile    validate, diff, sign, flash, roll back gateway profiles; show a gateway's status
  agent      run a gateway's edge agent, configured by flashed profiles
  probe      talk to one device and print what it says (commissioning)
  pki        list and approve OPC UA server certificates
  analytics  train, evaluate and score models; register, activate and roll back served versions
  help       show this text

${UP_USAGE}

${GATEWAY_USAGE}

${PROCESSOR_USAGE}

${PROFILE_USAGE}

${AGENT_USAGE}

${PROBE_USAGE}

${PKI_USAGE}

${ANALYTICS_USAGE}`;

/** The `lifeline` command: a thin dispatcher; the work lives in the packages. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (error) {
    // node:util parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes.
    if (String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`lifeline: ${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "up":
      return upCommand(rest);
    case "gateway":
      return gatewayCommand(rest);
    case "processor":
      return processorCommand(rest);
    case "analytics":
      return analyticsCommand(rest);
    case "probe":
      return probeCommand(rest);
    case "profile":
      return profileCommand(rest);
    case "agent":
      return agentCommand(rest);
    case "pki":
      return pkiCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`lifeline: unknown command '${command}'\n\n${USAGE}\n`);
      return 2;
  }
}
