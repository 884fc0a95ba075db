import { randomBytes } from "node:crypto";
import { type Envelope, type Logger, type Reading, silentLogger } from "@lifeline/contracts";
import type { Adapter, Clock, ReadingSink } from "./adapter.ts";
import { AdapterError } from "./adapter-error.ts";
import { routeOpcuaLogs } from "./adapters/opcua/opcua-logs.ts";
import { adapterContext, createAdapter } from "./adapters/registry.ts";
import { type AgentConfig, type AgentConfigInput, agentConfigSchema } from "./agent-config.ts";
import { MqttUplink, type UplinkStats } from "./mqtt-uplink.ts";

export interface EdgeAgentOptions {
  /** Source of reading timestamps (tests pass a stub); polling itself runs on real timers. */
  clock?: Clock;
  /** A fresh id per process start; tests pass a fixed one. */
  bootId?: string;
  log?: Logger;
  env?: Record<string, string | undefined>;
}

export interface EdgeAgentStats {
  polls: number;
  readings: number;
  envelopes: number;
  errors: Record<string, number>;
  uplink: UplinkStats;
}

export interface EdgeAgent {
  readonly bootId: string;
  stats(): EdgeAgentStats;
  /** The most recent error of each device, for status pages and commissioning. */
  lastErrors(): ReadonlyMap<string, AdapterError>;
  stop(): Promise<void>;
}

/**
 * Runs the adapters of one gateway and publishes what they read, one envelope per device per
 * poll, each with (gateway, bootId, seq) so that every hop can recognise a replay.
 */
export function startEdgeAgent(input: AgentConfigInput, options: EdgeAgentOptions = {}): EdgeAgent {
  const config: AgentConfig = agentConfigSchema.parse(input);
  const clock = options.clock ?? Date.now;
  const log = options.log ?? silentLogger;
  const env = options.env ?? process.env;
  const bootId = options.bootId ?? randomBytes(8).toString("hex");
  const stats = { polls: 0, readings: 0, envelopes: 0, errors: {} as Record<string, number> };
  const lastErrors = new Map<string, AdapterError>();
  const mqttConfig = config.uplink.mqtt;
  const uplink = new MqttUplink({
    url: mqttConfig.url,
    clientId: mqttConfig.clientId ?? `lifeline-agent-${config.site}-${config.gateway}`,
    username: mqttConfig.username,
    password: mqttConfig.passwordEnv === undefined ? undefined : env[mqttConfig.passwordEnv],
    maxInflight: mqttConfig.maxInflight,
    log,
  });
  let seq = 0;

  const sink: ReadingSink = {
    readings(device: string, readings: Reading[]) {
      const envelope: Envelope = {
        v: 1,
        site: config.site,
        gateway: config.gateway,
        device,
        bootId,
        seq,
        readings,
      };
      if (!uplink.publish(envelope)) return; // refused: counted by the uplink, seq not used
      seq++;
      stats.readings += readings.length;
      stats.envelopes++;
    },
    error(error: AdapterError) {
      stats.errors[error.code] = (stats.errors[error.code] ?? 0) + 1;
      if (lastErrors.get(error.device)?.message !== error.message) {
        log.warn(error.message, { code: error.code, device: error.device, point: error.point });
      }
      lastErrors.set(error.device, error);
    },
  };

  if (config.devices.some((d) => d.type === "opcua")) routeOpcuaLogs(log);
  const context = adapterContext(clock, log);
  const adapters: Adapter[] = config.devices.map((d) => createAdapter(d, context));
  const running = new Set<Promise<void>>();
  const stopping = new AbortController();
  for (const adapter of adapters) {
    if (adapter.kind === "polled") {
      running.add(
        pollLoop(
          adapter.intervalMs,
          async () => {
            stats.polls++;
            await adapter.gather(sink);
          },
          stopping.signal,
        ),
      );
    } else {
      running.add(
        adapter.start(sink).catch((cause: unknown) => {
          sink.error(
            cause instanceof AdapterError
              ? cause
              : new AdapterError(
                  "EDGE_ADAPTER_START_FAILED",
                  `could not start: ${(cause as Error)?.message}`,
                  { device: adapter.id },
                  cause,
                ),
          );
        }),
      );
    }
  }
  log.info("edge agent started", { site: config.site, gateway: config.gateway, bootId, devices: adapters.length });

  return {
    bootId,
    stats: () => ({ ...stats, errors: { ...stats.errors }, uplink: uplink.stats() }),
    lastErrors: () => lastErrors,
    async stop() {
      stopping.abort();
      await Promise.allSettled([...running]);
      await Promise.allSettled(adapters.map((a) => a.close()));
      await uplink.close();
    },
  };
}

/** Calls `poll` every `intervalMs`, measured from start to start, never two at once. */
async function pollLoop(intervalMs: number, poll: () => Promise<void>, signal: AbortSignal) {
  while (!signal.aborted) {
    const started = performance.now();
    await poll();
    const wait = Math.max(0, intervalMs - (performance.now() - started));
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, wait);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
