import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type AlertCondition,
  alertConditionSubject,
  alertKey,
  type Logger,
  SNAPSHOT_BUCKET,
  SNAPSHOT_LINK_PREFIX,
  silentLogger,
  snapshotName,
  videoDetectionSubject,
} from "@lifeline/contracts";
import { jetstream } from "@nats-io/jetstream";
import { type ObjectStore, Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { VideoError } from "../video-error.ts";

export interface EvidenceOutboxOptions {
  /** Folder of the pending items; what is left there after a crash is sent at the next open. */
  dir: string;
  /** Connects to NATS (called again after a failure); the outbox closes what it opened. */
  connect: () => Promise<NatsConnection>;
  /** Cap of the SNAPSHOTS object store when the outbox creates it (default 1 GiB). */
  bucketMaxBytes?: number;
  /** Longest wait between two attempts (default 30 s); the first retry waits 500 ms. */
  maxBackoffMs?: number;
  random?: () => number;
  log?: Logger;
}

export interface EvidenceOutboxStats {
  submitted: number;
  sent: number;
  snapshots: number;
  /** Old snapshots deleted from the object store to make room (it is capped by size). */
  evicted: number;
  failures: number;
  pending: number;
  lastError: string | null;
}

interface PendingItem {
  file: string;
  condition: AlertCondition;
  snapshot?: string;
}

/**
 * The durable way from a detection to an alert: an alert condition, with its snapshot, is written
 * to disk (fsync) before `submit` resolves, then sent in order — the JPEG into the SNAPSHOTS
 * object store, the condition to the ALERT_CONDITIONS stream with a message id made of the
 * alert key, time and level — and deleted from disk only when JetStream acknowledged both. A
 * camera site whose uplink is down keeps its evidence and sends it when the link returns; a
 * replay after a crash is dropped by JetStream as a duplicate.
 */
export class EvidenceOutbox {
  readonly #o: Required<Omit<EvidenceOutboxOptions, "bucketMaxBytes">> & { bucketMaxBytes: number };
  readonly #queue: PendingItem[] = [];
  readonly #stats: EvidenceOutboxStats = {
    submitted: 0,
    sent: 0,
    snapshots: 0,
    evicted: 0,
    failures: 0,
    pending: 0,
    lastError: null,
  };
  #nats: NatsConnection | undefined;
  #store: ObjectStore | undefined;
  #seq = 0;
  #sending: Promise<void> | undefined;
  #idle: Array<() => void> = [];
  #closed = false;
  #wake: (() => void) | undefined;

  private constructor(options: EvidenceOutboxOptions) {
    this.#o = { bucketMaxBytes: 1 << 30, maxBackoffMs: 30_000, random: Math.random, log: silentLogger, ...options };
  }

  static async open(options: EvidenceOutboxOptions): Promise<EvidenceOutbox> {
    const outbox = new EvidenceOutbox(options);
    await mkdir(options.dir, { recursive: true });
    const names = (await readdir(options.dir)).filter((n) => n.endsWith(".json")).sort();
    for (const file of names) {
      const item = JSON.parse(await readFile(join(options.dir, file), "utf8")) as Omit<PendingItem, "file">;
      outbox.#queue.push({ ...item, file });
      outbox.#seq = Math.max(outbox.#seq, Number.parseInt(file, 10) + 1);
    }
    outbox.#stats.pending = outbox.#queue.length;
    outbox.#kick();
    return outbox;
  }

  stats(): EvidenceOutboxStats {
    return { ...this.#stats, pending: this.#queue.length };
  }

  /**
   * Keeps a condition (and its snapshot) on disk and queues it; resolves once it is durable there.
   * The condition's `evidence.snapshot` is set to the snapshot's link.
   */
  async submit(condition: AlertCondition, jpeg?: Uint8Array): Promise<AlertCondition> {
    if (this.#closed) throw new VideoError("VIDEO_EVIDENCE_CLOSED", "the evidence outbox is closed");
    const seq = this.#seq++;
    const file = `${String(seq).padStart(12, "0")}.json`;
    let snapshot: string | undefined;
    if (jpeg !== undefined) {
      const hash = createHash("sha256").update(jpeg).digest("hex").slice(0, 12);
      snapshot = snapshotName(condition.site, condition.device, condition.at, hash);
      await writeDurably(join(this.#o.dir, `${file}.jpg`), jpeg);
    }
    const linked: AlertCondition =
      snapshot === undefined
        ? condition
        : { ...condition, evidence: { ...condition.evidence, snapshot: `${SNAPSHOT_LINK_PREFIX}${snapshot}` } };
    const item: PendingItem = { file, condition: linked, ...(snapshot === undefined ? {} : { snapshot }) };
    await writeDurably(join(this.#o.dir, file), Buffer.from(JSON.stringify({ ...item, file: undefined })));
    this.#queue.push(item);
    this.#stats.submitted++;
    this.#kick();
    return linked;
  }

  /** Resolves when nothing is pending (tests, and a clean shutdown that may wait). */
  drained(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#sending?.catch(() => undefined);
    await this.#nats?.close().catch(() => undefined);
    this.#nats = undefined;
  }

  #kick(): void {
    if (this.#sending !== undefined || this.#queue.length === 0 || this.#closed) return;
    this.#sending = this.#drain().finally(() => {
      this.#sending = undefined;
      this.#kick();
    });
  }

  async #drain(): Promise<void> {
    let attempt = 0;
    while (this.#queue.length > 0 && !this.#closed) {
      const item = this.#queue[0] as PendingItem;
      try {
        await this.#send(item);
        this.#queue.shift();
        await rm(join(this.#o.dir, item.file), { force: true });
        if (item.snapshot !== undefined) await rm(join(this.#o.dir, `${item.file}.jpg`), { force: true });
        this.#stats.sent++;
        attempt = 0;
      } catch (error) {
        this.#stats.failures++;
        this.#stats.lastError = error instanceof Error ? error.message : String(error);
        this.#o.log.warn("evidence not sent yet; kept on disk", { error: this.#stats.lastError, file: item.file });
        await this.#nats?.close().catch(() => undefined);
        this.#nats = undefined;
        this.#store = undefined;
        const ceiling = Math.min(this.#o.maxBackoffMs, 500 * 2 ** attempt++);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ceiling / 2 + (this.#o.random() * ceiling) / 2);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    if (this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #send(item: PendingItem): Promise<void> {
    this.#nats ??= await this.#o.connect();
    const nats = this.#nats;
    if (item.snapshot !== undefined) {
      const jpeg = await readFile(join(this.#o.dir, `${item.file}.jpg`));
      await this.#putSnapshot(nats, item.snapshot, jpeg);
    }
    const c = item.condition;
    await jetstream(nats).publish(alertConditionSubject(c), JSON.stringify(c), {
      msgID: `${alertKey(c)}@${c.at}:${c.level ?? "clear"}`,
    });
    // The live feed of detections: for screens; the durable record is the condition above.
    nats.publish(videoDetectionSubject(c.site, c.device), JSON.stringify(c));
  }

  async #putSnapshot(nats: NatsConnection, name: string, jpeg: Uint8Array): Promise<void> {
    this.#store ??= await new Objm(nats).create(SNAPSHOT_BUCKET, { max_bytes: this.#o.bucketMaxBytes });
    const store = this.#store;
    if ((await store.info(name)) !== null) return; // sent before a crash: the name is the content's
    for (let tries = 0; ; tries++) {
      try {
        await store.putBlob({ name, options: { max_chunk_size: 256 * 1024 } }, jpeg);
        this.#stats.snapshots++;
        return;
      } catch (error) {
        // The bucket is capped by size and refuses new data when full (discard new): the oldest
        // snapshots make room, as the disk store at the edge does.
        if (tries >= 3 || !/maximum bytes|insufficient resources|resource limits/i.test(String(error))) throw error;
        this.#stats.evicted += await evictOldest(store, jpeg.length * 4);
      }
    }
  }
}

async function evictOldest(store: ObjectStore, bytes: number): Promise<number> {
  const all = (await store.list()).filter((i) => !i.deleted).sort((a, b) => a.mtime.localeCompare(b.mtime));
  let freed = 0;
  let count = 0;
  for (const info of all) {
    if (freed >= bytes) break;
    await store.delete(info.name);
    freed += info.size;
    count++;
  }
  return count;
}

async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
