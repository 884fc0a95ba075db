import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  ALERT_RULES_CONSUMER,
  type AlertCondition,
  alertConditionSubject,
  alertKey,
  decodePack,
  type Envelope,
  isPackSubject,
  type Logger,
  TELEMETRY_STREAM,
  tryDecodeEnvelope,
} from "@lifeline/contracts";
import { mkdirDurably, writeFileDurably } from "@lifeline/durable-fs";
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type AlertRuleSource, type RuleProblem, type SourcedRule, watchAlertRules } from "./alert-rule-source.ts";
import { BatchConsumer } from "./batch-consumer.ts";
import type { InferenceRunner, InferenceSnapshot } from "./inference/inference-runner.ts";
import type { StreamMessage } from "./jetstream-puller.ts";
import { onItsSubject } from "./on-its-subject.ts";
import { RuleEngine, type RuleEngineState } from "./rules/rule-engine.ts";
import { SaveSchedule } from "./save-schedule.ts";

export interface AlertRulesOptions {
  nats: NatsConnection;
  jsm: JetStreamManager;
  /**
   * Where the engine's state (windows, pending durations, current levels) is kept between runs,
   * with the stream sequence it covers. Without it a restarted engine starts with empty windows.
   */
  stateFile?: string | undefined;
  /** How long after its end a window closes on the clock when no later reading closed it (default 60 s). */
  graceMs?: number;
  /** How often the state is written (default 2 s; less often when saving is slow, see SaveSchedule). */
  snapshotEveryMs?: number;
  /**
   * The share of time saving may take (default 0.02, see SaveSchedule): a save of c ms makes the
   * next wait c / budget ms, so a batch that ends sooner is not saved until a later one. Infinity
   * saves after every batch due by `snapshotEveryMs` (a test that waits for a batch's state).
   */
  snapshotBudget?: number;
  /** How often the clock is looked at: stale data, windows that closed without a reading (default 1 s). */
  tickMs?: number;
  now?: () => number;
  /**
   * Models served on the same stream (decoded once for rules and models): their scores are
   * published back to the telemetry stream before the batch is acknowledged.
   */
  inference?: InferenceRunner | undefined;
  log: Logger;
}

export interface AlertRulesStats {
  rules: number;
  envelopes: number;
  readings: number;
  conditions: number;
  /**
   * What did not decode, the telemetry sink quarantines and the rules skip: each envelope that does
   * not decode, in a pack or alone, and each pack whose framing is broken (counted once, whole).
   */
  undecodable: number;
  /** Envelopes on a subject their route does not give (the telemetry sink quarantines them; rules skip them). */
  misrouted: number;
  /** Messages evaluated again at start, between the saved state and what had been acknowledged. */
  caughtUp: number;
}

interface SavedState {
  streamSeq: number;
  engine: RuleEngineState;
  /** The models' windows being filled, saved with the rules' at the same stream position. */
  models?: InferenceSnapshot;
}

/**
 * The rule engine on the live stream: a durable consumer of its own on the telemetry stream, so
 * that alerts do not wait for ClickHouse (and keep firing when it is down). Each batch's
 * conditions are published to the condition stream (message id from key, time and level: a
 * replayed batch is dropped there) before the batch is acknowledged.
 */
export class AlertRulesConsumer {
  readonly #o: AlertRulesOptions;
  readonly #js: JetStreamClient;
  readonly #stats: AlertRulesStats = {
    rules: 0,
    envelopes: 0,
    readings: 0,
    conditions: 0,
    undecodable: 0,
    misrouted: 0,
    caughtUp: 0,
  };
  #engine: RuleEngine;
  #streamSeq = 0;
  #saves: SaveSchedule;
  #consumer: BatchConsumer | undefined;
  #source: AlertRuleSource | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #publishing: Promise<void> = Promise.resolve();

  constructor(options: AlertRulesOptions) {
    this.#o = options;
    this.#saves = new SaveSchedule(options.snapshotEveryMs ?? 2_000, options.snapshotBudget);
    this.#js = jetstream(options.nats);
    const saved = readState(options.stateFile, options.log);
    // Windows close this long after their end on the clock, so that a reading a little late still counts.
    const engineOptions = { graceMs: options.graceMs ?? 60_000 };
    this.#engine =
      saved === undefined ? new RuleEngine([], engineOptions) : RuleEngine.restore(saved.engine, engineOptions);
    this.#streamSeq = saved?.streamSeq ?? 0;
    options.inference?.restore(saved?.models);
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  stats(): AlertRulesStats {
    return { ...this.#stats, rules: this.#source?.rules().length ?? 0 };
  }

  rules(): SourcedRule[] {
    return this.#source?.rules() ?? [];
  }

  /** Rules that are not in force because they do not validate, with the reason. */
  problems(): RuleProblem[] {
    return this.#source?.problems() ?? [];
  }

  /** Where the rules come from (the API's routes list and edit them through it). */
  source(): AlertRuleSource | undefined {
    return this.#source;
  }

  async start(): Promise<void> {
    this.#source = await watchAlertRules({
      nats: this.#o.nats,
      log: this.#o.log,
      onChange: (rules) => {
        try {
          void this.#publish(
            this.#engine.setRules(
              rules.map((r) => r.rule),
              this.#now(),
            ),
          ).catch((error: unknown) =>
            this.#o.log.warn("conditions of changed rules not published", { error: String(error) }),
          );
        } catch (error) {
          this.#o.log.error("alert rules not applied; the previous rules stay in force", { error: String(error) });
        }
      },
    });
    await this.#catchUp();
    this.#consumer = new BatchConsumer({
      nats: this.#o.nats,
      jsm: this.#o.jsm,
      stream: TELEMETRY_STREAM,
      durable: ALERT_RULES_CONSUMER,
      startAt: "new",
      batchSize: 2_000,
      lingerMs: 10,
      ackWaitMs: 30_000,
      retryDelayMs: 1_000,
      handle: (batch) => this.#handle(batch),
      log: this.#o.log,
    });
    await this.#consumer.start();
    this.#ticker = setInterval(() => {
      void this.#publish(this.#engine.tick(this.#now())).catch((error: unknown) =>
        this.#o.log.warn("clock conditions not published; the next tick retries", { error: String(error) }),
      );
    }, this.#o.tickMs ?? 1_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.#ticker);
    await this.#consumer?.stop();
    await this.#publishing.catch(() => undefined);
    await this.#source?.close();
    this.#save(true);
  }

  async #handle(batch: StreamMessage[]): Promise<void> {
    const conditions: AlertCondition[] = [];
    const envelopes: Envelope[] = [];
    for (const m of batch) {
      for (const e of this.#envelopes(m)) {
        this.#stats.envelopes++;
        this.#stats.readings += e.readings.length;
        conditions.push(...this.#engine.evaluate(e.site, e.device, e.readings));
        if (this.#o.inference !== undefined) envelopes.push(e);
      }
      if (m.seq > this.#streamSeq) this.#streamSeq = m.seq;
    }
    await Promise.all([this.#publish(conditions), this.#publishScores(envelopes)]);
    this.#save(false);
  }

  /** Scores what the envelopes complete and publishes the scores (a window scored again has the same message id). */
  async #publishScores(envelopes: readonly Envelope[]): Promise<void> {
    if (this.#o.inference === undefined || envelopes.length === 0) return;
    const scores = await this.#o.inference.score(envelopes);
    await Promise.all(scores.map((s) => this.#js.publish(s.subject, JSON.stringify(s.envelope), { msgID: s.msgId })));
  }

  #envelopes(m: { subject: string; data: Uint8Array }): Envelope[] {
    const packed = isPackSubject(m.subject);
    let payloads: Uint8Array[];
    try {
      payloads = packed ? decodePack(m.data).map((e) => e.payload) : [m.data];
    } catch {
      this.#stats.undecodable++;
      return [];
    }
    const out: Envelope[] = [];
    for (const p of payloads) {
      const d = tryDecodeEnvelope(p);
      if (!d.ok) this.#stats.undecodable++;
      // What the sink does not store must not raise an alert either.
      else if (!onItsSubject(d.envelope, m.subject, packed)) this.#stats.misrouted++;
      else out.push(d.envelope);
    }
    return out;
  }

  /** Publishes in order, one publish at a time across batches and ticks; resolves when all were stored. */
  #publish(conditions: readonly AlertCondition[]): Promise<void> {
    if (conditions.length === 0) return this.#publishing;
    const work = this.#publishing.then(async () => {
      const acks = conditions.map((c) =>
        this.#js.publish(alertConditionSubject(c), JSON.stringify(c), {
          msgID: `${alertKey(c)}@${c.at}:${c.level ?? "clear"}`,
        }),
      );
      await Promise.all(acks);
      this.#stats.conditions += conditions.length;
    });
    this.#publishing = work.catch(() => undefined);
    return work;
  }

  /**
   * Messages acknowledged after the saved state was written are evaluated again, from the stream,
   * before the durable consumer resumes: the engine ignores what it had already seen (by source
   * time), so nothing is counted twice and nothing acknowledged is missing from the windows.
   */
  async #catchUp(): Promise<void> {
    if (this.#streamSeq === 0) return;
    // Up to what was delivered (not only the ack floor: a batch acknowledged above a gap counts);
    // what was not acknowledged comes again from the durable consumer and is ignored then.
    const info = await this.#o.jsm.consumers.info(TELEMETRY_STREAM, ALERT_RULES_CONSUMER).catch(() => undefined);
    const stream = await this.#o.jsm.streams.info(TELEMETRY_STREAM);
    const until = Math.min(info?.delivered.stream_seq ?? 0, stream.state.last_seq);
    if (until <= this.#streamSeq) return;
    const consumer = await this.#js.consumers.get(TELEMETRY_STREAM, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#streamSeq + 1,
    });
    const messages = await consumer.consume({ max_messages: 1_000 });
    for await (const m of messages) {
      const conditions: AlertCondition[] = [];
      const envelopes = this.#envelopes(m);
      for (const e of envelopes) conditions.push(...this.#engine.evaluate(e.site, e.device, e.readings));
      // The models' windows were saved at the same position as the rules': they catch up on the same messages.
      await Promise.all([this.#publish(conditions), this.#publishScores(envelopes)]);
      this.#stats.caughtUp++;
      this.#streamSeq = m.seq;
      if (m.seq >= until) break;
    }
    await messages.close();
    this.#o.log.info("alert rules caught up", { messages: this.#stats.caughtUp, until });
  }

  #save(force: boolean): void {
    const file = this.#o.stateFile;
    if (file === undefined) return;
    const now = performance.now();
    if (!force && !this.#saves.due(now)) return;
    const state: SavedState = {
      streamSeq: this.#streamSeq,
      engine: this.#engine.snapshot(),
      ...(this.#o.inference === undefined ? {} : { models: this.#o.inference.snapshot() }),
    };
    mkdirDurably(dirname(file));
    // Synced: a power cut leaves the windows of this save or of the one before, never an empty file.
    writeFileDurably(file, JSON.stringify(state));
    this.#saves.saved(now, performance.now());
  }
}

function readState(file: string | undefined, log: Logger): SavedState | undefined {
  if (file === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as SavedState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      log.warn("alert rule state not readable; starting with empty windows", { file, error: String(error) });
    }
    return undefined;
  }
}
