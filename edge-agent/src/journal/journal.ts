import { mkdir, unlink } from "node:fs/promises";
import { encodeAckFile, writeAckFile } from "./ack-file.ts";
import { fsyncDirectory, isMissing } from "./durable-file.ts";
import { FileJobs } from "./file-jobs.ts";
import { JournalError, tooLarge } from "./journal-error.ts";
import { JournalLock } from "./journal-lock.ts";
import { type JournalOptions, type ResolvedJournalOptions, resolveJournalOptions } from "./journal-options.ts";
import type { JournalRecord, JournalStats } from "./journal-record.ts";
import { type RecoveredJournal, recoverJournal } from "./journal-recovery.ts";
import { FRAME_HEADER_BYTES, frameOf, SEGMENT_HEADER_BYTES, sealFrame } from "./record-frame.ts";
import type { Segment } from "./segment.ts";
import { SegmentList } from "./segment-list.ts";
import { SegmentWriter } from "./segment-writer.ts";

export { JournalError } from "./journal-error.ts";
export type { FsyncPolicy, JournalOptions } from "./journal-options.ts";
export type { JournalRecord, JournalStats } from "./journal-record.ts";

/** Appends waiting for the writer; the ids of one entry are consecutive. */
interface PendingAppend {
  frames: Buffer[];
  done: (firstId: number) => void;
  fail: (error: unknown) => void;
}

/**
 * A disk-backed append-only journal of opaque payloads for store-and-forward: appends go to the
 * active segment file, a forwarder reads what is not acked and acks what the next hop made
 * durable. Acked segments are deleted; when the byte budget is full the oldest segment is
 * dropped and its unacked records are reported to `onOverflow`. See README.md in this folder.
 *
 * All file work (writes, fsyncs, segment changes, ack-file writes) runs one job at a time on one
 * promise chain; `read` and `ack` only look at the in-memory state and open files of their own.
 */
export class Journal {
  readonly #o: ResolvedJournalOptions;
  readonly #lock: JournalLock;
  readonly #list: SegmentList;
  #writer!: SegmentWriter;
  /** fdatasyncs of segments no longer written. */
  #sealedFsyncs = 0;
  #nextId: number;
  #lastId: number;
  #queue: PendingAppend[] = [];
  #draining = false;
  readonly #jobs: FileJobs;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #failure: JournalError | undefined;
  /** Segments all acked, out of the list, waiting to be unlinked. */
  #retired: Segment[] = [];
  #acksDirty = false;
  #persistedLastId = -1;
  #ackFileBytes: number;
  #diskBytes = 0;
  #appended = 0;
  #acked = 0;
  #overflowed = 0;
  #overflowedBytes = 0;
  readonly #recoveredTornBytes: number;

  private constructor(o: ResolvedJournalOptions, lock: JournalLock, recovered: RecoveredJournal) {
    this.#o = o;
    this.#lock = lock;
    this.#jobs = new FileJobs((error) => o.log.error("journal: file job failed", { dir: o.dir, error: String(error) }));
    this.#list = new SegmentList(o.dir, recovered.segments, o.tailCacheBytes);
    this.#recoveredTornBytes = recovered.tornBytes;
    this.#ackFileBytes = recovered.ackFileBytes;
    this.#diskBytes = recovered.ackFileBytes + recovered.segments.reduce((sum, s) => sum + s.size, 0);
    this.#lastId = recovered.lastId;
    this.#nextId = recovered.lastId + 1;
    this.#list.cache.clear(this.#nextId);
  }

  /** Takes the directory's lock, recovers what the last process left and opens the active segment. */
  static async open(options: JournalOptions): Promise<Journal> {
    const o = resolveJournalOptions(options);
    await mkdir(o.dir, { recursive: true });
    const lock = await JournalLock.acquire(o.dir, o.log);
    try {
      const recovered = await recoverJournal(o.dir, o.log);
      const journal = new Journal(o, lock, recovered);
      await journal.#start();
      return journal;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  async #start(): Promise<void> {
    const last = this.#list.newest;
    if (last !== undefined && last.endId === this.#nextId) {
      this.#writer = await SegmentWriter.resume(last, this.#o.fsync);
    } else {
      // The ack file knows of ids past the last record on disk: they were lost in a crash (fsync
      // "interval" or "never"). A new segment starts after them, so that no id is issued twice.
      if (last !== undefined) {
        if (last.count > 0) {
          this.#o.log.warn("journal: records appended before the crash are gone", {
            dir: this.#o.dir,
            fromId: last.endId,
            toId: this.#nextId - 1,
          });
        }
        last.seal();
        if (last.fullyAcked) {
          this.#list.remove(last);
          this.#diskBytes -= last.size;
          await unlink(last.path);
        }
      }
      await this.#createSegment();
    }
    this.#o.log.info("journal opened", {
      dir: this.#o.dir,
      segments: this.#list.all.length,
      lastId: this.#lastId,
      firstUnacked: this.firstUnacked(),
      recoveredTornBytes: this.#recoveredTornBytes,
    });
    this.#timer = setInterval(() => this.#tick(), this.#o.fsyncIntervalMs);
    this.#timer.unref();
  }

  /** Resolves with the record's id once it is durable as the fsync policy says. */
  append(payload: Uint8Array): Promise<number> {
    const refused = this.#refusal([payload]);
    if (refused !== undefined) return Promise.reject(refused);
    return new Promise((done, fail) => this.#enqueue({ frames: [frameOf(payload)], done, fail }));
  }

  /** One write and (fsync "always") one fdatasync for all; all or none are accepted. */
  appendMany(payloads: Uint8Array[]): Promise<number[]> {
    const refused = this.#refusal(payloads);
    if (refused !== undefined) return Promise.reject(refused);
    if (payloads.length === 0) return Promise.resolve([]);
    return new Promise((resolve, fail) =>
      this.#enqueue({
        frames: payloads.map(frameOf),
        done: (firstId) => resolve(payloads.map((_, i) => firstId + i)),
        fail,
      }),
    );
  }

  #refusal(payloads: Uint8Array[]): JournalError | undefined {
    if (this.#closed) return new JournalError("EDGE_JOURNAL_CLOSED", "append after close", { dir: this.#o.dir });
    return this.#failure ?? tooLarge(payloads, this.#o);
  }

  #enqueue(entry: PendingAppend): void {
    this.#queue.push(entry);
    if (this.#draining) return;
    this.#draining = true;
    this.#jobs.schedule(() => this.#drain());
  }

  /**
   * Group commit: everything queued while the previous batch was being written and fsynced goes
   * out as the next batch. Each batch is its own job so that the interval fsync and ack-file
   * writes get their turn under a steady stream of appends.
   */
  async #drain(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length > 0) await this.#commit(batch);
    if (this.#queue.length > 0) this.#jobs.schedule(() => this.#drain());
    else this.#draining = false;
  }

  async #commit(batch: PendingAppend[]): Promise<void> {
    if (this.#failure !== undefined) {
      for (const entry of batch) entry.fail(this.#failure);
      return;
    }
    const firstId = this.#nextId;
    const touched = [this.#writer.segment];
    try {
      let writes: Buffer[] = [];
      let writeAt = this.#writer.segment.size;
      for (const entry of batch) {
        for (const frame of entry.frames) {
          if (this.#writer.segment.size + frame.length > this.#o.segmentBytes) {
            await this.#writer.write(writes, writeAt);
            await this.#roll(frame.length);
            touched.push(this.#writer.segment);
            writes = [];
            writeAt = this.#writer.segment.size;
          } else if (this.#diskBytes + frame.length > this.#o.maxBytes) {
            await this.#makeRoom(frame.length);
          }
          sealFrame(frame, this.#nextId++);
          this.#writer.segment.addRecord(frame.length - FRAME_HEADER_BYTES);
          this.#diskBytes += frame.length;
          writes.push(frame);
        }
      }
      await this.#writer.write(writes, writeAt);
      if (this.#o.fsync === "always") await this.#writer.sync();
    } catch (error) {
      this.#fail(error);
      for (const entry of batch) entry.fail(this.#failure);
      return;
    }
    this.#publish(batch, firstId, touched);
  }

  /** The batch becomes visible to `read`/`ack`, enters the tail cache, and its appends resolve. */
  #publish(batch: PendingAppend[], firstId: number, touched: Segment[]): void {
    for (const segment of touched) segment.visibleCount = segment.count;
    this.#lastId = this.#nextId - 1;
    this.#appended += this.#lastId - firstId + 1;
    let id = firstId;
    for (const entry of batch)
      for (const frame of entry.frames) this.#list.cache.push(id++, frame.subarray(FRAME_HEADER_BYTES));
    this.#list.cache.dropBelow((this.#list.oldest as Segment).firstId);
    id = firstId;
    for (const entry of batch) {
      entry.done(id);
      id += entry.frames.length;
    }
  }

  /** Seals the active segment and starts the next one, named by the next id. */
  async #roll(frameLength: number): Promise<void> {
    const sealed = this.#writer.segment;
    await this.#writer.seal();
    this.#sealedFsyncs += this.#writer.fsyncs;
    await this.#makeRoom(SEGMENT_HEADER_BYTES + frameLength);
    await this.#createSegment();
    if (!sealed.gone && sealed.fullyAcked) this.#retire(sealed);
  }

  async #createSegment(): Promise<void> {
    this.#writer = await SegmentWriter.create(this.#o.dir, this.#nextId, this.#o.fsync);
    this.#list.push(this.#writer.segment);
    this.#diskBytes += this.#writer.segment.size;
  }

  /** Overflow policy: drop the oldest sealed segments until `bytes` more fit in the budget. */
  async #makeRoom(bytes: number): Promise<void> {
    await this.#unlinkRetired();
    while (this.#diskBytes + bytes > this.#o.maxBytes) {
      const oldest = this.#list.oldest as Segment;
      if (oldest === this.#writer.segment) return; // only possible when the ack file alone is over budget
      await this.#drop(oldest);
    }
  }

  /** Reads the segment's unacked records, reports them as lost, then deletes the file. */
  async #drop(segment: Segment): Promise<void> {
    const lost = await this.#list.drop(segment);
    const lostBytes = lost.reduce((sum, r) => sum + r.payload.length, 0);
    this.#overflowed += lost.length;
    this.#overflowedBytes += lostBytes;
    this.#o.log.warn("journal full: oldest segment dropped", {
      dir: this.#o.dir,
      file: segment.path,
      lost: lost.length,
      lostBytes,
      firstLostId: lost[0]?.id,
      lastLostId: lost.at(-1)?.id,
    });
    if (lost.length > 0) {
      try {
        this.#o.onOverflow(lost);
      } catch (error) {
        this.#o.log.error("journal: onOverflow threw", { dir: this.#o.dir, error: String(error) });
      }
    }
    await unlink(segment.path);
    this.#diskBytes -= segment.size;
  }

  /**
   * Up to `maxRecords` unacked records with id ≥ `fromId`, in id order, and at most `maxBytes`
   * of payload, except that the first record is returned even if it alone is larger. Only
   * records whose append resolved are seen. Payloads may be shared: do not modify them.
   */
  async read(fromId: number, maxRecords: number, maxBytes = Number.POSITIVE_INFINITY): Promise<JournalRecord[]> {
    if (this.#closed) throw new JournalError("EDGE_JOURNAL_CLOSED", "read after close", { dir: this.#o.dir });
    return this.#list.read(fromId, maxRecords, maxBytes, this.#lastId);
  }

  /**
   * Releases a record: it is not read again and its segment goes once all of it is acked. Acks
   * are kept in memory and written to the ack file every `fsyncIntervalMs` and at close; a crash
   * forgets the acks since the last write, and those records are sent again (the receiver drops
   * duplicates by envelope identity). Out of order, repeated, unknown and dropped ids are fine.
   */
  ack(id: number): void {
    if (this.#closed || !Number.isSafeInteger(id)) return;
    const segment = this.#list.segmentOf(id);
    if (segment === undefined) return;
    const index = segment.indexOf(id);
    if (index < 0 || !segment.ack(index)) return;
    this.#acked++;
    this.#acksDirty = true;
    if (segment.sealed && segment.fullyAcked) this.#retire(segment);
  }

  #retire(segment: Segment): void {
    this.#list.remove(segment);
    this.#retired.push(segment);
    this.#jobs.schedule(() => this.#unlinkRetired());
  }

  async #unlinkRetired(): Promise<void> {
    while (this.#retired.length > 0) {
      const segment = this.#retired.shift() as Segment;
      try {
        await unlink(segment.path);
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      this.#diskBytes -= segment.size;
    }
  }

  /** The lowest retained id that is not acked. */
  firstUnacked(): number | undefined {
    return this.#list.firstUnacked();
  }

  /** The id of the last record appended (resolved), 0 if none ever was. */
  lastId(): number {
    return this.#lastId;
  }

  stats(): JournalStats {
    const pending = this.#list.pending();
    return {
      appended: this.#appended,
      acked: this.#acked,
      pending: pending.records,
      pendingBytes: pending.bytes,
      diskBytes: this.#diskBytes,
      segments: this.#list.all.length,
      overflowed: this.#overflowed,
      overflowedBytes: this.#overflowedBytes,
      recoveredTornBytes: this.#recoveredTornBytes,
      fsyncs: this.#sealedFsyncs + this.#writer.fsyncs,
    };
  }

  /** fdatasync the active segment and write the ack file now. */
  async flush(): Promise<void> {
    if (this.#closed) throw new JournalError("EDGE_JOURNAL_CLOSED", "flush after close", { dir: this.#o.dir });
    await this.#jobs.schedule(async () => {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#writer.segment.unsynced) await this.#writer.sync();
      await this.#persistAcks(true);
    });
  }

  /** Finishes the appends already made, writes the acks, fsyncs and releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    try {
      await this.#jobs.schedule(async () => {
        while (this.#queue.length > 0) {
          const batch = this.#queue;
          this.#queue = [];
          await this.#commit(batch);
        }
        try {
          await this.#unlinkRetired();
          if (this.#failure === undefined && this.#writer.segment.unsynced) await this.#writer.sync();
          await this.#persistAcks(true);
          await fsyncDirectory(this.#o.dir);
        } finally {
          await this.#writer.close().catch(() => undefined);
        }
      });
    } finally {
      await this.#lock.release();
    }
  }

  #tick(): void {
    void this.#jobs.schedule(async () => {
      if (this.#closed || this.#failure !== undefined) return;
      if (this.#o.fsync === "interval" && this.#writer.segment.unsynced) {
        // After a failed fdatasync the kernel may have dropped the dirty pages: stop appending.
        await this.#writer.sync().catch((error: unknown) => this.#fail(error));
      }
      await this.#persistAcks(this.#o.fsync !== "never");
    });
  }

  /** The ack file, when acks or the last id changed since it was last written. */
  async #persistAcks(sync: boolean): Promise<void> {
    if (!this.#acksDirty && this.#persistedLastId === this.#lastId) return;
    const segments = this.#list.acksForFile();
    const bytes = encodeAckFile({ lastId: this.#lastId, segments });
    const lastId = this.#lastId;
    this.#acksDirty = false;
    try {
      await writeAckFile(this.#o.dir, bytes, { file: sync, dir: false });
    } catch (error) {
      this.#acksDirty = true;
      throw error;
    }
    this.#persistedLastId = lastId;
    this.#diskBytes += bytes.length - this.#ackFileBytes;
    this.#ackFileBytes = bytes.length;
  }

  #fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#failure ??= new JournalError(
      "EDGE_JOURNAL_IO",
      `writing failed, no more appends until the journal is reopened: ${message}`,
      { dir: this.#o.dir },
      error,
    );
    this.#o.log.error("journal: write failed", { dir: this.#o.dir, error: message });
  }
}
