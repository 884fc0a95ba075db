export type DecodeMode = "all" | "keyframes";

export interface FfmpegDecodeArgsOptions {
  url: string;
  /** Frames a second delivered (ffmpeg's `fps` filter drops or repeats to this rate). */
  fps: number;
  width: number;
  height: number;
  transport?: "tcp" | "udp";
  decode?: DecodeMode;
}

/**
 * The ffmpeg command line that turns a camera stream into packed RGB24 frames on stdout.
 *
 * decode "keyframes" adds `-skip_frame nokey` (before `-i`: a decoder option): only IDR pictures
 * are decoded, the P-frames between them are parsed and thrown away, which is far cheaper than
 * decoding everything and keeping one frame a second. It only gives the asked-for rate when the
 * camera's key-frame interval (GOP) is at most 1/fps seconds; with a longer GOP the `fps` filter
 * repeats the last key frame, and motion between key frames is never seen. "all" decodes every
 * frame and samples evenly, whatever the GOP.
 *
 * `-probesize 32 -analyzeduration 0`: start at once instead of buffering seconds of stream to
 * guess parameters (the SDP carries SPS/PPS, and ffmpeg sets up the filters on the first decoded
 * frame), so frames arrive paced from the first one, not in a burst.
 */
export function ffmpegDecodeArgs(options: FfmpegDecodeArgsOptions): string[] {
  const { url, fps, width, height } = options;
  const args = ["-hide_banner", "-nostdin", "-loglevel", "warning"];
  if (url.startsWith("rtsp://") || url.startsWith("rtsps://")) {
    args.push("-rtsp_transport", options.transport ?? "tcp");
  }
  args.push("-probesize", "32", "-analyzeduration", "0");
  if (options.decode === "keyframes") args.push("-skip_frame", "nokey");
  args.push("-i", url, "-an", "-sn", "-dn");
  args.push("-vf", `fps=${fps},scale=${width}:${height}:flags=bilinear`);
  args.push("-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1");
  return args;
}
