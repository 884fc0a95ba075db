import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeJpeg } from "../src/evidence/encode-jpeg.ts";
import { SnapshotStore } from "../src/evidence/snapshot-store.ts";

const T0 = 1_700_000_000_000;
// One real JPEG for every put: same bytes each time, so every snapshot (JPEG + sidecar with a
// 13-digit ts) weighs exactly the same and the caps give exact counts.
const JPEG = encodeJpeg({ width: 32, height: 24, rgb: new Uint8Array(32 * 24 * 3).fill(120), ts: 0, seq: 0 }, 80);
const META = { alert: "a-1", label: "smoke" };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lifeline-snapshots-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function putMany(store: SnapshotStore, count: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) {
    ids.push((await store.put({ site: "mine-3", camera: "cam_1", ts: T0 + i * 1000, jpeg: JPEG, meta: META })).id);
  }
  return ids;
}

async function sizeOfOne(): Promise<number> {
  const probe = await SnapshotStore.open({ dir: join(dir, "probe"), maxBytes: 1e9 });
  return (await probe.put({ site: "mine-3", camera: "cam_1", ts: T0, jpeg: JPEG, meta: META })).bytes;
}

describe("SnapshotStore", () => {
  it("keeps the newest snapshots within maxBytes, deleting the oldest", async () => {
    const one = await sizeOfOne();
    const store = await SnapshotStore.open({ dir: join(dir, "s"), maxBytes: 10 * one + one / 2 });
    const ids = await putMany(store, 30);
    expect(ids[0]).toMatch(/^mine-3\/cam_1\/1700000000000-[0-9a-f]{8}\.jpg$/);
    expect(store.counters).toEqual({ count: 10, bytes: 10 * one, deleted: 20, deletedForAge: 0, pinnedEvicted: 0 });
    expect(store.list({ site: "mine-3", camera: "cam_1" }).map((e) => e.id)).toEqual(ids.slice(20));
    expect(store.list({ camera: "other" })).toEqual([]);
    expect(await store.get(ids[19] as string)).toBeUndefined();
    expect(await store.get(ids[29] as string)).toEqual(JPEG);
    expect(await store.getMeta(ids[29] as string)).toEqual({
      site: "mine-3",
      camera: "cam_1",
      ts: T0 + 29_000,
      meta: META,
    });
    expect((await readdir(join(dir, "s", "mine-3", "cam_1"))).length).toBe(20); // 10 JPEGs + 10 sidecars
  });

  it("indexes a folder left by a previous run and enforces the cap at open", async () => {
    const one = await sizeOfOne();
    const first = await SnapshotStore.open({ dir: join(dir, "s"), maxBytes: 100 * one });
    const ids = await putMany(first, 12);
    const folder = join(dir, "s", "mine-3", "cam_1");
    await writeFile(join(folder, "1700000099000-deadbeef.jpg.tmp"), "half a write");
    await writeFile(join(folder, "1700000098000-deadbeef.jpg.json"), "{}"); // sidecar without its JPEG
    await writeFile(join(folder, "notes.txt"), "not ours");

    const reopened = await SnapshotStore.open({ dir: join(dir, "s"), maxBytes: 5 * one + one / 2 });
    expect(reopened.counters).toEqual({ count: 5, bytes: 5 * one, deleted: 7, deletedForAge: 0, pinnedEvicted: 0 });
    expect(reopened.list().map((e) => e.id)).toEqual(ids.slice(7));
    expect((await readdir(folder)).sort()).toEqual(
      [
        ...ids
          .slice(7)
          .flatMap((id) => [id, `${id}.json`])
          .map((id) => id.split("/")[2]),
        "notes.txt",
      ].sort(),
    );
  });

  it("deletes unpinned snapshots before pinned ones, and counts pinned evictions when only pinned are left", async () => {
    const one = await sizeOfOne();
    const store = await SnapshotStore.open({ dir: join(dir, "s"), maxBytes: 3 * one + one / 2 });
    const ids = await putMany(store, 3);
    store.pin(ids[0] as string);
    store.pin(ids[1] as string);
    ids.push(...(await putMany(store, 1, 3))); // evicts ids[2], the only unpinned old one
    expect(store.list().map((e) => [e.id, e.pinned])).toEqual([
      [ids[0], true],
      [ids[1], true],
      [ids[3], false],
    ]);
    store.pin(ids[3] as string);
    ids.push(...(await putMany(store, 1, 4))); // all old ones pinned: the oldest pinned goes
    expect(store.list().map((e) => e.id)).toEqual([ids[1], ids[3], ids[4]]);
    expect(store.counters).toEqual({ count: 3, bytes: 3 * one, deleted: 2, deletedForAge: 0, pinnedEvicted: 1 });
    store.unpin(ids[0] as string); // already evicted: no-op
    expect(() => store.pin(ids[0] as string)).toThrow(expect.objectContaining({ code: "VIDEO_EVIDENCE_NOT_FOUND" }));
  });

  it("deletes snapshots older than maxAgeMs, except pinned ones", async () => {
    let now = T0 + 10_000;
    const store = await SnapshotStore.open({ dir: join(dir, "s"), maxBytes: 1e9, maxAgeMs: 5_000, now: () => now });
    const ids = await putMany(store, 4); // ts T0 … T0+3 s; each put sees the ones before it as too old
    expect(store.list().map((e) => e.id)).toEqual([ids[3]]);
    now = T0 + 20_000;
    const fresh = await putMany(store, 2, 16); // T0+16 s, T0+17 s: ids[3] too old now
    store.pin(fresh[0] as string);
    now = T0 + 30_000;
    const last = await putMany(store, 1, 30); // fresh[1] too old, fresh[0] pinned
    expect(store.list().map((e) => e.id)).toEqual([fresh[0], last[0]]);
    expect(store.counters).toMatchObject({ count: 2, deleted: 5, deletedForAge: 5, pinnedEvicted: 0 });
  });

  it("refuses ids and names that could leave the store", async () => {
    const store = await SnapshotStore.open({ dir: join(dir, "s"), maxBytes: 1e6 });
    for (const id of [
      "../../etc/passwd",
      "mine-3/cam_1/../../../x.jpg",
      "../cam/1-deadbeef.jpg",
      "/etc/1-deadbeef.jpg",
    ]) {
      await expect(store.get(id)).rejects.toMatchObject({ code: "VIDEO_EVIDENCE_BAD_ID" });
    }
    await expect(store.put({ site: "..", camera: "c", ts: T0, jpeg: JPEG })).rejects.toMatchObject({
      code: "VIDEO_EVIDENCE_BAD_NAME",
    });
    await expect(store.put({ site: "s", camera: "a/b", ts: T0, jpeg: JPEG })).rejects.toMatchObject({
      code: "VIDEO_EVIDENCE_BAD_NAME",
    });
    await expect(store.put({ site: "s", camera: "c", ts: 1.5, jpeg: JPEG })).rejects.toMatchObject({
      code: "VIDEO_EVIDENCE_BAD_TS",
    });
    expect(store.counters.count).toBe(0);
    expect(await store.get("mine-3/cam_1/1700000000000-deadbeef.jpg")).toBeUndefined();
  });
});
