import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { VideoError } from "../video-error.ts";
import { checkEvidenceName, formatSnapshotId, parseSnapshotId } from "./snapshot-id.ts";

export interface SnapshotStoreOptions {
  /** Root folder; snapshots go to `<dir>/<site>/<camera>/<ts>-<hash8>.jpg` with a `.json` sidecar. */
  readonly dir: string;
  /** Cap on the bytes of all snapshots and sidecars; the oldest (by `ts`) go first. */
  readonly maxBytes: number;
  /** Optional age cap: snapshots with `ts` older than this are deleted (pinned ones are kept). */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

export interface SnapshotInput {
  readonly site: string;
  readonly camera: string;
  /** Capture time, ms since the epoch: orders retention. */
  readonly ts: number;
  readonly jpeg: Uint8Array;
  readonly meta?: Readonly<Record<string, unknown>>;
}

export interface StoredSnapshot {
  readonly id: string;
  readonly path: string;
  /** JPEG plus sidecar bytes: what counts against `maxBytes`. */
  readonly bytes: number;
}

export interface SnapshotEntry {
  readonly id: string;
  readonly site: string;
  readonly camera: string;
  readonly ts: number;
  readonly bytes: number;
  readonly pinned: boolean;
}

export interface SnapshotStoreCounters {
  readonly count: number;
  readonly bytes: number;
  /** Every deletion, whatever the reason (includes the two below). */
  readonly deleted: number;
  readonly deletedForAge: number;
  /** Pinned snapshots deleted because only pinned ones were left above the byte cap. */
  readonly pinnedEvicted: number;
}

interface Entry {
  id: string;
  site: string;
  camera: string;
  ts: number;
  bytes: number;
  pinned: boolean;
}

/**
 * Alert snapshots on local disk, capped by bytes and optionally by age. Eviction order: unpinned
 * oldest first, then — only if pinned ones alone are still above the cap — pinned oldest first
 * (counted in `pinnedEvicted`): a full disk is worse than a dangling alert link. The snapshot just
 * written is never evicted by its own put, so the store may exceed the cap by one snapshot.
 * Pins live in memory: after a restart, open alerts pin their snapshots again.
 */
export class SnapshotStore {
  private readonly root: string;
  private readonly entries = new Map<string, Entry>();
  /** Sorted by (ts, id): eviction reads from the front. */
  private ordered: Entry[] = [];
  private totalBytes = 0;
  private deleted = 0;
  private deletedForAge = 0;
  private pinnedEvicted = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly options: SnapshotStoreOptions) {
    this.root = resolve(options.dir);
  }

  /** Opens (creating) the folder, indexes what a previous run left, and enforces the caps at once. */
  static async open(options: SnapshotStoreOptions): Promise<SnapshotStore> {
    if (!(options.maxBytes > 0)) {
      throw new VideoError("VIDEO_EVIDENCE_BAD_OPTIONS", `snapshot store ${options.dir}: maxBytes must be > 0`, {
        detail: { maxBytes: options.maxBytes },
      });
    }
    const store = new SnapshotStore(options);
    await mkdir(store.root, { recursive: true });
    await store.scan();
    await store.enforce(undefined);
    return store;
  }

  get counters(): SnapshotStoreCounters {
    return {
      count: this.entries.size,
      bytes: this.totalBytes,
      deleted: this.deleted,
      deletedForAge: this.deletedForAge,
      pinnedEvicted: this.pinnedEvicted,
    };
  }

  /** Stores a snapshot, then enforces the caps. Puts run one at a time, in call order. */
  async put(input: SnapshotInput): Promise<StoredSnapshot> {
    checkEvidenceName("site", input.site);
    checkEvidenceName("camera", input.camera);
    if (!Number.isSafeInteger(input.ts) || input.ts < 0) {
      throw new VideoError("VIDEO_EVIDENCE_BAD_TS", `snapshot ts ${input.ts} must be a non-negative integer (ms)`, {
        detail: { site: input.site, camera: input.camera, ts: input.ts },
      });
    }
    return this.serialized(() => this.write(input));
  }

  /** The JPEG, or undefined when it is not (or no longer) stored. Throws `VIDEO_EVIDENCE_BAD_ID` for ids that are not ours. */
  async get(id: string): Promise<Buffer | undefined> {
    return readIfPresent(this.pathOf(id));
  }

  /** The sidecar's meta, or undefined. */
  async getMeta(id: string): Promise<Record<string, unknown> | undefined> {
    const text = await readIfPresent(sidecarOf(this.pathOf(id)));
    return text === undefined ? undefined : (JSON.parse(text.toString("utf8")) as Record<string, unknown>);
  }

  list(filter: { site?: string; camera?: string } = {}): SnapshotEntry[] {
    return this.ordered
      .filter(
        (e) =>
          (filter.site === undefined || e.site === filter.site) &&
          (filter.camera === undefined || e.camera === filter.camera),
      )
      .map((e) => ({ ...e }));
  }

  /** Keeps a snapshot (e.g. linked from an open alert) until unpinned ones are gone. */
  pin(id: string): void {
    parseSnapshotId(id);
    const entry = this.entries.get(id);
    if (entry === undefined) {
      throw new VideoError("VIDEO_EVIDENCE_NOT_FOUND", `snapshot ${id} is not stored (evicted?)`, { detail: { id } });
    }
    entry.pinned = true;
  }

  /** Unpinning an evicted snapshot is a no-op. */
  unpin(id: string): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) entry.pinned = false;
  }

  /** Resolves when every put queued so far has finished. */
  async flush(): Promise<void> {
    await this.serialized(async () => {});
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task);
    this.queue = next.catch(() => {});
    return next;
  }

  private pathOf(id: string): string {
    const parts = parseSnapshotId(id);
    const path = resolve(this.root, parts.site, parts.camera, `${parts.ts}-${parts.hash8}.jpg`);
    // The id pattern already forbids "..", this guards against a future loosening of it.
    if (!path.startsWith(this.root + sep)) {
      throw new VideoError("VIDEO_EVIDENCE_BAD_ID", `snapshot id ${id} resolves outside the store`, { detail: { id } });
    }
    return path;
  }

  private async write(input: SnapshotInput): Promise<StoredSnapshot> {
    const hash8 = createHash("sha256").update(input.jpeg).digest("hex").slice(0, 8);
    const id = formatSnapshotId({ site: input.site, camera: input.camera, ts: input.ts, hash8 });
    const path = this.pathOf(id);
    const sidecar = Buffer.from(
      `${JSON.stringify({ site: input.site, camera: input.camera, ts: input.ts, meta: input.meta ?? {} })}\n`,
    );
    await mkdir(join(this.root, input.site, input.camera), { recursive: true });
    // Sidecar first, JPEG last, each via rename: a crash leaves at worst an orphan sidecar, removed at open.
    await writeFile(`${sidecarOf(path)}.tmp`, sidecar);
    await rename(`${sidecarOf(path)}.tmp`, sidecarOf(path));
    await writeFile(`${path}.tmp`, input.jpeg);
    await rename(`${path}.tmp`, path);
    const bytes = input.jpeg.length + sidecar.length;
    this.forget(id);
    this.index({ id, site: input.site, camera: input.camera, ts: input.ts, bytes, pinned: false });
    await this.enforce(id);
    return { id, path, bytes };
  }

  private index(entry: Entry): void {
    this.entries.set(entry.id, entry);
    this.totalBytes += entry.bytes;
    // Snapshots mostly arrive in time order: search from the end.
    let i = this.ordered.length;
    while (i > 0 && compare(this.ordered[i - 1] as Entry, entry) > 0) i--;
    this.ordered.splice(i, 0, entry);
  }

  private forget(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    this.totalBytes -= entry.bytes;
    this.ordered.splice(this.ordered.indexOf(entry), 1);
    return entry;
  }

  private async enforce(keepId: string | undefined): Promise<void> {
    const { maxAgeMs } = this.options;
    if (maxAgeMs !== undefined) {
      const cutoff = (this.options.now ?? Date.now)() - maxAgeMs;
      const old = this.ordered.filter((e) => e.ts < cutoff && !e.pinned && e.id !== keepId);
      for (const e of old) await this.remove(e, "age");
    }
    while (this.totalBytes > this.options.maxBytes) {
      const victim =
        this.ordered.find((e) => !e.pinned && e.id !== keepId) ?? this.ordered.find((e) => e.id !== keepId);
      if (victim === undefined) return;
      await this.remove(victim, victim.pinned ? "pinned" : "bytes");
    }
  }

  private async remove(entry: Entry, why: "age" | "bytes" | "pinned"): Promise<void> {
    const path = this.pathOf(entry.id);
    await rm(path, { force: true });
    await rm(sidecarOf(path), { force: true });
    this.forget(entry.id);
    this.deleted++;
    if (why === "age") this.deletedForAge++;
    if (why === "pinned") this.pinnedEvicted++;
  }

  /** Indexes `<site>/<camera>/*.jpg` left by a previous run; drops temp files and orphan sidecars. */
  private async scan(): Promise<void> {
    for (const site of await subdirs(this.root)) {
      for (const camera of await subdirs(join(this.root, site))) {
        const folder = join(this.root, site, camera);
        const names = new Set(await readdir(folder));
        for (const name of names) {
          const file = join(folder, name);
          if (name.endsWith(".tmp")) await rm(file, { force: true });
          else if (name.endsWith(".json") && !names.has(name.slice(0, -".json".length)))
            await rm(file, { force: true });
          else if (name.endsWith(".jpg"))
            await this.indexFound(`${site}/${camera}/${name}`, file, names.has(`${name}.json`));
        }
      }
    }
  }

  private async indexFound(id: string, file: string, hasSidecar: boolean): Promise<void> {
    let parts: ReturnType<typeof parseSnapshotId>;
    try {
      parts = parseSnapshotId(id);
    } catch {
      return; // not ours: left alone, not counted
    }
    const bytes = (await stat(file)).size + (hasSidecar ? (await stat(sidecarOf(file))).size : 0);
    this.index({ id, site: parts.site, camera: parts.camera, ts: parts.ts, bytes, pinned: false });
  }
}

function compare(a: Entry, b: Entry): number {
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function sidecarOf(jpegPath: string): string {
  return `${jpegPath}.json`;
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((d) => d.isDirectory() && !d.name.startsWith(".")).map((d) => d.name);
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new VideoError("VIDEO_EVIDENCE_READ_FAILED", `cannot read ${path}`, { cause: error, detail: { path } });
  }
}
