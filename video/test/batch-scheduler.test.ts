import { describe, expect, it } from "vitest";
import { BatchScheduler, ShedError } from "../src/analysis/batch-scheduler.ts";

describe("BatchScheduler", () => {
  it("batches what arrives together, one run at a time, results in order", async () => {
    const runs: number[][] = [];
    const s = new BatchScheduler<number, number>({
      maxBatch: 3,
      lingerMs: 5,
      run: async (items) => {
        runs.push([...items]);
        await new Promise((r) => setTimeout(r, 20));
        return items.map((i) => i * 10);
      },
    });
    const out = await Promise.all([1, 2, 3, 4, 5].map((i) => s.submit(i)));
    expect(out).toEqual([10, 20, 30, 40, 50]);
    expect(runs).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(s.stats()).toMatchObject({ runs: 2, items: 5, shed: 0, failed: 0 });
  });

  it("sheds the oldest waiting item when the queue is full, and counts it", async () => {
    let release: () => void = () => undefined;
    const s = new BatchScheduler<number, number>({
      maxBatch: 1,
      maxQueue: 2,
      lingerMs: 1,
      run: async (items) => {
        await new Promise<void>((r) => {
          release = r;
        });
        return [...items];
      },
    });
    const first = s.submit(1);
    await new Promise((r) => setTimeout(r, 10)); // 1 is running
    const waiting = [2, 3, 4].map((i) => s.submit(i).catch((e: unknown) => e));
    const second = await waiting[0];
    expect(second).toBeInstanceOf(ShedError);
    expect((second as ShedError).code).toBe("VIDEO_FRAME_SHED");
    for (let i = 0; i < 3; i++) {
      release();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await first).toBe(1);
    expect(await Promise.all(waiting.slice(1))).toEqual([3, 4]);
    expect(s.stats()).toMatchObject({ runs: 3, items: 3, shed: 1 });
  });

  it("rejects every item of a failed run, and goes on", async () => {
    let fail = true;
    const s = new BatchScheduler<number, number>({
      maxBatch: 2,
      lingerMs: 1,
      run: async (items) => {
        if (fail) {
          fail = false;
          throw new Error("model crashed");
        }
        return [...items];
      },
    });
    const failed = await Promise.allSettled([s.submit(1), s.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(await s.submit(3)).toBe(3);
    expect(s.stats()).toMatchObject({ runs: 1, items: 1, failed: 2 });
  });
});
