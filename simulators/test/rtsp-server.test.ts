import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeH264File } from "../src/video/h264-encode.ts";
import { writeRawFrames } from "../src/video/rtsp-raw-frames.ts";
import { type RtspServer, startRtspServer } from "../src/video/rtsp-server.ts";
import { movingSquareFrames, type Rgb, solidFrame } from "../src/video/rtsp-test-pattern.ts";

const W = 160;
const H = 120;
const BLUE: Rgb = [20, 40, 220];
const ORANGE: Rgb = [230, 120, 20];

/** Reads `seconds` of stream time through Debian's ffmpeg over RTSP/TCP, as a camera client would. */
function readFrames(url: string, seconds: number, scale = `${W}:${H}`): Promise<Uint8Array[]> {
  const [w, h] = scale.split(":").map(Number) as [number, number];
  const args = ["-v", "error", "-rtsp_transport", "tcp", "-probesize", "32", "-analyzeduration", "0", "-i", url];
  args.push("-an", "-t", String(seconds), "-vf", `scale=${scale}`, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1");
  const child = spawn("ffmpeg", args, { stdio: ["ignore", "pipe", "pipe"] });
  const chunks: Buffer[] = [];
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => chunks.push(c));
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.once("close", (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg ${url} exited ${code}: ${stderr}`));
      const all = Buffer.concat(chunks);
      const size = w * h * 3;
      const frames: Uint8Array[] = [];
      for (let o = 0; o + size <= all.length; o += size) frames.push(all.subarray(o, o + size));
      resolve(frames);
    });
  });
}

function meanColour(frame: Uint8Array): [number, number, number] {
  const sum = [0, 0, 0];
  for (let i = 0; i < frame.length; i++) sum[i % 3] = (sum[i % 3] ?? 0) + (frame[i] ?? 0);
  const n = frame.length / 3;
  return [Math.round((sum[0] ?? 0) / n), Math.round((sum[1] ?? 0) / n), Math.round((sum[2] ?? 0) / n)];
}

function near(actual: readonly number[], expected: Rgb, tolerance = 12): boolean {
  return actual.every((v, i) => Math.abs(v - (expected[i] ?? 0)) <= tolerance);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("simulated cameras: GStreamer RTSP server", () => {
  let dir: string;
  let server: RtspServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rtsp-server-"));
    await writeRawFrames(
      join(dir, "blue.rgb"),
      Array.from({ length: 5 }, () => solidFrame(W, H, BLUE)),
    );
    await writeRawFrames(join(dir, "orange.rgb"), [solidFrame(W, H, ORANGE)]);
    // 10 frames at 10 fps: one second of file, so reading 3 s must go through its end twice.
    await encodeH264File({
      frames: movingSquareFrames(W, H, 10),
      width: W,
      height: H,
      fps: 10,
      gop: 5,
      out: join(dir, "square.h264"),
    });
    server = await startRtspServer({
      mounts: [
        { path: "/raw", source: { kind: "raw", file: join(dir, "blue.rgb"), width: W, height: H, fps: 10 } },
        { path: "/scene", source: { kind: "raw", file: join(dir, "blue.rgb"), width: W, height: H, fps: 10 } },
        { path: "/h264", source: { kind: "h264", file: join(dir, "square.h264"), fps: 10 } },
      ],
    });
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes raw frames back to back and encodes an Annex-B file that starts with SPS", async () => {
    expect((await readFile(join(dir, "blue.rgb"))).length).toBe(5 * W * H * 3);
    const h264 = await readFile(join(dir, "square.h264"));
    expect([...h264.subarray(0, 5)]).toEqual([0, 0, 0, 1, 0x67]);
    await expect(
      writeRawFrames(join(dir, "bad.rgb"), [solidFrame(W, H, BLUE), solidFrame(8, 8, BLUE)]),
    ).rejects.toThrow(/differ in size: 192 bytes after 57600/);
  });

  it("serves a raw mount at its frame rate with the file's colour, to two clients of one shared media", async () => {
    expect(server.url("/raw")).toBe(`rtsp://127.0.0.1:${server.port}/raw`);
    const first = readFrames(server.url("/raw"), 3);
    await new Promise((r) => setTimeout(r, 1_000));
    const second = await readFrames(server.url("/raw"), 1.5);
    const a = await first;
    // -t 3 at 10 fps: 30 frames of stream time for the client that started the media.
    expect(a.length).toBeGreaterThanOrEqual(29);
    expect(a.length).toBeLessThanOrEqual(31);
    // A client joining a running camera decodes from the next key frame on (one a second): it loses up to 10.
    expect(second.length).toBeGreaterThanOrEqual(5);
    expect(second.length).toBeLessThanOrEqual(16);
    expect(near(meanColour(a.at(-1) as Uint8Array), BLUE)).toBe(true);
    expect(near(meanColour(second.at(-1) as Uint8Array), BLUE)).toBe(true);
  });

  it("switches a raw mount's scene at run time", async () => {
    const reading = readFrames(server.url("/scene"), 4);
    await new Promise((r) => setTimeout(r, 1_500));
    await server.setScene("/scene", join(dir, "orange.rgb"));
    const frames = await reading;
    const colours = frames.map(meanColour);
    const firstOrange = colours.findIndex((c) => near(c, ORANGE));
    expect(firstOrange).toBeGreaterThan(0);
    expect(colours.slice(0, firstOrange).filter((c) => near(c, BLUE)).length).toBeGreaterThan(3);
    expect(colours.slice(firstOrange).every((c) => near(c, ORANGE))).toBe(true);
  });

  it("answers scene commands that cannot be done with an error", async () => {
    await expect(server.setScene("/nope", join(dir, "orange.rgb"))).rejects.toThrow(
      /scene \/nope .*: no raw mount \/nope/,
    );
    await expect(server.setScene("/h264", join(dir, "orange.rgb"))).rejects.toThrow(/no raw mount \/h264/);
    await expect(server.setScene("/scene", join(dir, "missing.rgb"))).rejects.toThrow(/No such file/);
  });

  it("loops an h264 mount past the end of its file without re-encoding", async () => {
    const frames = await readFrames(server.url("/h264"), 3);
    expect(frames.length).toBeGreaterThanOrEqual(29);
    expect(frames.length).toBeLessThanOrEqual(31);
    // The square crosses left to right once a second: where it is tells which file frame this is.
    const squareLeft = frames.map((f) => {
      const row = Math.floor(H / 2) * W * 3;
      for (let x = 0; x < W; x++) if ((f[row + x * 3] ?? 0) > 240) return x;
      return -1;
    });
    const wraps = squareLeft.filter((x, i) => i > 0 && x < (squareLeft[i - 1] ?? 0) - 40).length;
    expect(wraps).toBeGreaterThanOrEqual(2);
  });

  it("rejects bad mounts before starting, and fails to start on a file it cannot read", async () => {
    await expect(
      startRtspServer({ mounts: [{ path: "cam", source: { kind: "h264", file: "x", fps: 1 } }] }),
    ).rejects.toThrow('RTSP mount path must start with "/", got "cam"');
    await expect(
      startRtspServer({
        mounts: [{ path: "/cam", source: { kind: "h264", file: join(dir, "missing.h264"), fps: 1 } }],
      }),
    ).rejects.toThrow(/exited \(1\) before ready[\s\S]*No such file/);
  });

  it("stops on stop(): the python process is gone", async () => {
    const other = await startRtspServer({
      mounts: [{ path: "/cam", source: { kind: "raw", file: join(dir, "orange.rgb"), width: W, height: H, fps: 5 } }],
    });
    expect(alive(other.pid)).toBe(true);
    await other.stop();
    expect(alive(other.pid)).toBe(false);
    await expect(other.setScene("/cam", join(dir, "blue.rgb"))).rejects.toThrow(/the server has exited/);
  });
});
