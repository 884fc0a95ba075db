import { type BackoffOptions, backoffDelay } from "../reconnect-backoff.ts";
import { VideoError } from "../video-error.ts";
import type { OnvifCamera } from "./onvif-camera.ts";
import { onvifError } from "./onvif-error.ts";

export type CameraStatus =
  | { state: "online"; camera: OnvifCamera }
  /** Sent once when the camera goes (or first fails to come) online. */
  | { state: "offline"; reason: VideoError }
  /** Each failed attempt while offline, with the wait before the next one. */
  | { state: "retrying"; attempt: number; delayMs: number; reason: VideoError };

export interface CameraSupervisorOptions {
  /** Names the camera in errors and status. */
  name: string;
  connect: () => Promise<OnvifCamera>;
  /** Liveness check period while online; default 10 s. */
  checkIntervalMs?: number;
  backoff?: BackoffOptions;
  random?: () => number;
  /** Waits `ms` or until `signal` aborts; injectable so tests need not wait (it must not await stop()). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  onStatus?: (status: CameraStatus) => void;
}

/**
 * Keeps one camera connected: connects, checks it is alive, and when it stops answering reports
 * it offline (with the reason) and reconnects with exponential backoff and jitter until stopped.
 */
export class CameraSupervisor {
  readonly #o: CameraSupervisorOptions;
  readonly #abort = new AbortController();
  #camera: OnvifCamera | undefined;
  #state: "connecting" | "online" | "offline" | "stopped" = "connecting";
  #running: Promise<void> | undefined;

  constructor(options: CameraSupervisorOptions) {
    this.#o = options;
  }

  get state(): "connecting" | "online" | "offline" | "stopped" {
    return this.#state;
  }

  /** The connected camera while online. */
  get camera(): OnvifCamera | undefined {
    return this.#camera;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
    await this.#camera?.close();
    this.#camera = undefined;
    this.#state = "stopped";
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      try {
        this.#camera = await this.#o.connect();
      } catch (err) {
        if (signal.aborted) return;
        attempt++;
        const reason = onvifError(err, this.#o.name, "connect");
        this.#goOffline(reason);
        const delayMs = backoffDelay(attempt - 1, this.#o.backoff, this.#o.random);
        this.#o.onStatus?.({ state: "retrying", attempt, delayMs, reason });
        await this.#sleep(delayMs);
        continue;
      }
      if (signal.aborted) return;
      attempt = 0;
      this.#state = "online";
      this.#o.onStatus?.({ state: "online", camera: this.#camera });
      const reason = await this.#watch(this.#camera);
      if (reason === undefined) return;
      await this.#camera.close();
      this.#camera = undefined;
      this.#goOffline(reason);
    }
  }

  /** Resolves with why the camera stopped answering, or undefined when the supervisor was stopped. */
  async #watch(camera: OnvifCamera): Promise<VideoError | undefined> {
    while (!this.#abort.signal.aborted) {
      await this.#sleep(this.#o.checkIntervalMs ?? 10_000);
      if (this.#abort.signal.aborted) return undefined;
      try {
        await camera.ping();
      } catch (err) {
        return err instanceof VideoError ? err : onvifError(err, this.#o.name, "ping");
      }
    }
    return undefined;
  }

  #goOffline(reason: VideoError): void {
    if (this.#state === "offline") return;
    this.#state = "offline";
    this.#o.onStatus?.({ state: "offline", reason });
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#abort.signal;
    if (this.#o.sleep) return this.#o.sleep(ms, signal);
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }
}
