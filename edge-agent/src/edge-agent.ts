import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import {
  BinaryEnvelopeError,
  type DeviceConfig,
  type Envelope,
  encodeBinaryEnvelope,
  encodeEnvelope,
  type Logger,
  type Reading,
  silentLogger,
} from "@lifeline/contracts";
import type { VideoRuntime } from "@lifeline/video";
import { connect } from "@nats-io/transport-node";
import type { Clock, ReadingSink } from "./adapter.ts";
import type { AdapterError } from "./adapter-error.ts";
import { routeOpcuaLogs } from "./adapters/opcua/opcua-logs.ts";
import { type AdapterContext, adapterContext, createAdapter } from "./adapters/registry.ts";
import { type AgentConfig, type AgentConfigInput, agentConfigSchema } from "./agent-config.ts";
import { AgentJournals } from "./agent-journals.ts";
import { EdgeRules } from "./edge-rules.ts";
import { Forwarder, type ForwarderStats, type HeldRecord } from "./forwarder.ts";
import { journalLoss } from "./journal-loss.ts";
import { type PointHealth, PointHealthTracker } from "./point-health.ts";
import { RunningAdapter } from "./running-adapter.ts";
import { openUplink } from "./uplink/open-uplink.ts";
import type { Uplink, UplinkStats } from "./uplink/uplink.ts";

/** How long `drain` waits for a lost uplink connection to come back before it gives up. */
const DRAIN_RECONNECT_GRACE_MS = 3_000;

export interface EdgeAgentOptions {
  /** Where the agent keeps its journal; it survives restarts, so use the same folder every time. */
  dataDir: string;
  /** Source of reading timestamps (tests pass a stub); polling itself runs on real timers. */
  clock?: Clock;
  /** A fresh id per process start; tests pass a fixed one. */
  bootId?: string;
  log?: Logger;
  /** Where `env:` secret references are looked up (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** Envelopes sent and not yet acknowledged (default 1000). */
  maxInflight?: number;
  /** How long `stop()` waits for the uplink to take what is still in the journal (default 3 s). */
  stopDrainMs?: number;
  /**
   * NATS server(s) that camera and drone evidence (snapshots, alert conditions) goes to; the
   * uplink's when it is NATS. Without either, evidence waits on disk and the error says why.
   */
  evidenceNatsUrl?: string;
}

export interface EdgeAgentStats {
  polls: number;
  readings: number;
  envelopes: number;
  /** Readings the edge rules held back (deadband, min-interval). */
  filtered: number;
  errors: Record<string, number>;
  uplink: UplinkStats;
  forwarder: ForwarderStats;
  journal: ReturnType<AgentJournals["stats"]>;
}

/** What a configuration change did, adapter by adapter (by adapter id). */
export interface ApplyResult {
  started: string[];
  stopped: string[];
  restarted: string[];
  unchanged: string[];
  uplinkChanged: boolean;
  journalChanged: boolean;
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
   * unchanged ones keep running untouched. The envelope sequence goes on across the switch and the
   * journal keeps what the old uplink had not delivered, so nothing is lost, sent twice or skipped.
   * Throws (changing nothing) if `input` is invalid or its uplink secret cannot be read.
   */
  apply(input: AgentConfigInput): Promise<ApplyResult>;
  /** Resolves when every envelope produced so far was acknowledged by the uplink, or after `timeoutMs`. */
  drain(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Runs the adapters of one gateway. Each poll's readings of a device become one envelope with
 * (gateway, bootId, seq), appended to the journal on disk; the forwarder sends the journal to the
 * uplink and releases an envelope only when the uplink acknowledged it.
 */
export async function startEdgeAgent(input: AgentConfigInput, options: EdgeAgentOptions): Promise<EdgeAgent> {
  let config: AgentConfig = agentConfigSchema.parse(input);
  const clock = options.clock ?? Date.now;
  const log = options.log ?? silentLogger;
  const env = options.env ?? process.env;
  const bootId = options.bootId ?? randomBytes(8).toString("hex");
  const stats = { polls: 0, readings: 0, envelopes: 0, errors: {} as Record<string, number> };
  const lastErrors = new Map<string, AdapterError>();
  const health = new PointHealthTracker();
  let rules = new EdgeRules(config.rules);
  let filteredBefore = 0; // held back by rules since replaced
  let seq = 0;

  const countError = (code: string) => {
    stats.errors[code] = (stats.errors[code] ?? 0) + 1;
  };
  const envelopeOf = (device: string, readings: Reading[]): Envelope => ({
    v: 1,
    site: config.site,
    gateway: config.gateway,
    device,
    bootId,
    seq: seq++,
    readings,
  });
  // A loss is itself reported: counted, logged, and sent on the alert lane under the gateway's id.
  const lose = (lane: string, records: HeldRecord[]) => {
    if (records.length === 0) return;
    const loss = journalLoss(records);
    journals.countLoss(loss);
    log.error(`journal full: the oldest ${lane} envelopes were dropped before the uplink took them`, { ...loss });
    if (lane !== "data") return; // reporting an alert-lane loss on the alert lane would feed the overflow
    const ts = clock();
    const readings: Reading[] = [
      { metric: "agent.journal.lost_envelopes", ts, value: loss.envelopes, unit: "1", quality: "good" },
      { metric: "agent.journal.lost_readings", ts, value: loss.readings, unit: "1", quality: "good" },
    ];
    journals.appendAlert(encodeForUplink(envelopeOf(config.gateway, readings)));
  };
  // Until the forwarder exists nothing is in flight: every dropped record is lost.
  let adoptInflight = (_lane: string, records: HeldRecord[]) => records;
  const journals = await AgentJournals.open(join(options.dataDir, "journal"), config.journal, {
    log,
    onOverflow: (lane, records) => lose(lane, adoptInflight(lane, records)),
    onAppendError: (code) => countError(code),
  });
  const forwarder = new Forwarder({
    lanes: journals.lanes(),
    maxInflight: options.maxInflight ?? 1_000,
    onOrphanLost: lose,
    log,
  });
  adoptInflight = (lane, records) => forwarder.adoptInflight(lane, records);
  journals.onAppended(() => forwarder.wake());
  let uplink: Uplink;
  try {
    uplink = openUplink(config, env, log);
  } catch (error) {
    await journals.close();
    throw error;
  }
  forwarder.attach(uplink);

  const sink: ReadingSink = {
    readings(device: string, raw: Reading[]) {
      const readings = rules.apply(device, raw);
      if (readings.length === 0) return;
      journals.appendData(encodeForUplink(envelopeOf(device, readings)));
      stats.readings += readings.length;
      stats.envelopes++;
      health.readings(device, readings);
    },
    error(error: AdapterError) {
      countError(error.code);
      if (lastErrors.get(error.device)?.message !== error.message) {
        log.warn(error.message, { code: error.code, device: error.device, point: error.point });
      }
      lastErrors.set(error.device, error);
      health.error(error);
    },
  };

  let video: Promise<VideoRuntime> | undefined;
  const context: AdapterContext = adapterContext(clock, log, env, {
    site: config.site,
    runtime: () => {
      video ??= openVideoRuntime(options.dataDir, options.evidenceNatsUrl ?? config.uplink.nats?.url, log).catch(
        (error: unknown) => {
          video = undefined;
          throw error;
        },
      );
      return video;
    },
  });
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

  const switchUplink = async (next: AgentConfig, nextUplink: Uplink) => {
    forwarder.detach();
    // The old session first delivers what it holds (same client id: two sessions would take each other over).
    await uplink.close();
    uplink = nextUplink;
    forwarder.attach(uplink);
    config = next;
  };

  const agent: EdgeAgent = {
    bootId,
    config: () => config,
    stats: () => ({
      ...stats,
      filtered: filteredBefore + rules.dropped,
      errors: { ...stats.errors },
      uplink: uplink.stats(),
      forwarder: forwarder.stats(),
      journal: journals.stats(),
    }),
    lastErrors: () => lastErrors,
    health: () => health.snapshot(),
    apply(next: AgentConfigInput): Promise<ApplyResult> {
      const parsed = agentConfigSchema.parse(next);
      const result = applying.then(async (): Promise<ApplyResult> => {
        const uplinkChanged =
          !isDeepStrictEqual(parsed.uplink, config.uplink) ||
          parsed.site !== config.site ||
          parsed.gateway !== config.gateway;
        // Opened before anything stops, so that an unreadable secret refuses the change as a whole.
        const nextUplink = uplinkChanged ? openUplink(parsed, env, log) : undefined;
        const outcome: ApplyResult = {
          started: [],
          stopped: [],
          restarted: [],
          unchanged: [],
          uplinkChanged,
          journalChanged: !isDeepStrictEqual(parsed.journal, config.journal),
        };
        const wanted = new Map(parsed.devices.map((d) => [d.id, d]));
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
        if (nextUplink !== undefined) await switchUplink(parsed, nextUplink);
        if (outcome.journalChanged) await journals.reconfigure(parsed.journal);
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
    async drain(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let downSince: number | undefined;
      for (;;) {
        await journals.settled();
        if (journals.stats().pending === 0 && forwarder.stats().orphans === 0) return true;
        if (Date.now() > deadline) return false;
        // A gateway that just closed the connection (it could not store a pack) is reconnected
        // within a second; an uplink down for longer is an outage, not worth waiting out.
        if (uplink.isConnected()) downSince = undefined;
        else {
          downSince ??= Date.now();
          if (Date.now() - downSince > DRAIN_RECONNECT_GRACE_MS) return false;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      await applying;
      await Promise.allSettled([...running.values()].map((r) => r.run.stop()));
      running.clear();
      // A graceful stop delivers what it can; the rest waits in the journal for the next start.
      await agent.drain(options.stopDrainMs ?? 3_000);
      await journals.settled();
      forwarder.detach();
      await uplink.close();
      forwarder.stop();
      // Dropped by the journal while in flight, and never acknowledged: lost (the report waits in the alert lane).
      for (const [lane, records] of forwarder.abandonOrphans()) lose(lane, records);
      await journals.close();
      await video?.then((v) => v.close()).catch(() => undefined);
    },
  };
  return agent;
}

/** The cameras' and drones' shared runtime; loaded on first use so that other sites never load onnxruntime. */
async function openVideoRuntime(dataDir: string, natsUrl: string | undefined, log: Logger): Promise<VideoRuntime> {
  const { VideoRuntime } = await import("@lifeline/video");
  return VideoRuntime.open({
    dataDir,
    log,
    connectNats: natsUrl === undefined ? undefined : () => connect({ servers: natsUrl, reconnect: false }),
  });
}

/**
 * Envelopes go binary (contracts' envelope-binary.ts): a quarter of the JSON's bytes on the uplink
 * for 100 readings, and the gateway and the stream processor decode them 4–5× faster. One the binary
 * form cannot hold (a string over 255 bytes: never a valid envelope) goes as JSON, so that it
 * reaches the quarantine with the reason it is invalid instead of failing here.
 */
export function encodeForUplink(envelope: Envelope): Uint8Array {
  try {
    return encodeBinaryEnvelope(envelope);
  } catch (error) {
    if (!(error instanceof BinaryEnvelopeError)) throw error;
    return encodeEnvelope(envelope);
  }
}
