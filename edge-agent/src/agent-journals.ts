import { join } from "node:path";
import type { Logger } from "@lifeline/contracts";
import type { JournalConfig } from "@lifeline/firmware-profiles";
import type { ForwarderJournal, ForwarderLane } from "./forwarder.ts";
import { Journal, type JournalRecord, type JournalStats } from "./journal/journal.ts";
import type { JournalLoss } from "./journal-loss.ts";

export interface AgentJournalsOptions {
  log: Logger;
  /** Records the overflow policy removed before they were acknowledged (the agent decides which are lost). */
  onOverflow: (lane: LaneName, records: JournalRecord[]) => void;
  onAppendError: (code: string) => void;
}

export type LaneName = "alerts" | "data";

export interface AgentJournalStats {
  data: JournalStats;
  alerts: JournalStats;
  /** Envelopes waiting for the uplink, both lanes. */
  pending: number;
  lostEnvelopes: number;
  lostReadings: number;
}

/** The alert lane's share of the disk budget: small, it holds only the agent's own reports. */
const alertBytes = (maxBytes: number) => Math.max(1024 ** 2, Math.floor(maxBytes / 64));

/**
 * The agent's two journals: `alerts` (the agent's own reports, such as journal loss), drained
 * first, and `data` (every envelope a device produced). Appends keep their call order, also
 * across a change of journal settings, which reopens both journals on the same files.
 */
export class AgentJournals {
  readonly #dir: string;
  readonly #o: AgentJournalsOptions;
  #data!: Journal;
  #alerts!: Journal;
  #reopening: Promise<void> | undefined;
  #pending = new Set<Promise<unknown>>();
  readonly #appended: Array<() => void> = [];
  #lostEnvelopes = 0;
  #lostReadings = 0;

  private constructor(dir: string, options: AgentJournalsOptions) {
    this.#dir = dir;
    this.#o = options;
  }

  static async open(dir: string, config: JournalConfig, options: AgentJournalsOptions): Promise<AgentJournals> {
    const journals = new AgentJournals(dir, options);
    await journals.#openBoth(config);
    return journals;
  }

  async #openBoth(config: JournalConfig): Promise<void> {
    const common = { fsync: config.fsync, fsyncIntervalMs: config.fsyncIntervalMs, log: this.#o.log };
    const alerts = alertBytes(config.maxBytes);
    this.#alerts = await Journal.open({
      ...common,
      dir: join(this.#dir, "alerts"),
      maxBytes: alerts,
      onOverflow: (lost) => this.#o.onOverflow("alerts", lost),
    });
    try {
      this.#data = await Journal.open({
        ...common,
        dir: join(this.#dir, "data"),
        maxBytes: Math.max(1024 ** 2, config.maxBytes - alerts),
        onOverflow: (lost) => this.#o.onOverflow("data", lost),
      });
    } catch (error) {
      await this.#alerts.close();
      throw error;
    }
  }

  /** The forwarder's view: lanes that always reach the current journals, alerts first. */
  lanes(): ForwarderLane[] {
    const view = (pick: () => Journal): ForwarderJournal => ({
      read: (from, max, bytes) => pick().read(from, max, bytes),
      ack: (id) => pick().ack(id),
      firstUnacked: () => pick().firstUnacked(),
      lastId: () => pick().lastId(),
    });
    return [
      { name: "alerts" satisfies LaneName, journal: view(() => this.#alerts) },
      { name: "data", journal: view(() => this.#data) },
    ];
  }

  onAppended(listener: () => void): void {
    this.#appended.push(listener);
  }

  appendData(payload: Uint8Array): void {
    this.#append(() => this.#data, payload);
  }

  appendAlert(payload: Uint8Array): void {
    this.#append(() => this.#alerts, payload);
  }

  #append(pick: () => Journal, payload: Uint8Array): void {
    const write =
      this.#reopening === undefined ? pick().append(payload) : this.#reopening.then(() => pick().append(payload));
    const done = write.then(
      () => {
        for (const listener of this.#appended) listener();
      },
      (error: unknown) => {
        const code = (error as { code?: string }).code ?? "EDGE_JOURNAL_APPEND_FAILED";
        this.#o.log.error("envelope not journaled: it is lost and its sequence number will show as a gap", {
          code,
          error: error instanceof Error ? error.message : String(error),
        });
        this.#o.onAppendError(code);
      },
    );
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
  }

  /** Resolves when every append made so far reached the journal. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** New size or fsync settings: both journals are closed and reopened on the same files. */
  async reconfigure(config: JournalConfig): Promise<void> {
    const reopen = (async () => {
      await this.settled();
      await this.#data.close();
      await this.#alerts.close();
      await this.#openBoth(config);
    })();
    this.#reopening = reopen;
    try {
      await reopen;
    } finally {
      this.#reopening = undefined;
    }
  }

  /** Counts a loss the agent established (see journalLoss), for the stats. */
  countLoss(loss: JournalLoss): void {
    this.#lostEnvelopes += loss.envelopes;
    this.#lostReadings += loss.readings;
  }

  stats(): AgentJournalStats {
    const data = this.#data.stats();
    const alerts = this.#alerts.stats();
    return {
      data,
      alerts,
      pending: data.pending + alerts.pending + this.#pending.size,
      lostEnvelopes: this.#lostEnvelopes,
      lostReadings: this.#lostReadings,
    };
  }

  async close(): Promise<void> {
    await this.settled();
    await this.#data.close();
    await this.#alerts.close();
  }
}
