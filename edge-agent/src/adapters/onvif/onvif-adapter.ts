import type { Logger, OnvifCameraConfig } from "@lifeline/contracts";
import type { AnalysedStream, CameraSupervisor, OnvifCamera, VideoRuntime } from "@lifeline/video";
import type { Clock, ReadingSink, StreamingAdapter } from "../../adapter.ts";
import { AdapterError } from "../../adapter-error.ts";

export interface OnvifAdapterOptions {
  site: string;
  video: () => Promise<VideoRuntime>;
  env: Record<string, string | undefined>;
  clock: Clock;
  log: Logger;
}

/**
 * An ONVIF camera: kept connected by a supervisor (GetSystemDateAndTime first, then profiles and
 * the stream URI; reconnection with backoff), its RTSP stream decoded and analysed (motion gate,
 * model, detections → alerts with the camera's own snapshot, taken after turning to the alert
 * preset), its motion and tamper events (PullPoint) as readings.
 */
export class OnvifAdapter implements StreamingAdapter {
  readonly kind = "streaming";
  readonly id: string;
  readonly #config: OnvifCameraConfig;
  readonly #o: OnvifAdapterOptions;
  #supervisor: CameraSupervisor | undefined;
  #stream: AnalysedStream | undefined;
  #streamUrl: string | undefined;
  #events: { stop(): Promise<void> } | undefined;
  #closed = false;

  constructor(config: OnvifCameraConfig, options: OnvifAdapterOptions) {
    this.id = config.id;
    this.#config = config;
    this.#o = options;
  }

  async start(sink: ReadingSink): Promise<void> {
    const password = this.#o.env[this.#config.passwordEnv];
    if (password === undefined) {
      throw new AdapterError("EDGE_ONVIF_NO_PASSWORD", `environment variable ${this.#config.passwordEnv} is not set`, {
        device: this.id,
      });
    }
    const video = await import("@lifeline/video");
    const runtime = await this.#o.video();
    this.#supervisor = new video.CameraSupervisor({
      name: this.id,
      connect: () => video.connectCamera({ url: this.#config.url, username: this.#config.username, password }),
      onStatus: (status) => {
        if (status.state === "online") {
          void this.#online(status.camera, sink, runtime, password).catch((error: unknown) =>
            sink.error(this.#error("EDGE_ONVIF_STREAM", "stream not started", error)),
          );
        } else if (status.state === "offline") {
          sink.error(this.#error("EDGE_ONVIF_OFFLINE", status.reason.message, status.reason));
        }
      },
    });
    this.#supervisor.start();
  }

  /** On (re)connection: the stream (kept if its URI did not change: ffmpeg reconnects by itself) and events. */
  async #online(camera: OnvifCamera, sink: ReadingSink, runtime: VideoRuntime, password: string): Promise<void> {
    const url = withCredentials(await camera.streamUri(this.#config.profile), this.#config.username, password);
    if (this.#closed) return;
    if (this.#stream === undefined || url !== this.#streamUrl) {
      const old = this.#stream;
      this.#stream = undefined;
      await old?.close();
      if (this.#config.record) {
        if (this.#streamUrl !== undefined) await runtime.recordings.stop(this.id);
        await runtime.recordings.start(this.id, { url });
      }
      const { analyseStream } = await import("@lifeline/video");
      this.#streamUrl = url;
      this.#stream = await analyseStream({
        runtime,
        site: this.#o.site,
        device: this.id,
        url,
        analysis: this.#config.analysis,
        readings: sink,
        snapshot: () => this.#evidencePicture(),
        now: this.#o.clock,
        log: this.#o.log,
      });
    }
    if (this.#config.events) {
      await this.#events?.stop().catch(() => undefined);
      this.#events = camera.pullEvents((e) => {
        if (e.kind === "other") return;
        sink.readings(this.id, [{ metric: e.kind, ts: e.at, value: e.state ? 1 : 0, unit: "1", quality: "good" }]);
      });
    }
  }

  /** Turns to the alert preset (when there is one) and takes the camera's own full-size snapshot. */
  async #evidencePicture(): Promise<Uint8Array | undefined> {
    const camera = this.#supervisor?.camera;
    if (camera === undefined) return undefined;
    if (this.#config.alertPreset !== undefined) await camera.gotoPreset(this.#config.alertPreset, this.#config.profile);
    return camera.snapshot(this.#config.profile);
  }

  #error(code: `EDGE_${string}`, message: string, cause: unknown): AdapterError {
    const detail = cause instanceof Error && cause.message !== message ? `: ${cause.message}` : "";
    return new AdapterError(code, `${message}${detail}`, { device: this.id }, cause);
  }

  stats(): Record<string, unknown> {
    return { camera: this.#supervisor?.state, stream: this.#stream?.analyzer.stats() };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#events?.stop().catch(() => undefined);
    await this.#stream?.close();
    if (this.#config.record && this.#streamUrl !== undefined) {
      await this.#o
        .video()
        .then((v) => v.recordings.stop(this.id))
        .catch(() => undefined);
    }
    await this.#supervisor?.stop();
  }
}

/** RTSP needs the camera's credentials too; ONVIF's stream URI does not carry them. */
function withCredentials(uri: string, username: string, password: string): string {
  const url = new URL(uri);
  if (url.username !== "") return uri;
  url.username = username;
  url.password = password;
  return url.toString();
}
