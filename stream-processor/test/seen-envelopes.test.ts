import { describe, expect, it } from "vitest";
import { SeenEnvelopes } from "../src/seen-envelopes.ts";

describe("SeenEnvelopes", () => {
  it("recognises exactly the sequences added, in any order", () => {
    const seen = new SeenEnvelopes({ forgetAfterMs: 60_000, now: 0 });
    const order = [5, 3, 4, 10, 0, 1, 2, 12, 11, 7];
    for (const seq of order) seen.add("gw/b", seq, 0);
    for (let seq = -1; seq <= 14; seq++) {
      expect(seen.has("gw/b", seq), `seq ${seq}`).toBe(order.includes(seq));
    }
    expect(seen.has("gw/other", 5)).toBe(false);
  });

  it("agrees with a Set over a random workload", () => {
    let x = 12345;
    const random = () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    };
    const seen = new SeenEnvelopes({ forgetAfterMs: 60_000, now: 0 });
    const truth = new Set<number>();
    for (let i = 0; i < 5_000; i++) {
      const seq = Math.floor(random() * 3_000);
      expect(seen.has("s", seq)).toBe(truth.has(seq));
      seen.add("s", seq, 0);
      truth.add(seq);
    }
    for (let seq = 0; seq < 3_000; seq++) expect(seen.has("s", seq)).toBe(truth.has(seq));
  });

  it("forgets sources that went quiet", () => {
    const seen = new SeenEnvelopes({ forgetAfterMs: 1_000, now: 0 });
    seen.add("old", 1, 0);
    seen.add("new", 1, 900);
    seen.add("new", 2, 1_500);
    expect(seen.has("old", 1)).toBe(false);
    expect(seen.has("new", 1)).toBe(true);
    expect(seen.sources).toBe(1);
  });

  it("keeps the newest ranges of a source with holes everywhere", () => {
    const seen = new SeenEnvelopes({ forgetAfterMs: 60_000, maxRangesPerSource: 3, now: 0 });
    for (const seq of [0, 2, 4, 6, 8]) seen.add("s", seq, 0);
    expect([0, 2, 4, 6, 8].map((seq) => seen.has("s", seq))).toEqual([false, false, true, true, true]);
    // …and says which part it forgot, so that those are looked up instead.
    expect([0, 1, 2, 3, 4].map((seq) => seen.forgot("s", seq))).toEqual([true, true, true, false, false]);
    expect(seen.forgot("other", 0)).toBe(false);
  });
});
