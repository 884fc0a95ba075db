import { z } from "zod";
import { BYTE_SIZE_PATTERN, parseByteSize } from "./byte-size.ts";

const JOURNAL_MIN_BYTES = 1024 ** 2;
const JOURNAL_MAX_BYTES = 1024 ** 4;
export const FSYNC_MODES = ["always", "interval", "never"] as const;

/** The store-and-forward journal on the gateway's disk: readings wait there while the uplink is down. */
export const journalSchema = z
  .strictObject({
    maxBytes: z
      .union([
        z.int().min(0),
        z.string().regex(BYTE_SIZE_PATTERN, 'expected a size such as "512MiB", "2GiB" or a number of bytes'),
      ])
      .transform((size) => parseByteSize(size) ?? 0)
      .pipe(
        z
          .int()
          .min(JOURNAL_MIN_BYTES, { error: "expected at least 1MiB (1048576 bytes)" })
          .max(JOURNAL_MAX_BYTES, { error: "expected at most 1TiB (1099511627776 bytes)" }),
      )
      .prefault("512MiB")
      .describe(
        "Disk the journal may use, 1MiB..1TiB: bytes or a size with a unit (KiB, MiB, GiB, TiB; kB, MB, GB, TB); when full, the oldest readings are dropped and counted",
      ),
    fsync: z
      .enum(FSYNC_MODES)
      .default("interval")
      .describe(
        "always: sync after every append (nothing acknowledged is lost; slowest, wears flash); interval: every fsyncIntervalMs (a power cut loses at most that window); never: leave it to the OS",
      ),
    fsyncIntervalMs: z
      .int()
      .min(10)
      .max(60_000)
      .default(1_000)
      .describe("With fsync interval: how often the journal is synced to disk"),
  })
  .prefault({})
  .describe("The store-and-forward journal on the gateway's disk");

export type JournalConfig = z.infer<typeof journalSchema>;
