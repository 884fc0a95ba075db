import {
  decodePack,
  type Envelope,
  isPackSubject,
  type Logger,
  type PackEntry,
  PackError,
  tryDecodeEnvelope,
} from "@lifeline/contracts";
import {
  envelopeRows,
  identityOf,
  insertRefusal,
  type QuarantineRow,
  TelemetryNative,
  type TelemetryRow,
  type TelemetryStore,
} from "@lifeline/store";
import { dedupToken } from "./dedup-token.ts";
import type { StreamMessage } from "./jetstream-puller.ts";
import { onItsSubject } from "./on-its-subject.ts";
import { payloadText } from "./payload-text.ts";
import type { PendingInserts } from "./pending-inserts.ts";
import { type BatchPart, isolateRefused } from "./refused-batch.ts";
import { SeenEnvelopes } from "./seen-envelopes.ts";

export interface TelemetrySinkStats {
  envelopes: number;
  rows: number;
  quarantined: number;
  /** JetStream messages that were packs of envelopes (see contracts' envelope-pack.ts). */
  packs: number;
  /** Envelopes dropped as copies of one this processor stored before (or met earlier in the batch). */
  copies: number;
  /** Rows that might have been stored before, checked against ClickHouse. */
  checkedRows: number;
  /** Of those, rows already stored and therefore not written again. */
  replayedRows: number;
  /** Messages delivered twice within one batch (redelivered while the first copy waited). */
  redeliveredTwice: number;
  /** Inserts not seen committed (left by a previous run, or failed in this one), completed (see PendingInserts). */
  resentInserts: number;
  /** Of those, inserts ClickHouse refused for good (rows that do not parse or fit): set aside, not sent again. */
  refusedInserts: number;
  /**
   * Readings those inserts' tables lacked and that were added when they were completed (see
   * `TelemetryStore.completeInsert`), summed over raw, the rollups and the series index.
   */
  repairedReadings: number;
  /** Rollup buckets found short by something other than the insert completed: logged, not touched. */
  unexplainedBuckets: number;
  /**
   * Batches ClickHouse refused for good when first sent (a table constraint, say): stored in halves,
   * and the envelopes it still refused alone quarantined with its reason (see `isolateRefused`).
   */
  refusedBatches: number;
}

export interface TelemetrySinkOptions {
  /**
   * Readings older than this (source time) are checked against what is stored before they are
   * written: JetStream's duplicate window no longer covers a replay that old. Set it to the
   * stream's duplicate window.
   */
  replayCheckAfterMs: number;
  /**
   * An envelope with readings no newer than the newest reading stored when this processor
   * started may have been stored by an earlier processor, which the in-memory index of stored
   * envelopes does not know: it is looked up in ClickHouse. Readings stored with a source time
   * more than this past the processor's start (a device clock years ahead) do not count, or they
   * would make every reading look old (default 10 min: copies from a device further ahead are not
   * recognised across a processor restart unless flagged as resends).
   */
  maxClockAheadMs?: number;
  /**
   * Where each telemetry insert is written down until ClickHouse committed it, so that one cut off
   * by a crash between the raw table and the rollups is completed at the next start (see
   * {@link PendingInserts}). Without it the rollups may miss a batch a crash cut off.
   */
  pending?: PendingInserts | undefined;
  log?: Logger;
  now?: () => number;
}

export function emptyTelemetrySinkStats(): TelemetrySinkStats {
  return {
    envelopes: 0,
    rows: 0,
    quarantined: 0,
    packs: 0,
    copies: 0,
    checkedRows: 0,
    replayedRows: 0,
    redeliveredTwice: 0,
    resentInserts: 0,
    refusedInserts: 0,
    repairedReadings: 0,
    unexplainedBuckets: 0,
    refusedBatches: 0,
  };
}

/**
 * A batch decoded and its fresh rows encoded ({@link TelemetrySink.prepare}), before anything of it
 * is looked up in ClickHouse. Its counts are added to the stats when it is stored, so that a batch
 * prepared again is not counted twice.
 */
export interface PreparedTelemetry {
  readonly rows: TelemetryNative;
  /** Rows that might have been stored before: looked up by identity before they are added. */
  readonly suspect: TelemetryRow[];
  /** Rows of redelivered messages: looked up by stream sequence first. */
  readonly redelivered: TelemetryRow[];
  readonly quarantined: QuarantineRow[];
  /** Rows looked up before they are added, and the envelope each belongs to. */
  readonly partOf: Map<TelemetryRow, BatchPart>;
  /**
   * Envelopes of this batch, `site/gateway/boot` and seq, remembered once the batch is stored; with
   * what each put in the batch, to find the ones ClickHouse refuses if it refuses the batch.
   */
  readonly met: { source: string; seq: number; fresh: boolean; part: BatchPart }[];
  /** The earliest reading among the envelopes added without a look-up (+∞ when none). */
  readonly freshSince: number;
  readonly counts: { packs: number; copies: number; redeliveredTwice: number };
}

/**
 * Stores a batch of telemetry messages; `prepare` does the part that needs nothing from ClickHouse
 * ahead, so that a batch can be decoded and encoded while the one before it is being inserted.
 */
export interface TelemetrySink {
  /** Makes the batch durable in ClickHouse; with `prepared`, from what {@link prepare} made of it. */
  (batch: StreamMessage[], prepared?: PreparedTelemetry): Promise<void>;
  /**
   * Decodes the batch and encodes its fresh rows, judged against the envelopes stored so far.
   * Undefined before the first batch was stored (what may be stored already is not known yet).
   * If batches stored after this call make the judgement stale — an envelope of this batch was
   * stored meanwhile, or fell out of JetStream's duplicate window — the batch is prepared again.
   */
  prepare(batch: StreamMessage[]): PreparedTelemetry | undefined;
}

/**
 * Turns a batch of telemetry messages — single envelopes or packs of them — into ClickHouse rows.
 * Envelopes that do not decode, or whose subject does not match their route, are written to
 * quarantine with the reason, in the same flush, so that acknowledging the batch never loses one
 * silently.
 *
 * Exactly once:
 * - a batch redelivered unchanged is dropped by ClickHouse (same deduplication token);
 * - a redelivered message in a batch of a different make-up is looked up by stream sequence, and
 *   by identity (site, gateway, boot, seq, idx) if only part of it is there;
 * - a copy of an envelope in another message (a client resent it after a lost PUBACK; packs
 *   carry no per-envelope message id for JetStream to drop it by) is recognised in memory if this
 *   processor stored the original, and looked up in ClickHouse when it might have been stored
 *   before this processor started, when the sender flagged it as a resend, or when it is older
 *   than JetStream's duplicate window.
 */
export function telemetrySink(
  store: TelemetryStore,
  stats: TelemetrySinkStats,
  options: TelemetrySinkOptions,
): TelemetrySink {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const stored = new SeenEnvelopes({ forgetAfterMs: options.replayCheckAfterMs, now: startedAt });
  let lookUpUpTo: number | undefined; // readings at or before this source time may be stored already
  /**
   * This run's inserts written down and not seen committed (they failed, or their batch did after
   * them), with the envelopes each holds: sent again before the next batch, they are stored then.
   */
  const unconfirmed = new Map<string, PreparedTelemetry["met"]>();
  /** Rows per byte of payload in the last batch: the next one's columns are sized by it. */
  let rowsPerPayloadByte: number | undefined;

  /** Readings at or before `maybeStoredUpTo` (source time) may be stored already: they are looked up. */
  const prepareWith = (batch: StreamMessage[], maybeStoredUpTo: number): PreparedTelemetry => {
    let payloadBytes = 0;
    for (const m of batch) payloadBytes += m.data.length;
    const rows = new TelemetryNative(
      rowsPerPayloadByte === undefined ? undefined : Math.ceil(payloadBytes * rowsPerPayloadByte * 1.125),
    );
    const suspect: TelemetryRow[] = [];
    const redelivered: TelemetryRow[] = [];
    const quarantined: QuarantineRow[] = [];
    const partOf = new Map<TelemetryRow, BatchPart>();
    const met: PreparedTelemetry["met"] = [];
    const counts = { packs: 0, copies: 0, redeliveredTwice: 0 };
    let freshSince = Number.POSITIVE_INFINITY;
    const oldest = now() - options.replayCheckAfterMs;
    const metIds = new Set<string>();
    // A message JetStream redelivered while its first delivery still waited here comes twice in one batch.
    const seen = new Set<number>();
    for (const m of batch) {
      if (seen.has(m.seq)) {
        counts.redeliveredTwice++;
        continue;
      }
      seen.add(m.seq);
      const pack = isPackSubject(m.subject);
      let entries: PackEntry[];
      if (pack) {
        counts.packs++;
        try {
          entries = decodePack(m.data);
        } catch (error) {
          if (!(error instanceof PackError)) throw error;
          quarantined.push(quarantineRow(m, m.data, error.code, error.message));
          continue;
        }
      } else entries = [{ payload: m.data, resend: false }];
      for (const entry of entries) {
        const decoded = tryDecodeEnvelope(entry.payload);
        if (!decoded.ok) {
          quarantined.push(quarantineRow(m, entry.payload, decoded.error.code, decoded.error.message));
          continue;
        }
        const envelope = decoded.envelope;
        if (!onItsSubject(envelope, m.subject, pack)) {
          const why = `subject ${m.subject} does not match the envelope's route`;
          quarantined.push(quarantineRow(m, entry.payload, "STREAM_SUBJECT_MISMATCH", why));
          continue;
        }
        const source = `${envelope.site}/${envelope.gateway}/${envelope.bootId}`;
        const id = `${source}/${envelope.seq}`;
        if (metIds.has(id) || stored.has(source, envelope.seq)) {
          counts.copies++;
          continue;
        }
        metIds.add(id);
        const earliest = earliestTs(envelope);
        const lookUp =
          entry.resend || earliest <= maybeStoredUpTo || earliest < oldest || stored.forgot(source, envelope.seq);
        const fresh = !m.redelivered && !lookUp;
        const part: BatchPart = { message: m, payload: entry.payload, rows: fresh ? undefined : [] };
        met.push({ source, seq: envelope.seq, fresh, part });
        if (fresh) {
          if (earliest < freshSince) freshSince = earliest;
          rows.addEnvelope(envelope, m.seq);
          continue;
        }
        for (const row of envelopeRows(envelope, m.seq)) {
          (m.redelivered ? redelivered : suspect).push(row);
          partOf.set(row, part);
        }
      }
    }
    if (rows.rows > 0 && payloadBytes > 0) rowsPerPayloadByte = rows.rows / payloadBytes;
    return { rows, suspect, redelivered, quarantined, partOf, met, freshSince, counts };
  };
  const prepare = (batch: StreamMessage[]) => {
    if (lookUpUpTo === undefined) return undefined;
    const prepared = prepareWith(batch, lookUpUpTo);
    // Rows that need no look-up are final: written down now, on the thread pool, while the batch
    // ahead is inserted, instead of on the event loop between that insert and this one.
    const final = prepared.suspect.length === 0 && prepared.redelivered.length === 0;
    if (options.pending !== undefined && prepared.rows.rows > 0 && final) {
      void options.pending.writeAhead(dedupToken("tlm", batch), prepared.rows.toBuffer());
    }
    return prepared;
  };

  /** Remembers envelopes ClickHouse committed: a later copy of one is dropped without a look-up. */
  const markStored = (entries: Iterable<{ source: string; seq: number }>) => {
    const at = now();
    for (const { source, seq } of entries) stored.add(source, seq, at);
  };

  /** Whether what was stored since `prepared` was made leaves its judgement standing. */
  const stillHolds = (prepared: PreparedTelemetry): boolean => {
    if (prepared.freshSince < now() - options.replayCheckAfterMs) return false;
    for (const { source, seq, fresh } of prepared.met) {
      if (stored.has(source, seq) || (fresh && stored.forgot(source, seq))) return false;
    }
    return true;
  };

  const sink = async (batch: StreamMessage[], preparedAhead?: PreparedTelemetry): Promise<void> => {
    const token = dedupToken("tlm", batch);
    let maybeStoredUpTo: number;
    try {
      maybeStoredUpTo = await beforeItsTurn();
    } catch (error) {
      options.pending?.drop(token); // written ahead in `prepare`, not needed: the batch comes back
      throw error;
    }
    await storeBatch(batch, token, maybeStoredUpTo, preparedAhead);
  };

  /**
   * What comes before any batch is looked up: inserts cut off completed, and the source time up to
   * which readings may have been stored before this processor started (known once).
   */
  const beforeItsTurn = async (): Promise<number> => {
    if (options.pending?.waiting) {
      // Before anything of this batch is looked up: complete what a crash or a failed insert may have cut off.
      const { sent, setAside } = await options.pending.replay(async (p) => {
        // What each table lacks of it is found and added (not sent again under its token, which a
        // table that kept the token and lost the part in a kill would drop: see repairInsert).
        const repair = await store.completeInsert(p, p.token);
        if (repair !== undefined) {
          const added = Object.values(repair.added).reduce((a, b) => a + b, 0);
          stats.repairedReadings += added;
          stats.unexplainedBuckets += repair.unexplained;
          if (added > 0) {
            options.log?.warn("an insert cut off by a crash completed", {
              token: p.token,
              readings: added,
              ...repair.added,
            });
          }
          if (repair.unexplained > 0) {
            options.log?.error("rollup buckets short by something other than the insert completed; left as they are", {
              token: p.token,
              buckets: repair.unexplained,
            });
          }
        }
        // Committed now: its envelopes are stored, and a copy of one in this batch is one.
        markStored(unconfirmed.get(p.token) ?? []);
        unconfirmed.delete(p.token);
      }, insertRefusal);
      unconfirmed.clear(); // what is left was set aside: its envelopes were not stored
      if (sent > 0) options.log?.info("inserts not seen committed completed", { inserts: sent });
      // Its messages, unless it was committed in raw, come back from JetStream and are stored anew;
      // what a refused insert would have repaired in the rollups stays missing, and is said here.
      if (setAside > 0) options.log?.error("inserts refused by ClickHouse set aside", { inserts: setAside });
      stats.resentInserts += sent;
      stats.refusedInserts += setAside;
    }
    if (lookUpUpTo === undefined) {
      const notAfter = startedAt + (options.maxClockAheadMs ?? 10 * 60_000);
      lookUpUpTo = (await store.latestSourceTs(notAfter)) ?? Number.NEGATIVE_INFINITY;
    }
    return lookUpUpTo;
  };

  const storeBatch = async (
    batch: StreamMessage[],
    token: string,
    maybeStoredUpTo: number,
    preparedAhead: PreparedTelemetry | undefined,
  ): Promise<void> => {
    // Taken only now: `replay` above must not complete what this batch is about to send.
    const writtenAhead = await options.pending?.take(token);
    const prepared =
      preparedAhead !== undefined && stillHolds(preparedAhead) ? preparedAhead : prepareWith(batch, maybeStoredUpTo);
    const { rows, suspect, redelivered, quarantined, partOf, met } = prepared;
    stats.packs += prepared.counts.packs;
    stats.copies += prepared.counts.copies;
    stats.redeliveredTwice += prepared.counts.redeliveredTwice;
    const add = (row: TelemetryRow) => {
      rows.addRow(row);
      partOf.get(row)?.rows?.push(row);
    };
    // Each row checked counts once, also a row of a partly stored message that is looked up twice.
    stats.checkedRows += suspect.length + redelivered.length;
    if (redelivered.length > 0) {
      // Whole messages first (by stream sequence): stored, absent, or partly there (checked by identity).
      const counts = await store.storedMessageRows(redelivered);
      const perMessage = new Map<number, number>();
      for (const row of redelivered) perMessage.set(row.stream_seq, (perMessage.get(row.stream_seq) ?? 0) + 1);
      for (const row of redelivered) {
        const storedRows = counts.get(row.stream_seq) ?? 0;
        if (storedRows === 0) add(row);
        else if (storedRows === perMessage.get(row.stream_seq)) stats.replayedRows++;
        else suspect.push(row);
      }
    }
    if (suspect.length > 0) {
      // (No copy of these envelopes is among the batch's fresh ones: copies were dropped above.)
      const found = await store.storedIdentities(suspect);
      for (const row of suspect) {
        if (found.has(identityOf(row))) stats.replayedRows++;
        else add(row);
      }
    }
    const bytes = rows.toBuffer();
    let onDisk: string | undefined;
    // Nothing to write down when every row was a replay: no insert is sent. (What was written ahead
    // is these bytes if the batch is stored as prepared then: only rows needing no look-up were.)
    if (bytes.length > 0 && options.pending !== undefined) {
      onDisk =
        prepared === preparedAhead && writtenAhead !== undefined ? writtenAhead : options.pending.write(token, bytes);
      unconfirmed.set(token, met);
    }
    let storedRows = rows.rows;
    const refused = new Set<BatchPart>();
    try {
      await store.insertTelemetryBatch(rows, token, onDisk);
    } catch (error) {
      const why = insertRefusal(error);
      if (why === undefined) throw error; // may pass later: the batch is not acknowledged and comes back
      options.pending?.done(token);
      stats.refusedBatches++;
      const toStore = met.map((e) => e.part).filter((p) => p.rows === undefined || p.rows.length > 0);
      const result = await isolateRefused(store, toStore, token, why, { pending: options.pending });
      storedRows = result.rows;
      for (const { part, reason } of result.refused) {
        quarantined.push(quarantineRow(part.message, part.payload, "STORE_INSERT_REFUSED", reason));
        refused.add(part);
      }
      options.log?.error("ClickHouse refused a batch: the envelopes it refused alone are quarantined", {
        envelopes: toStore.length,
        refused: result.refused.length,
        inserts: result.inserts,
        reason: why,
      });
    }
    // A redelivered batch may have stored its quarantine rows before, or had them cut off inside
    // ClickHouse's commit (the token kept, the part lost): looked up, the missing ones written.
    await store.insertQuarantine(
      quarantined,
      token,
      batch.some((m) => m.redelivered),
    );
    options.pending?.done(token);
    unconfirmed.delete(token);
    markStored(refused.size === 0 ? met : met.filter((e) => !refused.has(e.part)));
    stats.envelopes += met.length - refused.size;
    stats.rows += storedRows;
    stats.quarantined += quarantined.length;
  };
  return Object.assign(sink, { prepare });
}

function earliestTs(envelope: Envelope): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const r of envelope.readings) if (r.ts < earliest) earliest = r.ts;
  return earliest;
}

function quarantineRow(m: StreamMessage, payload: Uint8Array, code: string, reason: string): QuarantineRow {
  return { source: "tlm", subject: m.subject, code, reason, payload: payloadText(payload), stream_seq: m.seq };
}
