import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { mkdirDurably, syncDirectoryAsync, writeFileDurably, writeFileDurablyAsync } from "@lifeline/durable-fs";

/**
 * One insert written down before it was sent: its deduplication token and its exact rows, as a
 * `Native` block (it names its columns and their types); in files of earlier versions as
 * `RowBinaryWithNamesAndTypes`, or as TabSeparated with the columns they fill (undefined in files
 * of the first version, which did not write them: its telemetry columns, in today's order).
 */
export type PendingInsert =
  | { format: "Native"; token: string; bytes: Buffer; file: string }
  | { format: "RowBinary"; token: string; bytes: Buffer; file: string }
  | { format: "TabSeparated"; token: string; columns: readonly string[] | undefined; bytes: Buffer; file: string };

/** A `Native` block: what this version writes. */
const NATIVE = ".native";
/** `RowBinaryWithNamesAndTypes` (versions before 2026-12-02). */
const BINARY = ".rbn";
/** TabSeparated whose first line names the columns (the second version). */
const NAMED_TEXT = ".tsvn";
/** TabSeparated rows only (the first version). */
const TEXT = ".tsv";
const SUFFIXES = [NATIVE, BINARY, NAMED_TEXT, TEXT];
/**
 * What names a file written ahead until it is taken: after any digit, so such files come after
 * every insert that was sent (see `PendingInserts`, "In the order they were sent").
 */
const AHEAD = "ahead";
/** Where inserts ClickHouse refused for good are kept, each with a `.reason.txt`. */
const REFUSED = "refused";
const REASON = ".reason.txt";

/**
 * Inserts written down before ClickHouse is asked to commit them, and forgotten once it did.
 *
 * Why: ClickHouse commits a telemetry insert's raw part, then the parts of the materialized views
 * (1-minute rollup, then series index and 1-hour rollup) — a crash in between leaves raw with the
 * rows and the rollups without them. Redelivered, those messages are found in raw and not written
 * again, so the rollups would stay short for good. The block cannot be rebuilt from the stream
 * after a restart — which envelopes it held depended on what was stored then — so its bytes are
 * kept here until the insert returned, and a restart completes it from them: what each table lacks
 * of it is found and added (`TelemetryStore.completeInsert`; on a cluster it is sent again under
 * its token). Sending it again under its token was the first way, and is not enough on a single
 * server: a kill inside a table's commit can leave the token in its deduplication log without the
 * part, and the copy is dropped there (store's insert-repair.ts).
 *
 * The same holds for an insert that failed without a crash (a timeout, ClickHouse gone mid-insert):
 * how much of it was committed is unknown, and its messages come back later in batches of another
 * make-up, under other tokens. So whatever is written down is completed before the next batch is
 * looked at — at start and after a failure alike (`waiting`).
 *
 * A file names the columns its rows fill, and their types: an upgrade that adds a telemetry column
 * can still complete what the previous version wrote down (its rows lack that column), and one that
 * changes a type gets an error naming the column, not misread bytes.
 *
 * A file is written (to a temporary name, synced, then renamed and its folder synced) before the
 * insert starts, so a crash or a power cut leaves either no file and no insert, or the whole file.
 * It may be written ahead (`writeAhead`), while the insert before it runs: such a file is this
 * run's and not yet sent, so it is not among what `replay` completes until it is `taken` for its
 * insert (completed before it was sent, then sent, its rows would be stored twice).
 *
 * In the order they were sent: a restart completes the files in name order, and a file's name
 * starts with the time it was taken for its insert (or written, if it was not written ahead) —
 * never the time it was written ahead. The order matters: the completion finds what a rollup lacks
 * by counting, bucket by bucket, the table it is fed from against its own (store's
 * insert-repair.ts), so the insert that was sent and cut off between raw and the rollups must be
 * completed before a later batch written ahead (never sent) adds its rows to raw; the other way
 * round, buckets the two share are short by both shares, neither insert's own, and are left short
 * for good. (The chaos suite's processor kills found this: a batch that needed look-ups was written
 * down after the lookups, while the next batch had been written ahead during them — the minutes,
 * hours and index ended 260 readings short.) A file written ahead and never taken is named
 * `ahead…`, after every sent one.
 */
export class PendingInserts {
  readonly #dir: string;
  /** Inserts of this run written down and not yet seen committed, by token. */
  readonly #files = new Map<string, string>();
  /** Inserts of this run written ahead (or being written), not yet taken for their insert, by token. */
  readonly #ahead = new Map<string, { file: string; written: Promise<void> }>();
  /** Files a previous run left. */
  #left: boolean;
  /** The time in the last name given: names of this run are strictly increasing (two in one ms). */
  #lastStamp = 0;

  constructor(dir: string) {
    this.#dir = dir;
    // Its entry in the parent synced too: a file synced in a folder a power cut forgets is lost with it.
    mkdirDurably(dir);
    // A write a crash cut short (one process per folder: none is in progress): never renamed, never sent.
    for (const name of readdirSync(dir)) if (name.endsWith(".tmp")) rmSync(join(dir, name), { force: true });
    this.#left = this.#names().length > 0;
  }

  /** Whether an insert is written down that was not seen committed: send them again before anything else. */
  get waiting(): boolean {
    return this.#left || this.#files.size > 0;
  }

  /**
   * Writes an insert down (a `Native` block); call before sending it. On disk when it
   * returns — the file, then its name in the folder: a power cut during the insert leaves tables
   * that hold a prefix of it (each part is synced before the next, migration 4), and only this file
   * can complete the rest once the redelivered batch is found in raw. Forgetting it is not synced:
   * a file that comes back after a power cut is completed again, which adds nothing. Returns the
   * file. An insert written ahead under `token` is {@link take}n first (its write awaited).
   */
  write(token: string, bytes: Buffer): string {
    const file = this.#files.get(token) ?? this.#ahead.get(token)?.file ?? this.#newFile(token);
    this.#ahead.delete(token);
    this.#files.set(token, file);
    writeFileDurably(file, bytes);
    return file;
  }

  /**
   * Writes an insert down on libuv's thread pool, ahead of its turn: while the insert before it
   * runs, off the event loop. Not `waiting`, and not completed by `replay`, until {@link take}n.
   * The promise rejects if it could not be written (`take` then says so).
   */
  writeAhead(token: string, bytes: Buffer): Promise<void> {
    const file = this.#ahead.get(token)?.file ?? this.#newFile(token, AHEAD);
    const written = writeFileDurablyAsync(file, bytes);
    written.catch(() => undefined); // seen by `take`; not an unhandled rejection meanwhile
    this.#ahead.set(token, { file, written });
    return written;
  }

  /**
   * The insert written ahead under `token`, taken for its turn: once written (on disk when it
   * resolves), it is renamed to a name of now — among what `waiting` and `replay` see, in its place
   * as if written now — and that file is returned. Undefined when none was written ahead, or
   * writing or renaming it failed (write it again).
   */
  async take(token: string): Promise<string | undefined> {
    const ahead = this.#ahead.get(token);
    if (ahead === undefined) return undefined;
    const ok = await ahead.written.then(
      () => true,
      () => false,
    );
    if (this.#ahead.get(token) !== ahead) return undefined; // written again meanwhile
    this.#ahead.delete(token);
    if (!ok) return undefined;
    const file = this.#newFile(token);
    try {
      await rename(ahead.file, file);
      // The new name on disk before the insert starts: after a power cut too, what was sent is
      // completed before what was only written ahead.
      await syncDirectoryAsync(this.#dir);
    } catch {
      rmSync(ahead.file, { force: true });
      rmSync(file, { force: true });
      return undefined;
    }
    this.#files.set(token, file);
    return file;
  }

  /**
   * A new file's name: the time in it (unique in this run) orders what a restart completes, after
   * an `ahead` prefix for a file written ahead; the token may hold any character.
   */
  #newFile(token: string, prefix = ""): string {
    this.#lastStamp = Math.max(Date.now(), this.#lastStamp + 1);
    const stamp = this.#lastStamp.toString().padStart(15, "0");
    return join(this.#dir, `${prefix}${stamp}-${encodeURIComponent(token)}${NATIVE}`);
  }

  /** Forgets an insert ClickHouse has committed (or one written ahead that is not needed). */
  done(token: string): void {
    const file = this.#files.get(token);
    this.#files.delete(token);
    if (file !== undefined) rmSync(file, { force: true });
    this.drop(token);
  }

  /**
   * Forgets an insert written ahead under `token` and not taken — its batch failed before its turn
   * (ClickHouse down while what was written down before it is completed) — leaving one written down
   * for its insert, which must still be completed, alone. Its batch comes back from JetStream and is
   * written down again then; kept, every batch prepared during an outage would leave its file.
   */
  drop(token: string): void {
    const ahead = this.#ahead.get(token);
    this.#ahead.delete(token);
    // Removed once the write settled: a removal before the rename would leave the file the rename
    // makes. (Not `finally`: its promise rejects again when the write failed, and nothing awaits it.)
    if (ahead !== undefined) {
      const remove = () => rmSync(ahead.file, { force: true });
      void ahead.written.then(remove, remove);
    }
  }

  /** The inserts written down and not seen committed (a previous run's, or failed ones), oldest first. */
  left(): PendingInsert[] {
    return this.#names().map((name) => this.#read(name));
  }

  /**
   * Hands every insert written down and not seen committed (left by a previous run, or failed in
   * this one) to `insert`, oldest first, and forgets each once it went through.
   * Each file is read just before it is sent: only one insert's rows are held at a time.
   *
   * An insert ClickHouse refuses for good (`refusal` gives the reason: its rows do not parse, or do
   * not fit the table) would stop every later batch if it were kept in line; it is set aside in
   * `refused/` with its reason, for a person to look at. Any other failure is thrown: the insert
   * stays, to be sent again.
   */
  async replay(
    insert: (p: PendingInsert) => Promise<void>,
    refusal: (error: unknown) => string | undefined = () => undefined,
  ): Promise<{ sent: number; setAside: number }> {
    let sent = 0;
    let setAside = 0;
    for (const name of this.#names()) {
      const p = this.#read(name);
      try {
        await insert(p);
        rmSync(p.file, { force: true });
        sent++;
      } catch (error) {
        const reason = refusal(error);
        if (reason === undefined) throw error;
        this.#setAside(name, reason);
        setAside++;
      }
      this.#files.delete(p.token);
    }
    this.#left = false;
    return { sent, setAside };
  }

  /** The inserts set aside as refused, with their reasons. */
  refused(): { name: string; reason: string }[] {
    const dir = join(this.#dir, REFUSED);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => name.endsWith(REASON))
      .sort()
      .map((name) => ({ name: name.slice(0, -REASON.length), reason: readFileSync(join(dir, name), "utf8") }));
  }

  #setAside(name: string, reason: string): void {
    const dir = join(this.#dir, REFUSED);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}${REASON}`), reason);
    renameSync(join(this.#dir, name), join(dir, name));
  }

  /**
   * The files written down, in the order they were sent (then those a previous run wrote ahead and
   * did not take: never sent), except those this run wrote ahead and has not taken yet.
   */
  #names(): string[] {
    const ahead = new Set([...this.#ahead.values()].map((a) => a.file));
    return readdirSync(this.#dir, { withFileTypes: true })
      .filter((e) => e.isFile() && SUFFIXES.some((suffix) => e.name.endsWith(suffix)))
      .filter((e) => !ahead.has(join(this.#dir, e.name)))
      .map((e) => e.name)
      .sort();
  }

  #read(name: string): PendingInsert {
    const file = join(this.#dir, name);
    const bytes = readFileSync(file);
    const suffix = SUFFIXES.find((candidate) => name.endsWith(candidate)) as string;
    const token = decodeURIComponent(name.slice(name.indexOf("-") + 1, -suffix.length));
    if (suffix === NATIVE) return { format: "Native", token, bytes, file };
    if (suffix === BINARY) return { format: "RowBinary", token, bytes, file };
    if (suffix === TEXT) return { format: "TabSeparated", token, columns: undefined, bytes, file };
    const end = bytes.indexOf(10);
    const columns = bytes.subarray(0, end).toString("utf8").split("\t");
    return { format: "TabSeparated", token, columns, bytes: bytes.subarray(end + 1), file };
  }
}
