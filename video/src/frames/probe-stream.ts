import { execFile } from "node:child_process";
import { VideoError } from "../video-error.ts";
import { redactUrl } from "./ffmpeg-frame-source.ts";

export interface StreamInfo {
  /** ffprobe's codec name, e.g. "h264", "hevc". */
  codec: string;
  width: number;
  height: number;
  /** Nominal frames a second (r_frame_rate), `undefined` when the stream does not say. */
  fps: number | undefined;
}

export interface ProbeOptions {
  transport?: "tcp" | "udp";
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default "ffprobe". */
  ffprobePath?: string;
}

/** What a camera sends on its first video stream, asked of Debian's ffprobe. */
export async function probeStream(url: string, options: ProbeOptions = {}): Promise<StreamInfo> {
  const args = ["-v", "error", "-select_streams", "v:0"];
  if (url.startsWith("rtsp://") || url.startsWith("rtsps://")) args.push("-rtsp_transport", options.transport ?? "tcp");
  args.push("-show_entries", "stream=codec_name,width,height,r_frame_rate,avg_frame_rate", "-of", "json", url);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      options.ffprobePath ?? "ffprobe",
      args,
      { timeout: options.timeoutMs ?? 10_000, killSignal: "SIGKILL" },
      (err, out, stderr) => {
        if (err === null) return resolve(out);
        // Not attached as cause: execFile's error carries the command line, camera password included.
        const why = redactUrl(stderr.trim().split("\n").at(-1) || err.message);
        const shown = redactUrl(url);
        reject(new VideoError("VIDEO_STREAM_PROBE_FAILED", `ffprobe ${shown}: ${why}`, { detail: { url: shown } }));
      },
    );
  });
  const stream = (JSON.parse(stdout) as { streams?: Record<string, unknown>[] }).streams?.[0];
  if (stream === undefined || typeof stream.codec_name !== "string") {
    const shown = redactUrl(url);
    throw new VideoError("VIDEO_STREAM_PROBE_FAILED", `ffprobe ${shown}: no video stream`, { detail: { url: shown } });
  }
  return {
    codec: stream.codec_name,
    width: Number(stream.width),
    height: Number(stream.height),
    fps: rate(stream.avg_frame_rate) ?? rate(stream.r_frame_rate),
  };
}

/** "25/1" → 25; "0/0" → undefined. */
function rate(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const [num, den] = value.split("/").map(Number);
  if (num === undefined || den === undefined || !(num > 0 && den > 0)) return undefined;
  return num / den;
}
