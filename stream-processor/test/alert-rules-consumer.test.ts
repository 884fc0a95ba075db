import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ALERT_CONDITION_STREAM,
  type AlertCondition,
  alertRuleKey,
  type Envelope,
  encodePack,
  packSubject,
  silentLogger,
  TELEMETRY_STREAM,
  telemetrySubject,
} from "@lifeline/contracts";
import { traceFileCalls } from "@lifeline/durable-fs";
import { ensureStreams, type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAlertRuleBucket } from "../src/alert-rule-source.ts";
import { AlertRulesConsumer } from "../src/alert-rules-consumer.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-alert-rules-"));
const T0 = Date.UTC(2026, 10, 30, 4, 0, 0);
let server: NatsServerProcess;
let nats: NatsConnection;
let jsm: JetStreamManager;
let seq = 0;

const envelope = (ts: number, value: number, device = "wl-1"): Envelope => ({
  v: 1,
  site: "flood-2",
  gateway: "rtu-1",
  device,
  bootId: "boot-1",
  seq: seq++,
  readings: [{ metric: "water_level", ts, value, unit: "m", quality: "good" }],
});

async function publish(envelopes: readonly Envelope[]) {
  const js = jetstream(nats);
  for (const e of envelopes) await js.publish(telemetrySubject(e), JSON.stringify(e), { msgID: `e${e.seq}` });
}

async function conditions(): Promise<AlertCondition[]> {
  const info = await jsm.streams.info(ALERT_CONDITION_STREAM);
  const out: AlertCondition[] = [];
  for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s++) {
    const m = await jsm.streams.getMessage(ALERT_CONDITION_STREAM, { seq: s });
    if (m !== null) out.push(m.json<AlertCondition>());
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

/** flood-2's water level above 2.0 m is level IV, above 2.5 m level II, on every device. */
const levelRule = (id: string, extra: { hysteresis?: number } = {}) =>
  JSON.stringify({
    id,
    site: "flood-2",
    device: "*",
    kind: "threshold",
    metric: "water_level",
    direction: "above",
    levels: { IV: 2.0, II: 2.5 },
    ...extra,
  });

/** The stream position the consumer's saved state covers (0 before it saved any). */
function savedStreamSeq(file: string): number {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { streamSeq: number }).streamSeq;
  } catch {
    return 0;
  }
}

const brief = (cs: readonly AlertCondition[]) => cs.map((c) => `${c.device}:${c.level ?? "clear"}@${c.at - T0}`);

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

describe("alert rules on the telemetry stream", () => {
  it("applies rules put in the bucket, publishes conditions once, and continues after a restart", async () => {
    const bucket = await openAlertRuleBucket(nats);
    await bucket.put(alertRuleKey("flood-2", "level-high"), levelRule("level-high", { hysteresis: 0.1 }));
    const stateFile = join(dir, "rules-state.json");
    // Saved after every batch: with the default budget a save that took c ms skips batches for 50 c
    // ms, and on a loaded CI machine the wait below never saw the first two readings' state.
    const options = {
      ...{ nats, jsm, stateFile, snapshotEveryMs: 0, snapshotBudget: Number.POSITIVE_INFINITY },
      ...{ log: silentLogger, now: () => T0 },
    };
    let consumer = new AlertRulesConsumer(options);
    await consumer.start();
    expect(consumer.rules().map((r) => `${r.rule.site}/${r.rule.id}:${r.origin.source}`)).toEqual([
      "flood-2/level-high:api",
    ]);
    await publish([envelope(T0, 1.5), envelope(T0 + 1_000, 2.1)]);
    await until("level IV", async () => ((await conditions()).length === 1 ? true : undefined));
    // The state is written just after a batch's conditions are stored: taken before that, it would
    // be older than the first two readings, and the restart below would evaluate more again.
    const firstTwo = (await jsm.streams.info(TELEMETRY_STREAM)).state.last_seq;
    await until("the state after the first two readings", async () =>
      savedStreamSeq(stateFile) === firstTwo ? true : undefined,
    );
    const stale = readFileSync(stateFile);
    await publish([envelope(T0 + 2_000, 2.6), envelope(T0 + 3_000, 2.45)]);
    await until("level II", async () => ((await conditions()).length === 2 ? true : undefined));
    expect(brief(await conditions())).toEqual(["wl-1:IV@1000", "wl-1:II@2000"]);
    await consumer.stop();

    // A crash: the saved state is older than what was acknowledged (it covers the first two
    // readings only). The restart evaluates the two after it again from the stream, then goes on.
    writeFileSync(stateFile, stale);
    await publish([envelope(T0 + 4_000, 2.35), envelope(T0 + 5_000, 1.8)]);
    consumer = new AlertRulesConsumer(options);
    await consumer.start();
    await until("four conditions", async () => ((await conditions()).length === 4 ? true : undefined));
    expect(brief(await conditions())).toEqual(["wl-1:IV@1000", "wl-1:II@2000", "wl-1:IV@4000", "wl-1:clear@5000"]);
    expect(consumer.stats()).toMatchObject({ caughtUp: 2, conditions: 3 });

    // A rule removed through the bucket clears what it held open.
    await publish([envelope(T0 + 6_000, 2.7, "wl-2")]);
    await until("wl-2 fired", async () => ((await conditions()).length === 5 ? true : undefined));
    await bucket.delete(alertRuleKey("flood-2", "level-high"));
    await until("wl-2 cleared", async () => ((await conditions()).length === 6 ? true : undefined));
    // Cleared at the clock's time (T0), stamped just after the key's last condition: times on a key only grow.
    expect(brief((await conditions()).slice(4))).toEqual(["wl-2:II@6000", "wl-2:clear@6001"]);
    expect(consumer.stats()).toMatchObject({ rules: 0, undecodable: 0 });
    await consumer.stop();
  }, 60_000);

  it("saves its state synced: its folder once, then each time the file, its rename, then the folder", async () => {
    const stateDir = join(dir, "state-synced");
    const stateFile = join(stateDir, "rules-state.json");
    const consumer = new AlertRulesConsumer({
      ...{ nats, jsm, stateFile, snapshotEveryMs: 0, snapshotBudget: Number.POSITIVE_INFINITY },
      ...{ log: silentLogger, now: () => T0 },
    });
    await consumer.start();
    // The batch's save and the one at stop, as this process makes them (the folder is made at the first).
    const calls = await traceFileCalls(dir, async () => {
      await publish([envelope(T0 + 7_000, 1.0, "wl-3")]);
      const last = (await jsm.streams.info(TELEMETRY_STREAM)).state.last_seq;
      await until("the state saved", async () => (savedStreamSeq(stateFile) === last ? true : undefined));
      await consumer.stop();
    });
    const folder = ['mkdir("DIR/state-synced", 0777) = 0', "fsync(<DIR>) = 0"];
    const save = [
      "fsync(<DIR/state-synced/rules-state.json.tmp>) = 0",
      'rename("DIR/state-synced/rules-state.json.tmp", "DIR/state-synced/rules-state.json") = 0',
      "fsync(<DIR/state-synced>) = 0",
    ];
    const saves = (calls.length - folder.length) / save.length;
    expect(saves).toBeGreaterThanOrEqual(2);
    expect(calls).toEqual([...folder, ...Array.from({ length: saves }, () => save).flat()]);
  });

  it("skips what the telemetry sink quarantines: envelopes off their route, and payloads that do not decode", async () => {
    const bucket = await openAlertRuleBucket(nats);
    await bucket.put(alertRuleKey("flood-2", "level-high-2"), levelRule("level-high-2"));
    const consumer = new AlertRulesConsumer({ nats, jsm, log: silentLogger, now: () => T0 });
    await consumer.start();
    await until("the rule", async () => (consumer.rules().length === 1 ? true : undefined));
    const before = (await conditions()).length;
    const js = jetstream(nats);
    // Each of these would raise level II on wl-8 if it were evaluated.
    const offRoute = envelope(T0 + 10_000, 2.6, "wl-8");
    await js.publish(telemetrySubject({ ...offRoute, site: "flood-3" }), JSON.stringify(offRoute));
    const packed = envelope(T0 + 11_000, 2.7, "wl-8");
    const payload = Buffer.from(JSON.stringify(packed));
    await js.publish(packSubject("flood-3"), encodePack([{ payload, resend: false }]));
    await js.publish(telemetrySubject(envelope(T0, 0, "wl-8")), '{"v":1,"site":"flood-2"');
    await js.publish(packSubject("flood-2"), Buffer.from("LLP1 broken"));
    // An envelope on its own route fires: the four above were skipped, not lost to an error.
    await publish([envelope(T0 + 12_000, 2.1, "wl-9")]);
    const fired = async () => (await conditions()).slice(before);
    await until("wl-9 fired", async () => ((await fired()).some((c) => c.device === "wl-9") ? true : undefined));
    expect(brief(await fired())).toEqual(["wl-9:IV@12000"]);
    expect(consumer.stats()).toMatchObject({ envelopes: 1, readings: 1, misrouted: 2, undecodable: 2, conditions: 1 });
    await bucket.delete(alertRuleKey("flood-2", "level-high-2"));
    await consumer.stop();
  });

  it("reports a rule that does not validate and keeps the others in force", async () => {
    const bucket = await openAlertRuleBucket(nats);
    await bucket.put(alertRuleKey("flood-2", "bad"), JSON.stringify({ id: "bad", site: "flood-2", kind: "threshold" }));
    const consumer = new AlertRulesConsumer({ nats, jsm, log: silentLogger });
    await consumer.start();
    expect(consumer.rules()).toEqual([]);
    expect(consumer.problems()).toEqual([
      {
        key: "api:flood-2.bad",
        message:
          'device: Invalid input: expected string, received undefined; metric: Invalid input: expected string, received undefined; direction: Invalid option: expected one of "above"|"below"; levels: Invalid input: expected object, received undefined',
      },
    ]);
    await consumer.stop();
  });
});
