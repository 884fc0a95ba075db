import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RecordingSegment, RecordingStore } from "../src/evidence/recording-store.ts";

const run = promisify(execFile);
let dir: string;
let source: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lifeline-recordings-"));
  source = join(dir, "source.mp4");
  // 4 s of H.264 with a keyframe every 0.5 s: fragments (and so file growth) every 0.5 s.
  await run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "4"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "5", "-pix_fmt", "yuv420p", source],
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const total = (segments: RecordingSegment[]): number => segments.reduce((sum, s) => sum + s.bytes, 0);

describe("RecordingStore", () => {
  it("records two cameras into segments and deletes the oldest across both, never the one being written", async () => {
    const maxBytes = 100_000; // ≈ 3.5 two-second segments of this source (28 KB each)
    const store = new RecordingStore({ dir: join(dir, "rec"), maxBytes, segmentSeconds: 2, enforceEveryMs: 200 });
    // A looping file read at its own pace stands in for an RTSP camera.
    const live = { url: source, inputArgs: ["-re", "-stream_loop", "-1"] };
    try {
      await store.start("cam-a", live);
      await store.start("cam-b", live);
      const firsts = await until(
        "a segment per camera",
        async () => {
          const s = await store.segments();
          return s.length >= 2 ? s.filter((x) => x.active) : undefined;
        },
        5_000,
      );
      expect(firsts.map((s) => s.camera).sort()).toEqual(["cam-a", "cam-b"]);

      // The segment being written grows (fragment by fragment) and survives every enforcement.
      const growing = await until(
        "the active segment to grow",
        async () => {
          const before = (await store.segments()).find((s) => s.camera === "cam-a" && s.active);
          await store.enforce();
          await new Promise((r) => setTimeout(r, 600));
          const after = (await store.segments()).find((s) => s.path === before?.path);
          return before && after?.active && after.bytes > before.bytes ? after : undefined;
        },
        8_000,
      );
      expect(growing.bytes).toBeGreaterThan(0);

      await until("the cap to delete segments", async () => (store.counters.deleted >= 3 ? true : undefined), 14_000);
      const now = await store.segments();
      // The first segments of both cameras are gone; each camera still has the one it is writing.
      for (const first of firsts) expect(now.some((s) => s.path === first.path)).toBe(false);
      expect(
        now
          .filter((s) => s.active)
          .map((s) => s.camera)
          .sort(),
      ).toEqual(["cam-a", "cam-b"]);
      expect(store.lastError("cam-a")).toBe("");
    } finally {
      await store.close();
    }

    // Stopped: nothing is active, so enforcement deletes exactly the oldest that do not fit.
    const before = await store.segments();
    expect(before.every((s) => !s.active)).toBe(true);
    await store.enforce();
    const after = await store.segments();
    expect(after.map((s) => s.path)).toEqual(before.slice(before.length - after.length).map((s) => s.path));
    expect(total(after)).toBeLessThanOrEqual(maxBytes);
    const lastDeleted = before[before.length - after.length - 1];
    if (lastDeleted !== undefined) expect(total(after) + lastDeleted.bytes).toBeGreaterThan(maxBytes);

    // What is left plays: a full segment lasts 2 s; the one cut by the stop is readable up to its last fragment.
    const duration = async (path: string): Promise<number> =>
      Number(
        (await run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])).stdout,
      );
    const newestA = after.filter((s) => s.camera === "cam-a").pop() as RecordingSegment;
    const fullA = after.filter((s) => s.camera === "cam-a").at(-2);
    expect(await duration(newestA.path)).toBeGreaterThan(0);
    if (fullA !== undefined) expect(await duration(fullA.path)).toBe(2);
    expect((await stat(newestA.path)).size).toBe(newestA.bytes);
  }, 25_000);

  it("refuses a second recorder for the same camera and unsafe camera names", async () => {
    const store = new RecordingStore({ dir: join(dir, "rec2"), maxBytes: 1e6, segmentSeconds: 2 });
    try {
      await store.start("cam-a", { url: source });
      await expect(store.start("cam-a", { url: source })).rejects.toMatchObject({
        code: "VIDEO_EVIDENCE_ALREADY_RECORDING",
      });
      await expect(store.start("../x", { url: source })).rejects.toMatchObject({ code: "VIDEO_EVIDENCE_BAD_NAME" });
    } finally {
      await store.close();
    }
  });
});
