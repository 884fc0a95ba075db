import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The simulated cameras, from the simulators package by path: its test pattern is not in its index.
import { writeRawFrames } from "../../simulators/src/video/rtsp-raw-frames.ts";
import { type RtspServer, startRtspServer } from "../../simulators/src/video/rtsp-server.ts";
import { solidFrame } from "../../simulators/src/video/rtsp-test-pattern.ts";
import type { Frame } from "../src/frame.ts";
import { type FrameSourceState, openFrameSource } from "../src/frames/ffmpeg-frame-source.ts";

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("FfmpegFrameSource: dropped streams", () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "frame-source-reconnect-"));
    file = join(dir, "grey.rgb");
    await writeRawFrames(file, [solidFrame(64, 48, [128, 128, 128])]);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("backs off while the camera is down and streams again, from seq 0, once it is back on the same port", async () => {
    const port = await freePort();
    const mounts = [{ path: "/cam", source: { kind: "raw" as const, file, width: 64, height: 48, fps: 10 } }];
    let server: RtspServer = await startRtspServer({ port, mounts });
    const frames: Frame[] = [];
    const states: FrameSourceState[] = [];
    const source = openFrameSource({
      url: server.url("/cam"),
      fps: 10,
      width: 64,
      height: 48,
      backoff: { baseMs: 100, maxMs: 400 },
      random: () => 0.5,
      onFrame: (f) => frames.push(f),
      onState: (s) => states.push(s),
    });
    try {
      await until("frames", () => frames.length >= 5);
      await server.stop();
      const before = frames.length;
      await until("three failed reconnects", () => states.filter((s) => s.state === "backoff").length >= 3);
      server = await startRtspServer({ port, mounts });
      // Frames again from the new connection (seq from 0): the old ffmpeg's last frames, still in
      // its pipe when the server stopped, must not count.
      const restarted = () => frames.findIndex((f, i) => i > 0 && f.seq === 0);
      await until("frames again", () => restarted() > 0 && frames.length >= restarted() + 5);

      const backoffs = states.filter((s) => s.state === "backoff");
      // random 0.5: half of min(400, 100 · 2^attempt).
      expect(backoffs.slice(0, 3).map((s) => [s.attempt, s.delayMs])).toEqual([
        [0, 50],
        [1, 100],
        [2, 200],
      ]);
      // The first: the server went away under ffmpeg; the next: nobody listens on the port.
      expect(backoffs[0]?.error.code).toBe("VIDEO_STREAM_EXITED");
      expect(backoffs[1]?.error.code).toBe("VIDEO_STREAM_EXITED");
      expect(backoffs[1]?.reason).toMatch(/Connection refused/);
      const resumed = states.findLastIndex((s) => s.state === "streaming");
      expect(states.slice(resumed - 1, resumed + 1).map((s) => s.state)).toEqual(["connecting", "streaming"]);
      expect(states[resumed - 1]).toMatchObject({ attempt: backoffs.length });
      // Frames the old ffmpeg had in its pipe may still arrive after the server stopped: the
      // reconnection is where seq starts again at 0, at or after `before`.
      const restart = frames.findIndex((f, i) => i > 0 && f.seq === 0);
      expect(restart).toBeGreaterThanOrEqual(before);
      expect(frames.slice(restart).map((f) => f.seq)).toEqual(frames.slice(restart).map((_, i) => i));
      expect(frames.slice(0, restart).map((f) => f.seq)).toEqual(frames.slice(0, restart).map((_, i) => i));
    } finally {
      await source.close();
      await server.stop();
    }
    expect(source.pid).toBeUndefined();
  });

  it("restarts ffmpeg when a streaming camera freezes, and streams again once it thaws", async () => {
    const server = await startRtspServer({
      mounts: [{ path: "/cam", source: { kind: "raw", file, width: 64, height: 48, fps: 10 } }],
    });
    const frames: Frame[] = [];
    const states: FrameSourceState[] = [];
    const source = openFrameSource({
      url: server.url("/cam"),
      fps: 10,
      width: 64,
      height: 48,
      stallMs: 800,
      connectTimeoutMs: 3_000,
      random: () => 0,
      onFrame: (f) => frames.push(f),
      onState: (s) => states.push(s),
    });
    try {
      await until("frames", () => frames.length >= 3);
      process.kill(server.pid, "SIGSTOP"); // the camera hangs with its connections open
      await until("a stall", () => states.some((s) => s.state === "backoff"));
      process.kill(server.pid, "SIGCONT");
      const before = frames.length;
      await until("frames again", () => frames.length >= before + 3);
    } finally {
      process.kill(server.pid, "SIGCONT");
      await source.close();
      await server.stop();
    }
    const stall = states.find((s) => s.state === "backoff");
    expect(stall?.state === "backoff" && [stall.error.code, stall.error.message.split(" (ffmpeg: ")[0]]).toEqual([
      "VIDEO_STREAM_STALLED",
      `frame source ${server.url("/cam")}: no frame for 800 ms`,
    ]);
    expect(states.filter((s) => s.state === "streaming").length).toBe(2);
  });

  it("kills and restarts ffmpeg when a camera accepts the connection but sends nothing", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const port = (silent.address() as { port: number }).port;
    const states: FrameSourceState[] = [];
    const source = openFrameSource({
      url: `rtsp://127.0.0.1:${port}/cam`,
      fps: 1,
      width: 8,
      height: 8,
      connectTimeoutMs: 600,
      random: () => 0,
      onFrame: () => {},
      onState: (s) => states.push(s),
    });
    try {
      await until("two stalls", () => states.filter((s) => s.state === "backoff").length >= 2);
    } finally {
      await source.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
    const backoffs = states.filter((s) => s.state === "backoff");
    // ffmpeg, killed in the middle of reading the RTSP answer, says why it stopped.
    const stalled = `frame source rtsp://127.0.0.1:${port}/cam: no frame for 600 ms after connecting (ffmpeg: rtsp://127.0.0.1:${port}/cam: Invalid data found when processing input)`;
    expect(backoffs.slice(0, 2).map((s) => [s.error.code, s.error.message, s.delayMs])).toEqual([
      ["VIDEO_STREAM_STALLED", stalled, 0],
      ["VIDEO_STREAM_STALLED", stalled, 0],
    ]);
    expect(states.slice(0, 4).map((s) => s.state)).toEqual(["connecting", "backoff", "connecting", "backoff"]);
    expect(states.at(-1)).toEqual({ state: "closed" });
  });

  it("reports ffmpeg that cannot be run as a backoff, not a crash", async () => {
    const states: FrameSourceState[] = [];
    const source = openFrameSource({
      url: "rtsp://127.0.0.1:1/cam",
      fps: 1,
      width: 8,
      height: 8,
      ffmpegPath: join(dir, "no-ffmpeg"),
      random: () => 0.5,
      backoff: { baseMs: 10_000 },
      onFrame: () => {},
      onState: (s) => states.push(s),
    });
    await until("a backoff", () => states.some((s) => s.state === "backoff"));
    await source.close();
    const backoff = states.find((s) => s.state === "backoff");
    expect(backoff?.state === "backoff" && [backoff.error.code, backoff.delayMs]).toEqual([
      "VIDEO_STREAM_SPAWN_FAILED",
      5_000,
    ]);
    expect(states.map((s) => s.state)).toEqual(["connecting", "backoff", "closed"]);
  });

  it("refuses a frame size that cannot be", () => {
    expect(() => openFrameSource({ url: "rtsp://x/cam", fps: 1, width: 0, height: 8, onFrame: () => {} })).toThrow(
      expect.objectContaining({
        code: "VIDEO_STREAM_INVALID_OPTIONS",
        message: "frame source rtsp://x/cam: width must be > 0, got 0",
      }),
    );
  });
});
