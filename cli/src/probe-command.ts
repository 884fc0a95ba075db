import { parseArgs } from "node:util";
import { browseOpcua, probeHj212, probeModbus, probeSl651 } from "@lifeline/edge-agent";
import { PROBE_USAGE } from "./usage.ts";

function int(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw Object.assign(new Error(`--${name}: expected a whole number from ${min} to ${max}, got '${value}'`), {
      code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
    });
  }
  return n;
}

async function probeOnvifCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      user: { type: "string", default: "admin" },
      "password-env": { type: "string" },
      address: { type: "string" },
      port: { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const passwordEnv = values["password-env"];
  const password = passwordEnv === undefined ? "" : process.env[passwordEnv];
  if (password === undefined) {
    process.stderr.write(`lifeline probe onvif: environment variable ${passwordEnv} is not set\n`);
    return 2;
  }
  const { formatProbe, probeOnvif } = await import("@lifeline/video");
  const rows = await probeOnvif({
    username: values.user,
    password,
    timeoutMs: int(values.timeout, "timeout", 3_000, 100, 60_000),
    ...(values.address === undefined ? {} : { address: values.address }),
    ...(values.port === undefined ? {} : { port: int(values.port, "port", 3702, 1, 65_535) }),
  });
  process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatProbe(rows));
  return rows.length === 0 || rows.some((r) => r.error !== undefined) ? 1 : 0;
}

async function probeModbusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      unit: { type: "string" },
      addr: { type: "string" },
      count: { type: "string" },
      input: { type: "boolean", default: false },
      "rtu-over-tcp": { type: "boolean", default: false },
      serial: { type: "string" },
      baud: { type: "string" },
      parity: { type: "string", default: "none" },
      timeout: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const host = positionals[0];
  if ((host === undefined) === (values.serial === undefined) || values.addr === undefined) {
    process.stderr.write(`lifeline probe modbus: give HOST or --serial, and --addr\n\n${PROBE_USAGE}\n`);
    return 2;
  }
  const parity = values.parity as "none" | "even" | "odd";
  if (!["none", "even", "odd"].includes(parity)) {
    process.stderr.write(`lifeline probe modbus: --parity: expected none, even or odd\n`);
    return 2;
  }
  return probeModbus({
    connection: {
      transport: values.serial !== undefined ? "rtu" : values["rtu-over-tcp"] ? "rtu-over-tcp" : "tcp",
      host,
      path: values.serial,
      port: int(values.port, "port", 502, 1, 65_535),
      baudRate: int(values.baud, "baud", 9_600, 300, 921_600),
      parity,
      dataBits: 8,
      stopBits: 1,
    },
    unitId: int(values.unit, "unit", 1, 0, 255),
    timeoutMs: int(values.timeout, "timeout", 2_000, 10, 60_000),
    table: values.input ? "input" : "holding",
    address: int(values.addr, "addr", 0, 0, 65_535),
    count: int(values.count, "count", 2, 1, 125),
    json: values.json,
    out: process.stdout,
  });
}

/** Runs a listening probe until SIGINT/SIGTERM. */
async function untilSignal(run: (signal: AbortSignal) => Promise<void>): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await run(controller.signal);
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    process.stderr.write(`${code ? `[${code}] ` : ""}${(error as Error).message}\n`);
    return 1;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

function listenOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: "string" },
      host: { type: "string", default: "0.0.0.0" },
      timezone: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  if (values.listen === undefined) {
    throw Object.assign(new Error("--listen PORT is required"), { code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" });
  }
  return { ...values, port: int(values.listen, "listen", 0, 0, 65_535) };
}

async function probeOpcuaCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      pki: { type: "string", default: ".lifeline/pki" },
      mode: { type: "string" },
      policy: { type: "string" },
      user: { type: "string" },
      "password-env": { type: "string" },
      depth: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const endpointUrl = positionals[0];
  if (endpointUrl === undefined) {
    process.stderr.write(`lifeline probe opcua: give the server URL, e.g. opc.tcp://10.0.0.5:4840\n\n${PROBE_USAGE}\n`);
    return 2;
  }
  try {
    await browseOpcua({
      endpointUrl,
      pkiDir: values.pki,
      ...(values.mode ? { securityMode: values.mode as "None" } : {}),
      ...(values.policy ? { securityPolicy: values.policy as "None" } : {}),
      ...(values.user
        ? {
            auth: {
              type: "username" as const,
              username: values.user,
              passwordEnv: values["password-env"] ?? "OPCUA_PASSWORD",
            },
          }
        : {}),
      maxDepth: int(values.depth, "depth", 6, 1, 32),
      out: process.stdout,
      json: values.json,
    });
    return 0;
  } catch (error) {
    const e = error as { code?: string; message: string; issues?: unknown };
    const text = e.code ? `[${e.code}] ${e.message}` : e.message;
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ ok: false, error: { code: e.code ?? "CLI_BAD_OPTION", message: e.message } })}\n`
        : "",
    );
    process.stderr.write(`${text}\n`);
    return 1;
  }
}

/** `lifeline probe <protocol> …`: commissioning tools that talk to one device and print what they see. */
export async function probeCommand(argv: string[]): Promise<number> {
  const [protocol, ...rest] = argv;
  switch (protocol) {
    case "modbus":
      return probeModbusCommand(rest);
    case "opcua":
      return probeOpcuaCommand(rest);
    case "hj212": {
      const o = listenOptions(rest);
      return untilSignal((signal) =>
        probeHj212({
          port: o.port,
          host: o.host,
          json: o.json,
          out: process.stdout,
          signal,
          ...(o.timezone ? { timezone: o.timezone } : {}),
          onListening: (a) => process.stderr.write(`listening for HJ 212 data loggers on ${a.host}:${a.port}\n`),
        }),
      );
    }
    case "sl651": {
      const o = listenOptions(rest);
      return untilSignal((signal) =>
        probeSl651({
          port: o.port,
          host: o.host,
          json: o.json,
          out: process.stdout,
          signal,
          ...(o.timezone ? { timezone: o.timezone } : {}),
          onListening: (a) => process.stderr.write(`listening for SL 651 RTUs on ${a.address}:${a.port}\n`),
        }),
      );
    }
    case "onvif":
      return probeOnvifCommand(rest);
    default:
      process.stderr.write(`lifeline probe: unknown protocol '${protocol ?? ""}'\n\n${PROBE_USAGE}\n`);
      return 2;
  }
}
