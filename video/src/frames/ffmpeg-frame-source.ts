/**
 * Camera streams decoded by Debian's ffmpeg, driven directly as a child process: the
 * `fluent-ffmpeg` wrapper is archived, and the one command line we need (see
 * `ffmpeg-decode-args.ts`) is easier to own than a wrapper.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type Frame, frameBytes } from "../frame.ts";
import { type BackoffOptions, backoffDelay } from "../reconnect-backoff.ts";
import { VideoError } from "../video-error.ts";
import { type FfmpegDecodeArgsOptions, ffmpegDecodeArgs } from "./ffmpeg-decode-args.ts";
import { RawFrameSplitter } from "./raw-frame-splitter.ts";

export type FrameSourceState =
  | { state: "connecting"; attempt: number }
  | { state: "streaming" }
  | { state: "backoff"; reason: string; error: VideoError; delayMs: number; attempt: number }
  | { state: "closed" };

/** The stream and frame size as ffmpeg is asked for them (`decode` default "all"), and what to do with frames. */
export interface FrameSourceOptions extends FfmpegDecodeArgsOptions {
  onFrame(frame: Frame): void;
  onState?(state: FrameSourceState): void;
  /** No frame for this long while streaming: ffmpeg is killed and restarted. Default 5 s. */
  stallMs?: number;
  /**
   * No first frame this long after ffmpeg started: killed and restarted. Default 15 s: connecting,
   * probing and the first GOP take 2 s for one 720p camera, 4–8 s for 16 starting together on 2 cores.
   */
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Clock for `Frame.ts`, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** [0, 1), for the backoff jitter. Default `Math.random`. */
  random?: () => number;
  /** Default "ffmpeg" (Debian's, on PATH). */
  ffmpegPath?: string;
}

/** Opens a camera stream: ffmpeg starts at once and is restarted with backoff until `close()`. */
export function openFrameSource(options: FrameSourceOptions): FfmpegFrameSource {
  return new FfmpegFrameSource(options);
}

export class FfmpegFrameSource {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #splitter: RawFrameSplitter;
  #seq = 0;
  #attempt = 0;
  #lastProgress = 0;
  #stalled = false;
  #stderrTail = "";
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #stallTimer: NodeJS.Timeout;
  #state: FrameSourceState["state"] = "connecting";

  constructor(readonly options: FrameSourceOptions) {
    const { width, height, fps } = options;
    const url = redactUrl(options.url);
    for (const [key, value] of Object.entries({ width, height, fps })) {
      if (!(Number.isFinite(value) && value > 0)) {
        throw new VideoError("VIDEO_STREAM_INVALID_OPTIONS", `frame source ${url}: ${key} must be > 0, got ${value}`, {
          detail: { url, key, value },
        });
      }
    }
    this.#splitter = new RawFrameSplitter(frameBytes(width, height), (rgb) => this.#frame(rgb));
    const every = Math.min(500, Math.max(20, Math.min(this.#limit("streaming"), this.#limit("connecting")) / 4));
    this.#stallTimer = setInterval(() => this.#checkStall(), every);
    this.#start();
  }

  /** The latest state reported. */
  get state(): FrameSourceState["state"] {
    return this.#state;
  }

  /** The running ffmpeg's pid, if one runs. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  /** Stops for good: kills ffmpeg (SIGTERM, SIGKILL after 2 s) and resolves once it has exited. */
  async close(): Promise<void> {
    if (this.#closed) return this.#exited;
    this.#closed = true;
    clearInterval(this.#stallTimer);
    clearTimeout(this.#retryTimer);
    this.#kill();
    await this.#exited;
    this.#report({ state: "closed" });
  }

  #start(): void {
    if (this.#closed) return;
    this.#seq = 0;
    this.#stalled = false;
    this.#stderrTail = "";
    this.#splitter.reset();
    this.#lastProgress = performance.now();
    this.#report({ state: "connecting", attempt: this.#attempt });
    const child = spawn(this.options.ffmpegPath ?? "ffmpeg", ffmpegDecodeArgs(this.options), {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    child.stdout?.on("data", (chunk: Buffer) => {
      // After close() ffmpeg flushes its filters on the way out: those frames are not wanted.
      if (this.#child === child && !this.#closed) this.#splitter.push(chunk);
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-2_000);
    });
    let spawnError: Error | undefined;
    child.once("error", (err) => (spawnError = err));
    // "close", not "exit": stdout is drained by then, so no frame arrives after the restart.
    this.#exited = new Promise((resolve) =>
      child.once("close", (code, signal) => {
        resolve();
        if (this.#child === child) this.#child = undefined;
        if (!this.#closed) this.#retry(this.#failure(code, signal, spawnError));
      }),
    );
  }

  #frame(rgb: Uint8Array): void {
    this.#lastProgress = performance.now();
    if (this.#state !== "streaming") {
      this.#attempt = 0;
      this.#report({ state: "streaming" });
    }
    const { width, height } = this.options;
    this.options.onFrame({ width, height, rgb, ts: (this.options.now ?? Date.now)(), seq: this.#seq++ });
  }

  /** How long without a frame is a stall, in this state. */
  #limit(state: FrameSourceState["state"]): number {
    return state === "streaming" ? (this.options.stallMs ?? 5_000) : (this.options.connectTimeoutMs ?? 15_000);
  }

  #checkStall(): void {
    if (this.#child === undefined || this.#stalled) return;
    if (performance.now() - this.#lastProgress < this.#limit(this.#state)) return;
    this.#stalled = true;
    this.#kill();
  }

  #failure(code: number | null, signal: string | null, spawnError: Error | undefined): VideoError {
    const url = redactUrl(this.options.url);
    const last = lastLine(this.#stderrTail);
    if (spawnError !== undefined) {
      return new VideoError(
        "VIDEO_STREAM_SPAWN_FAILED",
        `frame source ${url}: cannot run ffmpeg: ${spawnError.message}`,
        // Not attached as cause: a spawn error carries the command line, camera password included.
        { detail: { url } },
      );
    }
    if (this.#stalled) {
      const ms = this.#limit(this.#state);
      const when = this.#state === "streaming" ? "" : " after connecting";
      const message = `frame source ${url}: no frame for ${ms} ms${when}${last ? ` (ffmpeg: ${last})` : ""}`;
      return new VideoError("VIDEO_STREAM_STALLED", message, { detail: { url, timeoutMs: ms, stderr: last } });
    }
    const how = code === null ? `signal ${signal}` : `code ${code}`;
    return new VideoError(
      "VIDEO_STREAM_EXITED",
      `frame source ${url}: ffmpeg exited (${how}): ${last || "no message"}`,
      {
        detail: { url, code, signal, stderr: last },
      },
    );
  }

  #retry(error: VideoError): void {
    const attempt = this.#attempt++;
    const delayMs = backoffDelay(attempt, this.options.backoff, this.options.random);
    const reason = lastLine(this.#stderrTail) || error.message;
    this.#report({ state: "backoff", reason, error, delayMs, attempt });
    this.#retryTimer = setTimeout(() => this.#start(), delayMs);
  }

  #kill(): void {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
    child.once("exit", () => clearTimeout(timer));
  }

  #report(state: FrameSourceState): void {
    this.#state = state.state;
    this.options.onState?.(state);
  }
}

// Our own `-probesize 32` makes ffmpeg say this at every start: it is no reason for anything.
const PROBE_NOISE = /not enough frames to estimate rate/;

/** The last line ffmpeg wrote, with camera passwords masked (ffmpeg repeats the URL in its errors). */
function lastLine(text: string): string {
  const lines = text.split(/\r?\n|\r/).filter((l) => l.trim() !== "" && !PROBE_NOISE.test(l));
  return redactUrl(lines.at(-1)?.trim() ?? "");
}

/** `rtsp://admin:secret@host/` → `rtsp://admin:***@host/`: errors and states end up in logs. */
export function redactUrl(text: string): string {
  return text.replace(/(\w+:\/\/[^/\s:@]*):[^@\s/]*@/g, "$1:***@");
}
