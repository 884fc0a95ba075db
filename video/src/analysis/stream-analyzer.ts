import {
  type AlertCondition,
  type CapturePosition,
  detectMetric,
  type Logger,
  type Reading,
  silentLogger,
  type VideoAnalysisConfig,
} from "@lifeline/contracts";
import { encodeJpeg } from "../evidence/encode-jpeg.ts";
import type { Frame } from "../frame.ts";
import type { FrameSourceState } from "../frames/ffmpeg-frame-source.ts";
import { MotionGate } from "../motion/motion-gate.ts";
import { type BatchScheduler, ShedError } from "./batch-scheduler.ts";
import { CleanBackground } from "./clean-background.ts";
import { type DetectionChange, DetectionTracker } from "./detection-tracker.ts";
import type { EvidenceOutbox } from "./evidence-outbox.ts";

/** One frame to score, with its camera's clean background (the built-in model compares against it). */
export interface ScoreJob {
  frame: Frame;
  background: Frame;
}

export type FrameScores = Record<string, number>;

/** Where readings of the stream go (the edge agent's sink: journal, then uplink). */
export interface StreamReadings {
  readings(device: string, readings: Reading[]): void;
}

export interface StreamAnalyzerOptions {
  site: string;
  device: string;
  analysis: VideoAnalysisConfig;
  /** Shared by every stream that uses the same model. */
  scheduler: BatchScheduler<ScoreJob, FrameScores>;
  outbox: EvidenceOutbox;
  readings: StreamReadings;
  /** The evidence picture: the camera's own full-size snapshot (after turning to a preset). */
  snapshot?: () => Promise<Uint8Array | undefined>;
  /** Where the stream's camera was when a frame was captured (a drone's track). */
  positionAt?: (ts: number) => CapturePosition | undefined;
  /** Model name and version, for the alert's evidence. */
  model?: string;
  /**
   * Frames of the first `warmupMs` after the stream (re)connects are not analysed (default 3 s): a
   * decoder that joins a live stream between key frames outputs smeared pictures until the next
   * one (ffmpeg: "corrupt decoded frame"; most cameras send a key frame every 1–2 s), and a smeared
   * picture must neither raise an alert nor become the camera's clean background.
   */
  warmupMs?: number;
  now?: () => number;
  log?: Logger;
}

export interface StreamAnalyzerStats {
  frames: number;
  /** Frames the motion gate let through, and those it skipped (nothing changed). */
  analysed: number;
  skipped: number;
  /** Frames the model had no time for (counted by the scheduler as shed too). */
  shed: number;
  /** Frames of the warm-up after each (re)connection, not analysed. */
  warmup: number;
  conditions: number;
  failures: number;
  state: FrameSourceState["state"];
  lastScores: FrameScores;
}

/**
 * The analysis of one video stream: frames → motion gate → the shared batched model → per-class
 * detection levels → an alert condition with a snapshot (through the evidence outbox) when a
 * level changes, and each analysed frame's scores as readings (source time = capture time).
 * Frames are handled in capture order; evidence is submitted in order of the changes.
 */
export class StreamAnalyzer {
  readonly #o: StreamAnalyzerOptions;
  readonly #gate: MotionGate | undefined;
  readonly #tracker: DetectionTracker;
  readonly #background = new CleanBackground();
  readonly #lowest: number;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #stats: StreamAnalyzerStats = {
    frames: 0,
    analysed: 0,
    skipped: 0,
    shed: 0,
    warmup: 0,
    conditions: 0,
    failures: 0,
    state: "connecting",
    lastScores: {},
  };
  /** Evidence is submitted one change at a time, in order. */
  #evidence: Promise<void> = Promise.resolve();
  /** The frame being analysed, and the newest one waiting for it (older waiting frames are shed). */
  #busy: Promise<void> | undefined;
  #waiting: Frame | undefined;
  #online: boolean | undefined;
  /** Capture time before which frames are warm-up; set when the stream (re)connects. */
  #warmUntil = Number.NEGATIVE_INFINITY;

  constructor(options: StreamAnalyzerOptions) {
    this.#o = options;
    this.#log = options.log ?? silentLogger;
    this.#now = options.now ?? Date.now;
    const gate = options.analysis.motionGate;
    this.#gate = gate.enabled ? new MotionGate({ maxSkipMs: gate.maxSkipMs, now: this.#now }) : undefined;
    this.#tracker = new DetectionTracker(options.analysis.detect);
    this.#lowest = Math.min(...options.analysis.detect.flatMap((d) => Object.values(d.levels)));
  }

  stats(): StreamAnalyzerStats {
    return { ...this.#stats };
  }

  /** Resolves when the evidence of every change so far is durable in the outbox. */
  settled(): Promise<void> {
    return this.#evidence;
  }

  /** The frame source's state: `online` is a reading (1 streaming, 0 when the stream dropped). */
  state(state: FrameSourceState): void {
    this.#stats.state = state.state;
    const online = state.state === "streaming";
    if (online && this.#online !== true) this.#warmUntil = this.#now() + (this.#o.warmupMs ?? 3_000);
    if (state.state === "connecting" || online === this.#online) return;
    this.#online = online;
    const ts = this.#now();
    this.#o.readings.readings(this.#o.device, [
      { metric: "online", ts, value: online ? 1 : 0, unit: "1", quality: "good" },
    ]);
    if (!online && state.state === "backoff") {
      this.#log.warn("video stream dropped; reconnecting", { device: this.#o.device, reason: state.reason });
    }
  }

  /**
   * A decoded frame from the stream: analysed now, or after the one in hand. When the model is
   * slower than the stream, only the newest waiting frame is kept (a stale frame is worth less than
   * a fresh one), so memory stays bounded; the frames passed over are counted as shed.
   */
  offer(frame: Frame): void {
    if (this.#busy !== undefined) {
      if (this.#waiting !== undefined) this.#stats.shed++;
      this.#waiting = frame;
      return;
    }
    this.#busy = this.frame(frame).then(() => {
      this.#busy = undefined;
      const next = this.#waiting;
      this.#waiting = undefined;
      if (next !== undefined) this.offer(next);
    });
  }

  /** Resolves when no frame is in hand or waiting. */
  async idle(): Promise<void> {
    while (this.#busy !== undefined) await this.#busy;
  }

  /** One decoded frame, analysed now. Never throws: failures are counted and logged. */
  async frame(frame: Frame): Promise<void> {
    this.#stats.frames++;
    if (frame.ts < this.#warmUntil) {
      this.#stats.warmup++;
      return;
    }
    if (this.#gate !== undefined && !this.#gate.check(frame).pass) {
      this.#stats.skipped++;
      return;
    }
    this.#stats.analysed++;
    let scores: FrameScores;
    try {
      scores = await this.#o.scheduler.submit({ frame, background: this.#background.current(frame) });
    } catch (error) {
      if (error instanceof ShedError) this.#stats.shed++;
      else this.#fail("frame not scored", error);
      return;
    }
    this.#stats.lastScores = scores;
    // A scene the model calls clean (below every level) refines the camera's reference.
    if (Object.values(scores).every((s) => s < this.#lowest)) this.#background.learn(frame);
    if (this.#o.analysis.scoresAsReadings) this.#scoreReadings(frame, scores);
    for (const change of this.#tracker.update(scores, frame.ts)) {
      this.#evidence = this.#evidence.then(() => this.#submit(change, frame, scores));
    }
  }

  #scoreReadings(frame: Frame, scores: FrameScores): void {
    const readings: Reading[] = this.#o.analysis.detect.map((d) => ({
      metric: detectMetric(d),
      ts: frame.ts,
      value: Math.round((scores[d.class] ?? 0) * 10_000) / 10_000,
      unit: "1",
      quality: "good",
    }));
    this.#o.readings.readings(this.#o.device, readings);
  }

  async #submit(change: DetectionChange, frame: Frame, scores: FrameScores): Promise<void> {
    try {
      const position = this.#o.positionAt?.(frame.ts);
      const condition: AlertCondition = {
        rule: change.rule,
        site: this.#o.site,
        device: this.#o.device,
        kind: "video",
        level: change.level,
        at: change.at,
        metric: change.metric,
        value: change.score,
        summary: summaryOf(change, this.#o.device, position),
        evidence: {
          values: Object.fromEntries(Object.entries(scores).map(([k, v]) => [`${k}_score`, v])),
          class: change.class,
          frame: { seq: frame.seq, width: frame.width, height: frame.height },
          ...(this.#o.model === undefined ? {} : { model: this.#o.model }),
          ...(position === undefined ? {} : { position }),
        },
      };
      const jpeg = change.level === null ? undefined : await this.#picture(frame);
      await this.#o.outbox.submit(condition, jpeg);
      this.#stats.conditions++;
    } catch (error) {
      this.#fail("detection evidence not kept", error);
    }
  }

  /** The camera's full-size snapshot when it has one, else the analysed frame itself. */
  async #picture(frame: Frame): Promise<Uint8Array> {
    try {
      const own = await this.#o.snapshot?.();
      if (own !== undefined) return own;
    } catch (error) {
      this.#log.warn("camera snapshot failed; the analysed frame is the evidence", {
        device: this.#o.device,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    return encodeJpeg(frame, 85);
  }

  #fail(what: string, error: unknown): void {
    this.#stats.failures++;
    this.#log.error(what, { device: this.#o.device, error: error instanceof Error ? error.message : String(error) });
  }
}

function summaryOf(change: DetectionChange, device: string, position: CapturePosition | undefined): string {
  const where = position === undefined ? "" : ` at ${position.lat.toFixed(6)}, ${position.lon.toFixed(6)}`;
  if (change.level === null) return `${change.class} no longer seen by ${device}`;
  return `${change.class} seen by ${device}${where} (score ${change.score.toFixed(2)}, level ${change.level})`;
}
