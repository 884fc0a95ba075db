import { join } from "node:path";
import type { Logger } from "@lifeline/contracts";
import { TELEMETRY_STREAM } from "@lifeline/contracts";
import { type NatsCluster, startNatsCluster } from "@lifeline/gateway";
import { jetstreamManager } from "@nats-io/jetstream";
import { ChaosRig } from "./chaos-rig.ts";
import { type Reconciliation, reconcile } from "./reconcile.ts";

/** How long a scenario runs: `full` is the (2-minute loads and outages), `short` runs in CI. */
export interface ChaosScale {
  name: "full" | "short";
  loadMs: number;
  /** kill -9 interval of the stream-processor scenario. */
  killEveryMs: number;
  outageMs: number;
  devices: number;
  points: number;
  pollMs: number;
}

export const FULL: ChaosScale = {
  name: "full",
  loadMs: 120_000,
  killEveryMs: 10_000,
  outageMs: 120_000,
  devices: 20,
  points: 10,
  pollMs: 100,
};
export const SHORT: ChaosScale = {
  name: "short",
  loadMs: 12_000,
  killEveryMs: 3_000,
  outageMs: 6_000,
  devices: 10,
  points: 10,
  pollMs: 100,
};

export interface ScenarioContext {
  dir: string;
  scale: ChaosScale;
  log?: Logger;
  /** Phase lines (`started`, `fault injected`, `drained`, …) with the time since the start. */
  progress?: (line: string) => void;
}

export interface Scenario {
  name: string;
  fault: string;
  run(ctx: ScenarioContext): Promise<Reconciliation>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadOf = (s: ChaosScale, ms = s.loadMs) =>
  `${s.devices} devices × ${s.points} points every ${s.pollMs} ms for ${Math.round(ms / 1000)} s`;

/** Starts the rig, runs `fault` while the devices produce, then stops the load, drains and counts. */
async function withRig(
  ctx: ScenarioContext,
  name: string,
  fault: string,
  options: { journalBytes?: number; loadMs?: number; loadLabel?: string; cluster?: NatsCluster },
  inject: (rig: ChaosRig) => Promise<void>,
): Promise<Reconciliation> {
  const rig = new ChaosRig({
    dir: join(ctx.dir, name),
    devices: ctx.scale.devices,
    points: ctx.scale.points,
    pollMs: ctx.scale.pollMs,
    journalBytes: options.journalBytes,
    ...(options.cluster === undefined ? {} : { natsUrls: [...options.cluster.urls], replicas: 3 }),
    log: ctx.log,
  });
  const started = Date.now();
  const phase = (what: string) => ctx.progress?.(`${name}: ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  try {
    await rig.start();
    phase("pipeline up");
    await inject(rig);
    phase("faults done");
    await rig.agent.stop(); // stops the devices' polling, then drains the journal to the gateway
    phase("agent drained");
    const stats = rig.agent.stats();
    if (stats.journal.pending > 0)
      throw new Error(`${name}: the agent could not drain ${stats.journal.pending} envelopes`);
    await rig.processorCaughtUp();
    phase("processor caught up");
    await rig.processor.stop();
    phase("processor stopped");
    return await reconcile(
      rig.clickhouseDir,
      "gw-chaos",
      {
        readings: stats.readings,
        lostReadings: stats.journal.lostReadings,
        lostEnvelopes: stats.journal.lostEnvelopes,
      },
      {
        scenario: name,
        load: options.loadLabel ?? loadOf(ctx.scale, options.loadMs),
        fault,
        seconds: (Date.now() - started) / 1000,
        insertsResent: rig.processor.counted.resent ?? 0,
        readingsRepaired: rig.processor.counted.repaired ?? 0,
      },
    );
  } finally {
    await rig.stop();
  }
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "processor-kill",
    fault: "kill -9 the stream processor every 10 s (short: 3 s)",
    run: (ctx) =>
      withRig(
        ctx,
        "processor-kill",
        `kill -9 the stream processor every ${ctx.scale.killEveryMs / 1000} s`,
        {},
        async (rig) => {
          const end = Date.now() + ctx.scale.loadMs;
          while (Date.now() < end) {
            await sleep(ctx.scale.killEveryMs);
            await rig.processor.kill();
            await rig.processor.start();
          }
        },
      ),
  },
  {
    name: "uplink-cut",
    fault: "stop nats-server for 2 min (short: 6 s) while devices produce",
    run: (ctx) =>
      withRig(
        ctx,
        "uplink-cut",
        `nats-server stopped for ${ctx.scale.outageMs / 1000} s`,
        { loadMs: ctx.scale.outageMs + 6_000 },
        async (rig) => {
          await sleep(3_000);
          await rig.nats?.stop();
          await sleep(ctx.scale.outageMs);
          await rig.startNats(); // the same store and port, as the rig runs it
          await sleep(3_000);
        },
      ),
  },
  {
    name: "gateway-restart",
    fault: "restart the gateway under load (SIGTERM, then kill -9)",
    run: (ctx) =>
      withRig(ctx, "gateway-restart", "gateway restarted (SIGTERM), then killed (-9) and started", {}, async (rig) => {
        const step = ctx.scale.loadMs / 3;
        await sleep(step);
        await rig.gateway.restart();
        await sleep(step);
        await rig.gateway.kill();
        await sleep(500);
        await rig.gateway.start();
        await sleep(step);
      }),
  },
  {
    name: "cluster-node-kill",
    fault: "kill -9 the stream leader of a 3-node NATS cluster (R3 stream), restart it later",
    run: async (ctx) => {
      const cluster = await startNatsCluster({ dir: join(ctx.dir, "cluster-node-kill", "nats"), size: 3 });
      try {
        return await withRig(
          ctx,
          "cluster-node-kill",
          "3-node NATS cluster, R3 stream: the stream leader killed (-9), restarted after a third of the load",
          { cluster },
          async (rig) => {
            const step = ctx.scale.loadMs / 3;
            await sleep(step);
            const jsm = await jetstreamManager(await rig.client());
            const leader = (await jsm.streams.info(TELEMETRY_STREAM)).cluster?.leader ?? "n1";
            const index = Number(leader.replace(/^n/, "")) - 1;
            await cluster.kill(index);
            await sleep(step);
            await cluster.restart(index);
            await sleep(step);
          },
        );
      } finally {
        await cluster.stop();
      }
    },
  },
  {
    name: "journal-overflow",
    fault: "gateway down until the agent's 1 MiB journal overflows",
    run: (ctx) =>
      withRig(
        ctx,
        "journal-overflow",
        "gateway down until the 1 MiB journal overflowed (drop oldest)",
        {
          journalBytes: 1024 ** 2,
          loadLabel: `${ctx.scale.devices} devices × ${ctx.scale.points} points every ${ctx.scale.pollMs} ms until the journal overflowed`,
        },
        async (rig) => {
          await sleep(2_000);
          await rig.gateway.kill();
          const deadline = Date.now() + 120_000;
          // Down until the journal has dropped readings, then a little longer.
          while (rig.agent.stats().journal.lostReadings === 0 && Date.now() < deadline) await sleep(200);
          await sleep(2_000);
          await rig.gateway.start();
          await sleep(3_000);
        },
      ),
  },
];
