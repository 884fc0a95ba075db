import { describe, expect, it } from "vitest";
import { KeyedLanes } from "../src/webhooks/keyed-lanes.ts";
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retryDelay,
  systemClock,
} from "../src/webhooks/retry-backoff.ts";
import { Semaphore } from "../src/webhooks/semaphore.ts";

describe("retry backoff", () => {
  it("is full jitter: random × min(cap, base·2^(n-1))", () => {
    const p = DEFAULT_RETRY_POLICY;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => backoffDelay(n, p, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    expect([1, 3, 8].map((n) => backoffDelay(n, p, () => 0.5))).toEqual([500, 2_000, 30_000]);
    expect(backoffDelay(4, p, () => 0)).toBe(0);
    expect(backoffDelay(1, p, () => 0.9999)).toBe(999);
  });

  it("waits at least what Retry-After asks, never past the cap", () => {
    const p = DEFAULT_RETRY_POLICY;
    expect(retryDelay(1, 5_000, p, () => 0.5)).toBe(5_000);
    expect(retryDelay(3, 1_000, p, () => 1)).toBe(4_000);
    expect(retryDelay(1, 120_000, p, () => 0.5)).toBe(60_000);
    expect(retryDelay(2, null, p, () => 0.25)).toBe(500);
  });

  it("reads Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3)", () => {
    const now = Date.UTC(2026, 0, 5, 8, 0, 0);
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter("Mon, 05 Jan 2026 08:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Mon, 05 Jan 2026 07:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBe(null);
    expect(parseRetryAfter(null, now)).toBe(null);
  });

  it("sleeps until aborted", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await systemClock.sleep(60_000, controller.signal);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("keyed lanes", () => {
  it("work the items of a key in order, one at a time, and keys side by side", async () => {
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const lanes = new KeyedLanes<{ key: string; n: number; ms: number }>(
      async (item) => {
        running++;
        most = Math.max(most, running);
        log.push(`${item.key}${item.n}+`);
        await new Promise((r) => setTimeout(r, item.ms));
        log.push(`${item.key}${item.n}-`);
        running--;
      },
      () => undefined,
    );
    lanes.push("a", { key: "a", n: 1, ms: 30 });
    lanes.push("a", { key: "a", n: 2, ms: 1 });
    lanes.push("b", { key: "b", n: 1, ms: 1 });
    expect(lanes.size).toBe(3);
    expect(lanes.lanes).toBe(2);
    await lanes.idle();
    expect(log.filter((l) => l.startsWith("a"))).toEqual(["a1+", "a1-", "a2+", "a2-"]);
    expect(log.indexOf("b1-")).toBeLessThan(log.indexOf("a1-"));
    expect(most).toBe(2);
    expect(lanes.size).toBe(0);
    expect(lanes.lanes).toBe(0);
  });

  it("go on after an item that threw", async () => {
    const errors: unknown[] = [];
    const done: number[] = [];
    const lanes = new KeyedLanes<number>(
      async (n) => {
        if (n === 1) throw new Error("boom");
        done.push(n);
      },
      (error) => errors.push((error as Error).message),
    );
    lanes.push("k", 1);
    lanes.push("k", 2);
    await lanes.idle();
    expect(done).toEqual([2]);
    expect(errors).toEqual(["boom"]);
  });
});

describe("semaphore", () => {
  it("lets `permits` holders in at once, the others in the order they asked", async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    const first = await s.acquire();
    const second = await s.acquire();
    const third = s.acquire().then((release) => {
      order.push(3);
      return release;
    });
    const fourth = s.acquire().then((release) => {
      order.push(4);
      return release;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual([]);
    first();
    first(); // a second call gives nothing back
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual([3]);
    (await third)();
    const releaseFourth = await fourth;
    expect(order).toEqual([3, 4]);
    second();
    releaseFourth();
  });
});
