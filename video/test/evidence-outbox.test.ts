import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type AlertCondition, SNAPSHOT_BUCKET } from "@lifeline/contracts";
import { Objm } from "@nats-io/obj";
import { describe, expect, it } from "vitest";
import { EvidenceOutbox } from "../src/analysis/evidence-outbox.ts";
import { natsFixture } from "./nats-fixture.ts";

const nats = natsFixture("evidence-outbox-");

const condition = (at: number, level: AlertCondition["level"]): AlertCondition => ({
  rule: "video-dust",
  site: "mine-a",
  device: "cam-1",
  kind: "video",
  level,
  at,
  metric: "dust_score",
  value: 0.9,
  summary: "dust plume",
  evidence: { values: { dust_score: 0.9 } },
});

describe("EvidenceOutbox", () => {
  it("keeps evidence on disk while NATS is down, sends it in order when it returns, once", async () => {
    const outboxDir = join(nats.dir, "outbox");
    let up = false;
    const connectNats = () => (up ? nats.connect() : Promise.reject(new Error("connection refused (uplink down)")));
    const outbox = await EvidenceOutbox.open({ dir: outboxDir, connect: connectNats, maxBackoffMs: 200 });
    const jpeg = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const linked = await outbox.submit(condition(1_000, "III"), jpeg);
    await outbox.submit(condition(5_000, null));
    expect(linked.evidence.snapshot).toMatch(/^snapshots\/mine-a\/cam-1\/1000-[0-9a-f]{12}\.jpg$/);
    expect(readdirSync(outboxDir).sort()).toEqual(["000000000000.json", "000000000000.json.jpg", "000000000001.json"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(outbox.stats()).toMatchObject({ submitted: 2, sent: 0, pending: 2 });
    expect(outbox.stats().failures).toBeGreaterThan(0);

    // A restart while down: the new outbox finds both items on disk.
    await outbox.close();
    up = true;
    const again = await EvidenceOutbox.open({ dir: outboxDir, connect: connectNats, maxBackoffMs: 200 });
    await again.drained();
    expect(again.stats()).toMatchObject({ sent: 2, pending: 0, snapshots: 1 });
    expect(readdirSync(outboxDir)).toEqual([]);
    const stored = await nats.conditions("cam-1");
    expect(stored.map((c) => [c.at, c.level, c.evidence.snapshot])).toEqual([
      [1_000, "III", linked.evidence.snapshot],
      [5_000, null, undefined],
    ]);
    const store = await new Objm(nats.nc).open(SNAPSHOT_BUCKET);
    const name = String(linked.evidence.snapshot).replace("snapshots/", "");
    expect(Array.from((await store.getBlob(name)) ?? [])).toEqual(Array.from(jpeg));

    // The same condition submitted again (a replay after a crash) is dropped by JetStream.
    await again.submit(condition(1_000, "III"), jpeg);
    await again.drained();
    expect((await nats.conditions("cam-1")).length).toBe(2);
    await again.close();
  });
});

describe("EvidenceOutbox, snapshot store full", () => {
  it("deletes the oldest snapshots to make room, and still delivers every condition", async () => {
    // The bucket is made by the first outbox that needs it, with its cap: start from none.
    await (await new Objm(nats.nc).open(SNAPSHOT_BUCKET)).destroy();
    const outbox = await EvidenceOutbox.open({
      dir: join(nats.dir, "outbox-cap"),
      connect: () => nats.connect(),
      bucketMaxBytes: 100_000,
      maxBackoffMs: 200,
    });
    // Ten 30 kB pictures of one camera into a 100 kB bucket.
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      const jpeg = new Uint8Array(30_000).fill(i + 1);
      const c = { ...condition(10_000 + i, "II"), site: "mine-cap", device: "cam-9" };
      sent.push(String((await outbox.submit(c, jpeg)).evidence.snapshot));
    }
    await outbox.drained();
    expect(outbox.stats()).toMatchObject({ submitted: 10, sent: 10, snapshots: 10, pending: 0 });
    expect(outbox.stats().evicted).toBeGreaterThan(0);
    expect((await nats.conditions("cam-9")).map((c) => c.at)).toEqual(sent.map((_, i) => 10_000 + i));
    const store = await new Objm(nats.nc).open(SNAPSHOT_BUCKET);
    const kept = (await store.list()).filter((i) => !i.deleted).map((i) => `snapshots/${i.name}`);
    // The newest are kept, the oldest went first.
    expect(kept.length).toBeLessThanOrEqual(3);
    expect(sent.slice(-kept.length).sort()).toEqual([...kept].sort());
    expect((await store.status()).size).toBeLessThanOrEqual(100_000);
    await outbox.close();
  });
});
