import { randomBytes } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { type DeviceConfig, type Envelope, type Logger, type Reading, silentLogger } from "@lifeline/contracts";
import type { Clock, ReadingSink } from "./adapter.ts";
import type { AdapterError } from "./adapter-error.ts";
import { routeOpcuaLogs } from "./adapters/opcua/opcua-logs.ts";
import { type AdapterContext, adapterContext, createAdapter } from "./adapters/registry.ts";
import { type AgentConfig, type AgentConfigInput, agentConfigSchema } from "./agent-config.ts";
import { EdgeRules } from "./edge-rules.ts";
import { MqttUplink, type UplinkStats } from "./mqtt-uplink.ts";
import { type PointHealth, PointHealthTracker } from "./point-health.ts";
import { RunningAdapter } from "./running-adapter.ts";

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
  /** Readings the edge rules held back (deadband, min-interval). */
  filtered: number;
  errors: Record<string, number>;
  uplink: UplinkStats;
}

/** What a configuration change did, adapter by adapter (by adapter id). */
export interface ApplyResult {
  started: string[];
  stopped: string[];
  restarted: string[];
  unchanged: string[];
  uplinkChanged: boolean;
}

export interface EdgeAgent {
  readonly bootId: string;
  config(): AgentConfig;
  stats(): EdgeAgentStats;
  /** The most recent error of each device, for status pages and commissioning. */
  lastErrors(): ReadonlyMap<string, AdapterError>;
  /** Last value, last success and last error of every point. */
  health(): PointHealth[];
  /**
   * Switches to a new configuration: removed adapters stop, new ones start, changed ones restart,
   * unchanged ones keep running untouched. The envelope sequence goes on across the switch, so
   * nothing is sent twice and no number is skipped. Throws (changing nothing) if `input` is invalid.
   */
  apply(input: AgentConfigInput): Promise<ApplyResult>;
  stop(): Promise<void>;
}

/**
 * Runs the adapters of one gateway and publishes what they read, one envelope per device per
 * poll, each with (gateway, bootId, seq) so that every hop can recognise a replay.
 */
export function startEdgeAgent(input: AgentConfigInput, options: EdgeAgentOptions = {}): EdgeAgent {
  let config: AgentConfig = agentConfigSchema.parse(input);
  const clock = options.clock ?? Date.now;
  const log = options.log ?? silentLogger;
  const env = options.env ?? process.env;
  const bootId = options.bootId ?? randomBytes(8).toString("hex");
  const stats = { polls: 0, readings: 0, envelopes: 0, errors: {} as Record<string, number> };
  const lastErrors = new Map<string, AdapterError>();
  const health = new PointHealthTracker();
  let uplink = openUplink(config, env, log);
  let rules = new EdgeRules(config.rules);
  let filteredBefore = 0; // held back by rules since replaced
  let seq = 0;

  const sink: ReadingSink = {
    readings(device: string, raw: Reading[]) {
      const readings = rules.apply(device, raw);
      if (readings.length === 0) return;
      const envelope: Envelope = { v: 1, site: config.site, gateway: config.gateway, device, bootId, seq, readings };
      if (!uplink.publish(envelope)) return; // refused: counted by the uplink, seq not used
      seq++;
      stats.readings += readings.length;
      stats.envelopes++;
      health.readings(device, readings);
    },
    error(error: AdapterError) {
      stats.errors[error.code] = (stats.errors[error.code] ?? 0) + 1;
      if (lastErrors.get(error.device)?.message !== error.message) {
        log.warn(error.message, { code: error.code, device: error.device, point: error.point });
      }
      lastErrors.set(error.device, error);
      health.error(error);
    },
  };

  const context: AdapterContext = adapterContext(clock, log);
  const running = new Map<string, { device: DeviceConfig; run: RunningAdapter }>();
  const startDevice = (device: DeviceConfig) => {
    if (device.type === "opcua") routeOpcuaLogs(log);
    const run = new RunningAdapter(createAdapter(device, context));
    run.start(sink, () => stats.polls++);
    running.set(device.id, { device, run });
  };
  for (const device of config.devices) startDevice(device);
  log.info("edge agent started", { site: config.site, gateway: config.gateway, bootId, devices: running.size });

  // One change at a time: a second apply waits for the first.
  let applying: Promise<unknown> = Promise.resolve();

  return {
    bootId,
    config: () => config,
    stats: () => ({
      ...stats,
      filtered: filteredBefore + rules.dropped,
      errors: { ...stats.errors },
      uplink: uplink.stats(),
    }),
    lastErrors: () => lastErrors,
    health: () => health.snapshot(),
    apply(next: AgentConfigInput): Promise<ApplyResult> {
      const parsed = agentConfigSchema.parse(next);
      const result = applying.then(async (): Promise<ApplyResult> => {
        const wanted = new Map(parsed.devices.map((d) => [d.id, d]));
        const outcome: ApplyResult = { started: [], stopped: [], restarted: [], unchanged: [], uplinkChanged: false };
        const changed = new Set<string>();
        for (const [id, current] of running) {
          const next = wanted.get(id);
          if (next !== undefined && isDeepStrictEqual(next, current.device)) continue;
          await current.run.stop();
          running.delete(id);
          if (next !== undefined) changed.add(id);
          else {
            outcome.stopped.push(id);
            health.forget(id);
            lastErrors.delete(id);
          }
        }
        if (
          !isDeepStrictEqual(parsed.uplink, config.uplink) ||
          parsed.site !== config.site ||
          parsed.gateway !== config.gateway
        ) {
          // The old session first delivers what it holds (same client id: two sessions would take each other over).
          await uplink.close();
          uplink = openUplink(parsed, env, log);
          outcome.uplinkChanged = true;
        }
        if (!isDeepStrictEqual(parsed.rules, config.rules)) {
          filteredBefore += rules.dropped;
          rules = new EdgeRules(parsed.rules);
        }
        config = parsed;
        for (const device of parsed.devices) {
          if (running.has(device.id)) {
            outcome.unchanged.push(device.id);
            continue;
          }
          startDevice(device);
          (changed.has(device.id) ? outcome.restarted : outcome.started).push(device.id);
        }
        return outcome;
      });
      applying = result.catch(() => undefined);
      return result;
    },
    async stop() {
      await applying;
      await Promise.allSettled([...running.values()].map((r) => r.run.stop()));
      running.clear();
      await uplink.close();
    },
  };
}

function openUplink(config: AgentConfig, env: Record<string, string | undefined>, log: Logger): MqttUplink {
  const mqttConfig = config.uplink.mqtt;
  return new MqttUplink({
    url: mqttConfig.url,
    clientId: mqttConfig.clientId ?? `lifeline-agent-${config.site}-${config.gateway}`,
    username: mqttConfig.username,
    password: mqttConfig.passwordEnv === undefined ? undefined : env[mqttConfig.passwordEnv],
    maxInflight: mqttConfig.maxInflight,
    log,
  });
}
