import { join } from "node:path";
import { type Logger, silentLogger, type VideoModelConfig } from "@lifeline/contracts";
import type { NatsConnection } from "@nats-io/transport-node";
import { RecordingStore } from "../evidence/recording-store.ts";
import { VideoError } from "../video-error.ts";
import { BatchScheduler } from "./batch-scheduler.ts";
import { EvidenceOutbox } from "./evidence-outbox.ts";
import { type FrameModel, loadFrameModel } from "./frame-models.ts";
import type { FrameScores, ScoreJob } from "./stream-analyzer.ts";

export interface VideoRuntimeOptions {
  /** The agent's data folder; evidence waiting for the uplink is kept in `<dataDir>/evidence`. */
  dataDir: string;
  /** How evidence reaches NATS; without it, evidence waits on disk and an error says why. */
  connectNats?: (() => Promise<NatsConnection>) | undefined;
  /** Disk all cameras' recordings may use together, oldest segment deleted first (default 20 GiB). */
  recordingMaxBytes?: number;
  /** Frames per model run (default 16) and how long a partial batch waits (default 20 ms). */
  maxBatch?: number;
  lingerMs?: number;
  log?: Logger;
}

export interface LoadedModel {
  model: FrameModel;
  scheduler: BatchScheduler<ScoreJob, FrameScores>;
}

/**
 * What the video streams of one edge agent share: one loaded model and one batch scheduler per
 * model (frames of all cameras are batched together), and one evidence outbox.
 */
export class VideoRuntime {
  readonly outbox: EvidenceOutbox;
  readonly #o: VideoRuntimeOptions;
  readonly #models = new Map<string, Promise<LoadedModel>>();
  #recordings: RecordingStore | undefined;

  private constructor(options: VideoRuntimeOptions, outbox: EvidenceOutbox) {
    this.#o = options;
    this.outbox = outbox;
  }

  static async open(options: VideoRuntimeOptions): Promise<VideoRuntime> {
    const connect =
      options.connectNats ??
      (() =>
        Promise.reject(
          new VideoError(
            "VIDEO_EVIDENCE_NO_UPLINK",
            "video evidence needs NATS: give the agent a NATS uplink or the evidence NATS URL",
          ),
        ));
    const outbox = await EvidenceOutbox.open({
      dir: join(options.dataDir, "evidence"),
      connect,
      log: options.log ?? silentLogger,
    });
    return new VideoRuntime(options, outbox);
  }

  /** The model a stream names, loaded once and shared. */
  model(config: VideoModelConfig): Promise<LoadedModel> {
    const key = JSON.stringify(config);
    let loaded = this.#models.get(key);
    if (loaded === undefined) {
      loaded = loadFrameModel(config).then((model) => ({
        model,
        scheduler: new BatchScheduler<ScoreJob, FrameScores>({
          run: (jobs) => model.run(jobs),
          maxBatch: this.#o.maxBatch ?? 16,
          lingerMs: this.#o.lingerMs ?? 20,
        }),
      }));
      loaded.catch(() => this.#models.delete(key));
      this.#models.set(key, loaded);
    }
    return loaded;
  }

  /** Continuous recording of the cameras that ask for it, capped by disk size across all of them. */
  get recordings(): RecordingStore {
    this.#recordings ??= new RecordingStore({
      dir: join(this.#o.dataDir, "recordings"),
      maxBytes: this.#o.recordingMaxBytes ?? 20 * 1024 ** 3,
    });
    return this.#recordings;
  }

  stats(): Record<string, unknown> {
    return { evidence: this.outbox.stats(), recordings: this.#recordings?.counters };
  }

  async close(): Promise<void> {
    await this.#recordings?.close();
    await this.outbox.close();
    for (const loaded of this.#models.values()) {
      await loaded.then((l) => l.model.release()).catch(() => undefined);
    }
    this.#models.clear();
  }
}
