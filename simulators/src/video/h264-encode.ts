import { spawn } from "node:child_process";

export interface EncodeH264Options {
  /** Packed RGB24 frames, `width * height * 3` bytes each. Give these or `rawFile`. */
  frames?: readonly Uint8Array[];
  /** A file of concatenated RGB24 frames (see `writeRawFrames`). */
  rawFile?: string;
  width: number;
  height: number;
  fps: number;
  /** The Annex-B elementary stream written, e.g. `cam.h264`. */
  out: string;
  /** Frames from one key frame to the next. Default: `fps` (one a second, as most IP cameras ship). */
  gop?: number;
  /** x264 constant rate factor. Default 23. */
  crf?: number;
}

/**
 * Encodes RGB24 frames into an H.264 Annex-B file with Debian's ffmpeg (libx264) for the RTSP
 * server's `h264` mounts. No B-frames: the server stamps access units in file order, so decode
 * order must be presentation order; a fixed GOP (no scene-cut key frames) so that the key-frame
 * interval a decoder sees is the one asked for.
 */
export async function encodeH264File(options: EncodeH264Options): Promise<void> {
  const { frames, rawFile, width, height, fps, out } = options;
  if ((frames === undefined) === (rawFile === undefined)) {
    throw new RangeError(`encodeH264File ${out}: give exactly one of frames and rawFile`);
  }
  const size = width * height * 3;
  const bad = frames?.findIndex((f) => f.byteLength !== size) ?? -1;
  if (bad >= 0) throw new RangeError(`encodeH264File ${out}: frame ${bad} is not ${width}x${height} RGB24`);
  const gop = options.gop ?? fps;
  const args = ["-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"];
  args.push("-video_size", `${width}x${height}`, "-framerate", String(fps), "-i", rawFile ?? "pipe:0");
  args.push("-c:v", "libx264", "-preset", "veryfast", "-crf", String(options.crf ?? 23), "-pix_fmt", "yuv420p");
  args.push("-bf", "0", "-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0", "-f", "h264", out);
  const child = spawn("ffmpeg", args, { stdio: [frames ? "pipe" : "ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(code));
  });
  if (frames && child.stdin) {
    const stdin = child.stdin;
    stdin.on("error", () => {}); // ffmpeg failing early closes the pipe; its exit code tells why
    for (const frame of frames) {
      if (!stdin.write(frame)) await Promise.race([new Promise((resolve) => stdin.once("drain", resolve)), exited]);
      if (child.exitCode !== null) break;
    }
    stdin.end();
  }
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg could not encode ${out} (exit ${code}): ${stderr.trim()}`);
}
