import { decodeEnvelope } from "@lifeline/contracts";
import { insertRefusal, TelemetryNative, type TelemetryRow, type TelemetryStore } from "@lifeline/store";
import type { StreamMessage } from "./jetstream-puller.ts";
import type { PendingInserts } from "./pending-inserts.ts";

/**
 * One envelope's part of a batch: all its rows, or (a replay partly stored) the rows not stored yet.
 * It keeps the envelope's bytes, not the decoded envelope: a batch lives through its insert, and
 * its decoded envelopes (five objects each for a meter's message) would outlive V8's young
 * generation for a path only a refused insert takes.
 */
export interface BatchPart {
  message: StreamMessage;
  /** The envelope as it was sent; it decoded and passed the checks once. */
  payload: Uint8Array;
  /** Undefined: every row of the envelope; otherwise the rows still to store. */
  rows: TelemetryRow[] | undefined;
}

export interface RefusedPart {
  part: BatchPart;
  /** ClickHouse's words for why it refused the part's rows. */
  reason: string;
}

export interface IsolateOptions {
  pending?: PendingInserts | undefined;
  /** Inserts to spend finding the refused envelopes; what is left then is refused as a group (default 32). */
  maxInserts?: number;
}

/**
 * After ClickHouse refused a batch for good (`insertRefusal`), stores what it will take and returns
 * the envelopes it refuses, so that one envelope it cannot store does not hold up the batch, nor
 * come back forever with every redelivery.
 *
 * The batch is inserted in halves, and a refused half is halved again, down to single envelopes:
 * one bad envelope among n costs about 2·log2(n) inserts. When the budget is spent (every envelope
 * refused, as when the table no longer fits the rows), each group still untried is refused whole
 * with the last reason. Every sub-insert has a token derived from the batch's (`<token>/0/1…`), so a
 * redelivery after a crash mid-way stores nothing twice.
 */
export async function isolateRefused(
  store: TelemetryStore,
  parts: readonly BatchPart[],
  token: string,
  reason: string,
  options: IsolateOptions = {},
): Promise<{ rows: number; refused: RefusedPart[]; inserts: number }> {
  let budget = options.maxInserts ?? 32;
  let lastReason = reason;
  let rows = 0;
  let inserts = 0;
  const refused: RefusedPart[] = [];
  const queue: { parts: readonly BatchPart[]; token: string }[] = halves(parts, token);
  for (let group = queue.shift(); group !== undefined; group = queue.shift()) {
    if (budget === 0) {
      for (const part of group.parts) refused.push({ part, reason: `${lastReason} (not isolated further)` });
      continue;
    }
    const batch = new TelemetryNative();
    for (const part of group.parts) {
      if (part.rows === undefined) batch.addEnvelope(decodeEnvelope(part.payload), part.message.seq);
      else for (const row of part.rows) batch.addRow(row);
    }
    if (batch.rows === 0) continue;
    budget--;
    inserts++;
    options.pending?.write(group.token, batch.toBuffer());
    try {
      rows += await store.insertTelemetryBatch(batch, group.token);
    } catch (error) {
      const why = insertRefusal(error);
      // Anything else may pass later: the batch fails and comes back, and what was stored is known by its token.
      if (why === undefined) throw error;
      lastReason = why;
      if (group.parts.length === 1) refused.push({ part: group.parts[0] as BatchPart, reason: why });
      else queue.push(...halves(group.parts, group.token));
    }
    options.pending?.done(group.token);
  }
  return { rows, refused, inserts };
}

function halves(parts: readonly BatchPart[], token: string): { parts: readonly BatchPart[]; token: string }[] {
  const middle = Math.ceil(parts.length / 2);
  return [
    { parts: parts.slice(0, middle), token: `${token}/0` },
    { parts: parts.slice(middle), token: `${token}/1` },
  ];
}
