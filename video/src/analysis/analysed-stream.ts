import type { CapturePosition, Logger, VideoAnalysisConfig } from "@lifeline/contracts";
import { type FfmpegFrameSource, openFrameSource } from "../frames/ffmpeg-frame-source.ts";
import { StreamAnalyzer, type StreamReadings } from "./stream-analyzer.ts";
import type { VideoRuntime } from "./video-runtime.ts";

export interface AnalysedStreamOptions {
  runtime: VideoRuntime;
  site: string;
  device: string;
  url: string;
  analysis: VideoAnalysisConfig;
  readings: StreamReadings;
  snapshot?: () => Promise<Uint8Array | undefined>;
  positionAt?: (ts: number) => CapturePosition | undefined;
  /** No frame for this long: ffmpeg is restarted (default 3 frame intervals, at least 5 s). */
  stallMs?: number;
  now?: () => number;
  log?: Logger;
}

/** One video stream under analysis: ffmpeg's sampled frames fed to a stream analyzer. */
export interface AnalysedStream {
  readonly analyzer: StreamAnalyzer;
  readonly source: FfmpegFrameSource;
  close(): Promise<void>;
}

/** Loads (or shares) the stream's model, then starts decoding; frames are analysed in order. */
export async function analyseStream(o: AnalysedStreamOptions): Promise<AnalysedStream> {
  const { model, scheduler } = await o.runtime.model(o.analysis.model);
  const analyzer = new StreamAnalyzer({
    site: o.site,
    device: o.device,
    analysis: o.analysis,
    scheduler,
    outbox: o.runtime.outbox,
    readings: o.readings,
    model: model.name,
    ...(o.snapshot === undefined ? {} : { snapshot: o.snapshot }),
    ...(o.positionAt === undefined ? {} : { positionAt: o.positionAt }),
    ...(o.now === undefined ? {} : { now: o.now }),
    ...(o.log === undefined ? {} : { log: o.log }),
  });
  const { fps, width, height, decode } = o.analysis.sampling;
  const source = openFrameSource({
    url: o.url,
    fps,
    width,
    height,
    decode,
    transport: "tcp",
    stallMs: o.stallMs ?? Math.max(5_000, 3_000 / fps),
    onFrame: (frame) => analyzer.offer(frame),
    onState: (state) => analyzer.state(state),
    ...(o.now === undefined ? {} : { now: o.now }),
  });
  return {
    analyzer,
    source,
    async close() {
      await source.close();
      await analyzer.idle();
      await analyzer.settled();
    },
  };
}
