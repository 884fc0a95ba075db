import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { VideoError } from "../video-error.ts";
import { checkEvidenceName } from "./snapshot-id.ts";

export interface RecordingStoreOptions {
  /** Segments go to `<dir>/<camera>/<YYYYMMDDTHHMMSS>.mp4` (UTC). */
  readonly dir: string;
  /** Cap on all cameras' segments together; the oldest segment goes first, never one being written. */
  readonly maxBytes: number;
  /** Segment length in seconds (cut at the next keyframe). Default 60, at least 1 (names have 1 s resolution). */
  readonly segmentSeconds?: number;
  /** How often the cap is checked. Default 5000 ms. */
  readonly enforceEveryMs?: number;
  /** Delay before restarting an ffmpeg that exited on its own. Default 5000 ms. */
  readonly restartDelayMs?: number;
  readonly ffmpegPath?: string;
}

export interface RecordingSource {
  /** Any ffmpeg input: `rtsp://…`, a file, a lavfi graph. */
  readonly url: string;
  /** Input options before `-i`. Default for rtsp:// is `-rtsp_transport tcp`, else none. */
  readonly inputArgs?: readonly string[];
}

export interface RecordingSegment {
  readonly camera: string;
  readonly file: string;
  readonly path: string;
  readonly bytes: number;
  /** Being written by a running ffmpeg: never deleted by the cap. */
  readonly active: boolean;
}

export interface RecordingCounters {
  deleted: number;
  deletedBytes: number;
  /** ffmpeg processes that exited on their own and were started again. */
  restarts: number;
}

interface Recorder {
  source: RecordingSource;
  process: ChildProcess | undefined;
  stopping: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  lastError: string;
}

const SEGMENT = /^\d{8}T\d{6}\.mp4$/;

/**
 * Continuous recording by ffmpeg stream copy (no decode) into fixed-length segments, one ffmpeg
 * per camera, restarted when it exits. Segments are fragmented MP4 so that the one being written is
 * playable and survives a crash of ffmpeg or of the box.
 */
export class RecordingStore {
  readonly counters: RecordingCounters = { deleted: 0, deletedBytes: 0, restarts: 0 };
  private readonly root: string;
  private readonly recorders = new Map<string, Recorder>();
  private timer: NodeJS.Timeout | undefined;
  private enforcing: Promise<number> | undefined;

  constructor(private readonly options: RecordingStoreOptions) {
    this.root = resolve(options.dir);
    const segmentSeconds = options.segmentSeconds ?? 60;
    if (!(options.maxBytes > 0) || !(segmentSeconds >= 1)) {
      throw new VideoError(
        "VIDEO_EVIDENCE_BAD_OPTIONS",
        `recording store ${options.dir}: maxBytes > 0 and segmentSeconds ≥ 1`,
        {
          detail: { maxBytes: options.maxBytes, segmentSeconds },
        },
      );
    }
  }

  async start(camera: string, source: RecordingSource): Promise<void> {
    checkEvidenceName("camera", camera);
    if (this.recorders.has(camera)) {
      throw new VideoError("VIDEO_EVIDENCE_ALREADY_RECORDING", `camera ${camera} is already being recorded`, {
        detail: { camera },
      });
    }
    await mkdir(join(this.root, camera), { recursive: true });
    const recorder: Recorder = { source, process: undefined, stopping: false, restartTimer: undefined, lastError: "" };
    this.recorders.set(camera, recorder);
    this.launch(camera, recorder);
    this.timer ??= setInterval(() => void this.enforce().catch(() => {}), this.options.enforceEveryMs ?? 5000);
  }

  /** Stops a camera's ffmpeg (SIGINT lets it close the segment); SIGKILL after 5 s. */
  async stop(camera: string): Promise<void> {
    const recorder = this.recorders.get(camera);
    if (recorder === undefined) return;
    recorder.stopping = true;
    clearTimeout(recorder.restartTimer);
    const child = recorder.process;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((done) => child.once("exit", () => done()));
      child.kill("SIGINT");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
    this.recorders.delete(camera);
    if (this.recorders.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.recorders.keys()].map((camera) => this.stop(camera)));
    await this.enforcing;
  }

  /** Last stderr line of a camera's ffmpeg (why it stopped, typically). */
  lastError(camera: string): string | undefined {
    return this.recorders.get(camera)?.lastError;
  }

  /** All segments on disk, oldest first (across cameras, by the UTC time in their names). */
  async segments(): Promise<RecordingSegment[]> {
    const found: RecordingSegment[] = [];
    const cameras = (await readdir(this.root, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory());
    for (const { name: camera } of cameras) {
      const files = (await readdir(join(this.root, camera))).filter((f) => SEGMENT.test(f)).sort();
      const running = this.recorders.get(camera)?.process !== undefined;
      for (const [i, file] of files.entries()) {
        const path = join(this.root, camera, file);
        const bytes = await sizeOf(path);
        if (bytes === undefined) continue;
        found.push({ camera, file, path, bytes, active: running && i === files.length - 1 });
      }
    }
    return found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.camera < b.camera ? -1 : 1));
  }

  /** Deletes the oldest inactive segments until all fit in `maxBytes`; returns how many went. */
  enforce(): Promise<number> {
    this.enforcing ??= this.enforceOnce().finally(() => {
      this.enforcing = undefined;
    });
    return this.enforcing;
  }

  private async enforceOnce(): Promise<number> {
    const all = await this.segments();
    let total = all.reduce((sum, s) => sum + s.bytes, 0);
    let deleted = 0;
    for (const segment of all) {
      if (total <= this.options.maxBytes) break;
      if (segment.active) continue;
      await rm(segment.path, { force: true });
      total -= segment.bytes;
      deleted++;
      this.counters.deleted++;
      this.counters.deletedBytes += segment.bytes;
    }
    return deleted;
  }

  private launch(camera: string, recorder: Recorder): void {
    const { url, inputArgs } = recorder.source;
    const input =
      inputArgs ?? (url.startsWith("rtsp://") || url.startsWith("rtsps://") ? ["-rtsp_transport", "tcp"] : []);
    const args = [
      ...["-hide_banner", "-nostdin", "-loglevel", "error"],
      ...input,
      ...["-i", url, "-map", "0", "-c", "copy", "-f", "segment"],
      ...["-segment_time", String(this.options.segmentSeconds ?? 60), "-reset_timestamps", "1", "-strftime", "1"],
      // Fragmented MP4 flushed per fragment: the segment being written is on disk up to its last
      // keyframe (ffmpeg otherwise holds 32 KB in its buffer, seconds of a low-bitrate stream).
      "-segment_format",
      "mp4",
      "-segment_format_options",
      "movflags=+frag_keyframe+empty_moov+default_base_moof:flush_packets=1",
      join(this.root, camera, "%Y%m%dT%H%M%S.mp4"),
    ];
    // TZ=UTC: strftime names are then comparable across cameras and unambiguous at DST changes.
    const child = spawn(this.options.ffmpegPath ?? "ffmpeg", args, {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, TZ: "UTC" },
    });
    recorder.process = child;
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      const line = chunk.trim().split("\n").pop();
      if (line) recorder.lastError = line;
    });
    child.on("error", (error) => {
      recorder.lastError = error.message;
    });
    child.on("exit", () => {
      recorder.process = undefined;
      if (recorder.stopping) return;
      recorder.restartTimer = setTimeout(() => {
        this.counters.restarts++;
        this.launch(camera, recorder);
      }, this.options.restartDelayMs ?? 5000);
    });
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined; // deleted meanwhile
  }
}
