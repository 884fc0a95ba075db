import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  encodeModel,
  MODEL_SPEC_KEY,
  type ModelSpecInput,
  NatsModelRegistry,
  OnnxGraph,
  onnxAttr,
} from "@lifeline/analytics";
import {
  ALERT_CONDITION_STREAM,
  type AlertCondition,
  alertRuleKey,
  type Envelope,
  silentLogger,
  TELEMETRY_STREAM,
  telemetrySubject,
} from "@lifeline/contracts";
import { ensureStreams, type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAlertRuleBucket } from "../src/alert-rule-source.ts";
import { AlertRulesConsumer } from "../src/alert-rules-consumer.ts";
import { InferenceRunner } from "../src/inference/inference-runner.ts";
import { loadOnnxScorer } from "../src/inference/onnx-scorer-loader.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-inference-"));
const T0 = Date.UTC(2026, 10, 30, 6, 0, 0);
const H = 3_600_000;
let server: NatsServerProcess;
let nats: NatsConnection;
let jsm: JetStreamManager;
let seq = 0;

/** What the test model is fed and produces, as its metadata and its registration declare it. */
const SPEC: ModelSpecInput = {
  format: 1,
  name: "pump-health",
  site: "water-5",
  inputs: ["pressure", "flow"],
  window: 3,
  pred: "pred",
};

/** A model of the window [batch, 3, 2]: score = `factor` × the mean of its six values; pred = score > 5. */
function meanModel(factor: number): Uint8Array {
  const g = new OnnxGraph("window-mean")
    .input("input", "float", ["batch", 3, 2])
    .output("score", "float", ["batch"])
    .output("pred", "float", ["batch"])
    .initializer("factor", new Float32Array([factor]), [])
    .initializer("limit", new Float32Array([5]), [])
    .initializer("flat", new BigInt64Array([-1n]), [1])
    .node("ReduceMean", ["input"], ["mean"], { axes: onnxAttr.ints([1, 2]), keepdims: onnxAttr.int(0) })
    .node("Mul", ["mean", "factor"], ["scaled"])
    .node("Reshape", ["scaled", "flat"], ["score"])
    .node("Greater", ["score", "limit"], ["over"])
    .node("Cast", ["over"], ["pred"], { to: onnxAttr.int(1) });
  return encodeModel(g, { metadata: { [MODEL_SPEC_KEY]: JSON.stringify(SPEC), "metric.factor": String(factor) } });
}

const envelope = (hour: number, pressure: number, flow: number, device = "pump-1"): Envelope => ({
  v: 1,
  site: "water-5",
  gateway: "scada",
  device,
  bootId: "b1",
  seq: seq++,
  readings: [
    { metric: "pressure", ts: T0 + hour * H, value: pressure, unit: "bar", quality: "good" },
    { metric: "flow", ts: T0 + hour * H, value: flow, unit: "m3/h", quality: "good" },
  ],
});

async function publish(envelopes: readonly Envelope[]) {
  const js = jetstream(nats);
  for (const e of envelopes) await js.publish(telemetrySubject(e), JSON.stringify(e), { msgID: `e${e.seq}` });
}

/** Score envelopes in the telemetry stream, in order. */
async function scores(): Promise<Envelope[]> {
  const info = await jsm.streams.info(TELEMETRY_STREAM);
  const out: Envelope[] = [];
  for (let s = info.state.first_seq; s <= info.state.last_seq; s++) {
    const m = await jsm.streams.getMessage(TELEMETRY_STREAM, { seq: s });
    if (m?.subject.startsWith("tlm.water-5.analytics.")) out.push(m.json<Envelope>());
  }
  return out;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats") });
  nats = await connect({ servers: server.url });
  jsm = await jetstreamManager(nats);
  await ensureStreams(jsm);
});

afterAll(async () => {
  await nats?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("models on the live stream", () => {
  it("scores windows of every device in batches, hot-loads a new version, and its scores feed model rules", async () => {
    const registry = await NatsModelRegistry.open(nats);
    const v1 = await registry.register("pump-health", meanModel(1), {
      [MODEL_SPEC_KEY]: JSON.stringify(SPEC),
    });
    await registry.activate("pump-health", v1.version, "test");
    await (await openAlertRuleBucket(nats)).put(
      alertRuleKey("water-5", "pump-anomaly"),
      JSON.stringify({
        id: "pump-anomaly",
        site: "water-5",
        device: "*",
        kind: "model",
        model: "pump-health",
        direction: "above",
        levels: { III: 5 },
      }),
    );
    const runner = new InferenceRunner({ registry, loadScorer: loadOnnxScorer, log: silentLogger });
    await runner.start();
    const consumer = new AlertRulesConsumer({ nats, jsm, log: silentLogger, inference: runner });
    await consumer.start();

    // pump-1: hours 0..3 (two windows); pump-2: hours 0..2 (one window), in one batch.
    await publish([
      envelope(0, 1, 2),
      envelope(0, 4, 4, "pump-2"),
      envelope(1, 2, 3),
      envelope(1, 4, 4, "pump-2"),
      envelope(2, 3, 4),
      envelope(2, 4, 4, "pump-2"),
      envelope(3, 10, 12),
    ]);
    const first = await until("three scores", async () => {
      const s = await scores();
      return s.length >= 3 ? s : undefined;
    });
    const brief = (es: Envelope[]) =>
      es.map(
        (e) =>
          `${e.device}@${(e.readings[0]?.ts ?? 0) - T0}:${e.readings.map((r) => `${r.metric}=${r.value}`).join(",")}`,
      );
    expect(brief(first).sort()).toEqual(
      [
        // (1+2+2+3+3+4)/6 = 2.5; (2+3+3+4+10+12)/6 = 5.666…; pump-2: 4
        `pump-1@${2 * H}:score.pump-health=2.5,pred.pump-health=0`,
        `pump-1@${3 * H}:score.pump-health=${Math.fround(34 / 6)},pred.pump-health=1`,
        `pump-2@${2 * H}:score.pump-health=4,pred.pump-health=0`,
      ].sort(),
    );

    // The score of 5.67 is a reading like any other: the model rule raised level III.
    const conditions = await until("model condition", async () => {
      const info = await jsm.streams.info(ALERT_CONDITION_STREAM);
      if (info.state.messages === 0) return undefined;
      const m = await jsm.streams.getMessage(ALERT_CONDITION_STREAM, { seq: info.state.first_seq });
      return m === null ? undefined : [m.json<AlertCondition>()];
    });
    expect(conditions[0]).toMatchObject({
      rule: "pump-anomaly",
      device: "pump-1",
      kind: "model",
      level: "III",
      at: T0 + 3 * H,
    });

    // Version 2 doubles the score; the window being filled carries over (no reading lost).
    const v2 = await registry.register("pump-health", meanModel(2), {
      [MODEL_SPEC_KEY]: JSON.stringify(SPEC),
    });
    await registry.activate("pump-health", v2.version, "test");
    await until("v2 loaded", async () => (runner.stats().models["pump-health"]?.version === 2 ? true : undefined));
    await publish([envelope(4, 1, 1)]);
    const after = await until("fourth score", async () => {
      const s = await scores();
      return s.length >= 4 ? s : undefined;
    });
    // window hours 2..4 of pump-1: (3+4+10+12+1+1)/6 = 5.1666…, ×2
    expect(after[3]?.readings[0]).toMatchObject({
      metric: "score.pump-health",
      value: Math.fround(Math.fround(31 / 6) * 2),
    });
    expect(after[3]?.bootId).toMatch(/^pump-health-v2-/);
    expect(runner.stats()).toMatchObject({ loads: 2, loadFailures: 0 });
    expect(runner.stats().models["pump-health"]).toMatchObject({ version: 2, scored: 4, windows: 4 });

    // A redelivered batch scores nothing twice: rows not newer than the last are ignored.
    await publish([envelope(4, 1, 1)]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await scores()).length).toBe(4);
    await consumer.stop();
    await runner.stop();
  }, 60_000);

  it("goes on from its saved windows after a restart, and catches up on what was acknowledged after the save", async () => {
    // Version 2 of pump-health (score = 2 × the window's mean) is active from the test above.
    const registry = await NatsModelRegistry.open(nats);
    const stateFile = join(dir, "rules-state.json");
    const start = async () => {
      const runner = new InferenceRunner({ registry, loadScorer: loadOnnxScorer, log: silentLogger });
      await runner.start();
      const consumer = new AlertRulesConsumer({ nats, jsm, log: silentLogger, inference: runner, stateFile });
      await consumer.start();
      return {
        consumer,
        async stop() {
          await consumer.stop();
          await runner.stop();
        },
      };
    };
    const pump7 = async () => (await scores()).filter((e) => e.device === "pump-7");
    const scoreCount = async (n: number) =>
      until(`${n} scores of pump-7`, async () => ((await pump7()).length >= n ? true : undefined));

    // Hours 0 and 1: two rows of a three-row window, saved when the processor stops.
    const first = await start();
    await publish([envelope(0, 1, 1, "pump-7"), envelope(1, 2, 2, "pump-7")]);
    await until("two envelopes", async () => (first.consumer.stats().envelopes >= 2 ? true : undefined));
    await first.stop();
    const savedAfterHour1 = readFileSync(stateFile);

    // Restarted, it scores hour 2 at once: the window 0..2 came back from the saved state.
    const second = await start();
    await publish([envelope(2, 3, 3, "pump-7")]);
    await scoreCount(1);
    await publish([envelope(3, 4, 4, "pump-7")]);
    await scoreCount(2);
    // Its scores go on the telemetry stream too, and it reads them back: stopped before hour 3's
    // score was delivered to it, the catch-up below would count one message fewer.
    await until("hour 3's score read back", async () => (second.consumer.stats().envelopes >= 4 ? true : undefined));
    await second.stop();

    // A crash after hours 2 and 3 were acknowledged but before their state was written: the state
    // on disk is the one after hour 1. The restarted processor catches up on hours 2 and 3 (and the
    // score messages between them) from the stream; their scores, published again, are dropped by
    // message id.
    writeFileSync(stateFile, savedAfterHour1);
    const third = await start();
    expect(third.consumer.stats().caughtUp).toBe(4);
    await publish([envelope(4, 5, 5, "pump-7")]);
    await scoreCount(3);
    await new Promise((r) => setTimeout(r, 300));
    const all = await pump7();
    expect(all.map((e) => [(e.readings[0]?.ts ?? 0) - T0, e.readings[0]?.value])).toEqual([
      [2 * H, Math.fround(Math.fround(2) * 2)], // (1+1+2+2+3+3)/6 = 2
      [3 * H, Math.fround(Math.fround(3) * 2)], // hours 1..3
      [4 * H, Math.fround(Math.fround(4) * 2)], // hours 2..4: needs hour 3 from the catch-up
    ]);
    await third.stop();
  }, 60_000);
});
