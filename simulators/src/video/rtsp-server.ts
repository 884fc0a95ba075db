import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";

/** A file of concatenated RGB24 frames, looped and encoded live by x264 (zerolatency, one key frame a second). */
export interface RawMountSource {
  kind: "raw";
  file: string;
  width: number;
  height: number;
  fps: number;
}

/** An Annex-B H.264 file without B-frames (see `encodeH264File`), looped without re-encoding. */
export interface H264MountSource {
  kind: "h264";
  file: string;
  fps: number;
}

export interface RtspMount {
  /** e.g. `/cam1` */
  path: string;
  source: RawMountSource | H264MountSource;
}

export interface RtspServerOptions {
  /** Default: a free port chosen by the server. */
  port?: number;
  mounts: readonly RtspMount[];
  /** How long to wait for `ready`. Default 15 s. */
  startTimeoutMs?: number;
}

export interface RtspServer {
  readonly port: number;
  readonly pid: number;
  /** `rtsp://127.0.0.1:<port><path>` */
  url(path: string): string;
  /** Switches the frames a raw mount plays, from its next frame on (the camera sees something else). */
  setScene(path: string, file: string): Promise<void>;
  /** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

const script = join(import.meta.dirname, "..", "..", "python", "rtsp_server.py");

/**
 * Simulated IP cameras: starts `simulators/python/rtsp_server.py` (GStreamer's RTSP server, run by
 * Debian's /usr/bin/python3, which sees python3-gi) and waits until it listens.
 */
export async function startRtspServer(options: RtspServerOptions): Promise<RtspServer> {
  const paths = new Set<string>();
  for (const mount of options.mounts) {
    if (!mount.path.startsWith("/")) throw new RangeError(`RTSP mount path must start with "/", got "${mount.path}"`);
    if (paths.has(mount.path)) throw new RangeError(`RTSP mount ${mount.path} is given twice`);
    paths.add(mount.path);
  }
  const config = {
    port: options.port ?? 0,
    mounts: options.mounts.map((m) => ({ path: m.path, ...m.source })),
  };
  const child = spawn("/usr/bin/python3", [script, JSON.stringify(config)], { stdio: ["pipe", "pipe", "pipe"] });
  const stderr: string[] = [];
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 20) stderr.shift();
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await waitReady(child, lines, stderr, options.startTimeoutMs ?? 15_000);
  return new RtspServerProcess(child, lines, port, stderr);
}

function waitReady(child: ChildProcess, lines: Interface, stderr: string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      child.kill("SIGKILL");
      reject(new Error(`RTSP server ${why}:\n${stderr.join("")}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    const onLine = (line: string) => {
      const match = /^ready (\d+)$/.exec(line);
      if (match === null) return;
      cleanup();
      resolve(Number(match[1]));
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${code ?? signal}) before ready`);
    const onError = (err: Error) => fail(`could not start: ${err.message}`);
    function cleanup() {
      clearTimeout(timer);
      lines.off("line", onLine);
      child.off("exit", onExit);
      child.off("error", onError);
    }
    lines.on("line", onLine);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

class RtspServerProcess implements RtspServer {
  readonly pid: number;
  #replies: Array<(line: string) => void> = [];
  #exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    lines: Interface,
    readonly port: number,
    readonly stderr: string[],
  ) {
    this.pid = child.pid ?? 0;
    // A write after the server died fails with EPIPE; the pending command is answered by the exit below.
    child.stdin?.on("error", () => {});
    // Commands are answered in order, one line each.
    lines.on("line", (line) => this.#replies.shift()?.(line));
    this.#exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    this.#exited.then(() => {
      for (const reply of this.#replies.splice(0)) reply("error the RTSP server has exited");
    });
  }

  url(path: string): string {
    return `rtsp://127.0.0.1:${this.port}${path}`;
  }

  setScene(path: string, file: string): Promise<void> {
    if (/[\r\n]/.test(file)) return Promise.reject(new RangeError(`scene file name has a line break: ${file}`));
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.reject(new Error(`RTSP server: scene ${path} ${file}: the server has exited`));
    }
    return new Promise((resolve, reject) => {
      this.#replies.push((line) => {
        if (line === "ok") resolve();
        else reject(new Error(`RTSP server: scene ${path} ${file}: ${line.replace(/^error /, "")}`));
      });
      this.child.stdin?.write(`scene ${path} ${file}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 3_000);
      await this.#exited;
      clearTimeout(timer);
    }
    this.child.stdin?.destroy();
  }
}
