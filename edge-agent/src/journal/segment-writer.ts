import { closeFile, fdatasync, fsyncDirectory, openFile, writeAll } from "./durable-file.ts";
import type { FsyncPolicy } from "./journal-options.ts";
import { segmentHeader } from "./record-frame.ts";
import { Segment } from "./segment.ts";

/** The segment being written and its open file. */
export class SegmentWriter {
  readonly segment: Segment;
  readonly #fd: number;
  readonly #fsync: FsyncPolicy;
  /** fdatasync calls made on this segment. */
  fsyncs = 0;

  private constructor(segment: Segment, fd: number, fsync: FsyncPolicy) {
    this.segment = segment;
    this.#fd = fd;
    this.#fsync = fsync;
  }

  /** A new segment file named by its first id, with its header. */
  static async create(dir: string, firstId: number, fsync: FsyncPolicy): Promise<SegmentWriter> {
    const segment = new Segment(dir, firstId);
    const fd = await openFile(segment.path, "wx");
    await writeAll(fd, [segmentHeader()], 0);
    // The new file's name must survive a power cut as well as the records in it.
    if (fsync !== "never") {
      await fdatasync(fd);
      await fsyncDirectory(dir);
    }
    return new SegmentWriter(segment, fd, fsync);
  }

  /** The last segment found at recovery, written on from its valid end. */
  static async resume(segment: Segment, fsync: FsyncPolicy): Promise<SegmentWriter> {
    return new SegmentWriter(segment, await openFile(segment.path, "r+"), fsync);
  }

  /** Frames already added to the segment (`addRecord`), written at `position`. */
  async write(frames: Buffer[], position: number): Promise<void> {
    if (frames.length === 0) return;
    await writeAll(this.#fd, frames, position);
    this.segment.unsynced = true;
  }

  async sync(): Promise<void> {
    await fdatasync(this.#fd);
    this.fsyncs++;
    this.segment.unsynced = false;
  }

  /**
   * No more writes: fdatasync (except with fsync "never") so that only the last segment can be
   * torn by a power cut, then close the file.
   */
  async seal(): Promise<void> {
    if (this.segment.unsynced && this.#fsync !== "never") await this.sync();
    await this.close();
    this.segment.seal();
  }

  async close(): Promise<void> {
    await closeFile(this.#fd);
  }
}
