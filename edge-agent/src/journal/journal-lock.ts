import { readFile, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@lifeline/contracts";
import { isMissing } from "./durable-file.ts";
import { JournalError } from "./journal-error.ts";

export const LOCK_FILE = "lock";
/** A lock file with no pid yet is being written by its owner, unless it is older than this. */
const UNWRITTEN_GRACE_MS = 5000;

/**
 * One journal per directory: the lock file is created with O_EXCL (`wx`), which works on every
 * local filesystem including the FAT of an SD card, and holds the owner's pid. A lock whose pid no
 * longer runs is stale (the owner was killed) and is taken over. A pid reused by an unrelated
 * process makes a stale lock look live; the error names the pid so that someone can check.
 */
export class JournalLock {
  readonly #path: string;

  private constructor(path: string) {
    this.#path = path;
  }

  static async acquire(dir: string, log: Logger): Promise<JournalLock> {
    const path = join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await writeFile(path, `${process.pid}\n`, { flag: "wx" });
        return new JournalLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = await readHolder(path);
      if (holder === undefined) continue; // released meanwhile
      if (holder.pid === undefined ? holder.ageMs < UNWRITTEN_GRACE_MS : isRunning(holder.pid)) {
        throw new JournalError(
          "EDGE_JOURNAL_LOCKED",
          holder.pid === undefined
            ? "locked by a process that is still writing its pid"
            : `locked by process ${holder.pid}, which is running`,
          { dir, detail: { pid: holder.pid } },
        );
      }
      log.warn("journal lock left by a process that is gone: taking it over", { dir, pid: holder.pid });
      await unlink(path).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
    }
    throw new JournalError("EDGE_JOURNAL_LOCKED", "lock taken by another process at the same time", { dir });
  }

  async release(): Promise<void> {
    const holder = await readHolder(this.#path);
    // Only our own lock: if it was taken over (we were thought dead), it is no longer ours to remove.
    if (holder?.pid === process.pid) await unlink(this.#path).catch(() => undefined);
  }
}

async function readHolder(path: string): Promise<{ pid: number | undefined; ageMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    const pid = /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
    return { pid, ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
