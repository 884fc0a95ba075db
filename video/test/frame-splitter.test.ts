import { describe, expect, it } from "vitest";
import { ffmpegDecodeArgs } from "../src/frames/ffmpeg-decode-args.ts";
import { redactUrl } from "../src/frames/ffmpeg-frame-source.ts";
import { RawFrameSplitter } from "../src/frames/raw-frame-splitter.ts";
import { backoffDelay } from "../src/reconnect-backoff.ts";

describe("RawFrameSplitter", () => {
  const bytes = (from: number, to: number) => Uint8Array.from({ length: to - from }, (_, i) => (from + i) % 256);

  it("cuts chunks that straddle frame boundaries into exact frames, in order", () => {
    const frames: Uint8Array[] = [];
    const splitter = new RawFrameSplitter(6, (f) => frames.push(f));
    // 20 bytes in chunks of 4, 1, 9 (two boundaries inside), 6: three frames and 2 bytes left over.
    for (const [from, to] of [
      [0, 4],
      [4, 5],
      [5, 14],
      [14, 20],
    ] as const)
      splitter.push(bytes(from, to));
    expect(frames.map((f) => [...f])).toEqual([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10, 11],
      [12, 13, 14, 15, 16, 17],
    ]);
    expect(splitter.pending).toBe(2);
  });

  it("hands each frame over in memory of its own, not a view of the chunk or of the next frame", () => {
    const frames: Uint8Array[] = [];
    const splitter = new RawFrameSplitter(4, (f) => frames.push(f));
    const chunk = bytes(0, 8);
    splitter.push(chunk);
    chunk.fill(99);
    splitter.push(bytes(8, 12));
    expect(frames.map((f) => [...f])).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(3);
  });

  it("drops a partial frame on reset (the stream restarted mid-frame)", () => {
    const frames: Uint8Array[] = [];
    const splitter = new RawFrameSplitter(4, (f) => frames.push(f));
    splitter.push(bytes(0, 3));
    splitter.reset();
    splitter.push(bytes(10, 14));
    expect(frames.map((f) => [...f])).toEqual([[10, 11, 12, 13]]);
  });

  it("rejects a frame size that is not a positive integer", () => {
    expect(() => new RawFrameSplitter(0, () => {})).toThrow("frame size must be a positive integer, got 0");
  });
});

describe("backoffDelay: exponential backoff with full jitter", () => {
  it("draws uniformly below base · 2^attempt, capped at max", () => {
    const half = () => 0.5;
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, { baseMs: 100, maxMs: 1_000 }, half))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    expect(backoffDelay(0, { baseMs: 100 }, () => 0)).toBe(0);
    expect(backoffDelay(4, { baseMs: 100, maxMs: 10_000 }, () => 0.999)).toBe(1598);
    expect(backoffDelay(1_000, {}, () => 0.5)).toBe(15_000);
  });
});

describe("ffmpegDecodeArgs", () => {
  const base = { url: "rtsp://cam/1", fps: 1, width: 224, height: 224 };

  it("decodes everything by default, over TCP, sampled and scaled to packed RGB24 on stdout", () => {
    expect(ffmpegDecodeArgs(base).join(" ")).toBe(
      "-hide_banner -nostdin -loglevel warning -rtsp_transport tcp -probesize 32 -analyzeduration 0 " +
        "-i rtsp://cam/1 -an -sn -dn -vf fps=1,scale=224:224:flags=bilinear -f rawvideo -pix_fmt rgb24 pipe:1",
    );
  });

  it("skips non-key frames as a decoder option, before -i; no RTSP transport for a file", () => {
    const args = ffmpegDecodeArgs({ ...base, url: "/tmp/cam.h264", decode: "keyframes" });
    expect(args.slice(4, 12)).toEqual([
      "-probesize",
      "32",
      "-analyzeduration",
      "0",
      "-skip_frame",
      "nokey",
      "-i",
      "/tmp/cam.h264",
    ]);
    expect(args).not.toContain("-rtsp_transport");
  });
});

describe("redactUrl", () => {
  it("masks the password of every URL in a message and leaves the rest", () => {
    expect(redactUrl("[tcp @ 0x1] rtsp://admin:pit-cam-7@10.0.0.5:554/pit: Connection refused")).toBe(
      "[tcp @ 0x1] rtsp://admin:***@10.0.0.5:554/pit: Connection refused",
    );
    expect(redactUrl("rtsp://10.0.0.5:554/pit and rtsp://u@h/x")).toBe("rtsp://10.0.0.5:554/pit and rtsp://u@h/x");
  });
});
