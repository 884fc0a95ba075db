// First: before any command loads node-opcua (see edge-agent node-opcua-preload.ts).
import "@lifeline/edge-agent/node-opcua-preload";
import {
  AGENT_USAGE,
  ANALYTICS_USAGE,
  GATEWAY_USAGE,
  PKI_USAGE,
  PROBE_USAGE,
  PROCESSOR_USAGE,
  PROFILE_USAGE,
  UP_USAGE,
} from "./usage.ts";

/** The whole usage text: every command's, from a module that imports none of them (see usage.ts). */
function usage(): string {
  return `lifeline <command>

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
}

/** The `lifeline` command: a thin dispatcher; the work lives in the packages. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (error) {
    // node:util parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes.
    if (String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`lifeline: ${(error as Error).message}\n\n${usage()}\n`);
      return 2;
    }
    throw error;
  }
}

/** Each command's usage, for `lifeline <command> --help` (answered without loading the command). */
const COMMAND_USAGE: Readonly<Record<string, string>> = {
  up: UP_USAGE,
  gateway: GATEWAY_USAGE,
  processor: PROCESSOR_USAGE,
  analytics: ANALYTICS_USAGE,
  probe: PROBE_USAGE,
  profile: PROFILE_USAGE,
  agent: AGENT_USAGE,
  pki: PKI_USAGE,
};

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const own = command === undefined ? undefined : COMMAND_USAGE[command];
  if (own !== undefined && rest.some((a) => a === "--help" || a === "-h")) {
    process.stdout.write(`${own}\n`);
    return 0;
  }
  switch (command) {
    case "up":
      return (await import("./up-command.ts")).upCommand(rest);
    case "gateway":
      return (await import("./gateway-command.ts")).gatewayCommand(rest);
    case "processor":
      return (await import("./processor-command.ts")).processorCommand(rest);
    case "analytics":
      return (await import("./analytics-command.ts")).analyticsCommand(rest);
    case "probe":
      return (await import("./probe-command.ts")).probeCommand(rest);
    case "profile":
      return (await import("./profile-command.ts")).profileCommand(rest);
    case "agent":
      return (await import("./agent-command.ts")).agentCommand(rest);
    case "pki":
      return (await import("./pki-command.ts")).pkiCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${usage()}\n`);
      return 0;
    default:
      process.stderr.write(`lifeline: unknown command '${command}'\n\n${usage()}\n`);
      return 2;
  }
}
