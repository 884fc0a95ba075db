import { isBinaryEnvelope, type Logger, readBinaryEnvelopeHead } from "@lifeline/contracts";
import type { EnvelopeRoute, Uplink } from "./uplink/uplink.ts";

/** A journal record as the forwarder sees it. */
export interface HeldRecord {
  id: number;
  payload: Uint8Array;
}

/** The part of the journal the forwarder uses (see journal/journal.ts). */
export interface ForwarderJournal {
  read(fromId: number, maxRecords: number, maxBytes?: number): Promise<HeldRecord[]>;
  ack(id: number): void;
  firstUnacked(): number | undefined;
  lastId(): number;
}

/** One journal the forwarder drains; lanes are served in the order given (alerts before data). */
export interface ForwarderLane {
  name: string;
  journal: ForwarderJournal;
}

export interface ForwarderOptions {
  lanes: readonly ForwarderLane[];
  /** Envelopes sent and not yet acknowledged, over all lanes. */
  maxInflight: number;
  /** Wait before sending again after a failed publish (doubles up to 10 s). */
  retryDelayMs?: number;
  /** Records the journal no longer holds (see `adoptInflight`) whose publish then failed: they are lost. */
  onOrphanLost?: (lane: string, records: HeldRecord[]) => void;
  log: Logger;
}

export interface ForwarderStats {
  /** Envelopes acknowledged by the uplink and released from the journal, per lane. */
  forwarded: Record<string, number>;
  /** Of those, sent from the backlog (what was waiting when the uplink came back). */
  backfilled: number;
  failures: number;
  inflight: number;
  /** Records in flight that the journal dropped meanwhile: delivered if their publish succeeds. */
  orphans: number;
}

interface LaneState {
  lane: ForwarderLane;
  /** Next id to send from the live tail. */
  live: number;
  /** Next id to send from the backlog, up to `boundary`; backlog is empty when live > boundary handled. */
  backlog: number;
  boundary: number;
  /**
   * Highest id handed to an uplink; at start, the journal's last id (an earlier run may have sent
   * those). A record at or below it is sent as a possible resend (MQTT DUP), so that the stream
   * processor looks it up before writing it.
   */
  attempted: number;
}

/**
 * Moves envelopes from the journal to the uplink and releases each one only when the uplink
 * acknowledged it. After an outage it replays the backlog in journal order while the live tail
 * keeps flowing: each round sends what arrived since the uplink came back first, then fills the
 * remaining window from the backlog, so that current readings are not stuck behind hours of
 * backfill. Lanes earlier in the list (alerts) are always served first.
 */
export class Forwarder {
  readonly #o: ForwarderOptions;
  readonly #lanes: LaneState[];
  readonly #inflight = new Set<string>();
  readonly #stats: Omit<ForwarderStats, "inflight" | "orphans"> = { forwarded: {}, backfilled: 0, failures: 0 };
  readonly #orphans = new Map<string, HeldRecord & { lane: string }>();
  #uplink: Uplink | undefined;
  #pumping = false;
  #again = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay: number;
  #stopped = false;

  constructor(options: ForwarderOptions) {
    this.#o = options;
    this.#retryDelay = options.retryDelayMs ?? 250;
    this.#lanes = options.lanes.map((lane) => ({
      lane,
      live: 1,
      backlog: 1,
      boundary: 0,
      attempted: lane.journal.lastId(),
    }));
    for (const { lane } of this.#lanes) this.#stats.forwarded[lane.name] = 0;
  }

  stats(): ForwarderStats {
    return {
      ...this.#stats,
      forwarded: { ...this.#stats.forwarded },
      inflight: this.#inflight.size,
      orphans: this.#orphans.size,
    };
  }

  /**
   * The journal dropped `records` (overflow). Those in flight are not lost yet: the transport may
   * still deliver them (mqtt.js resends its in-flight publishes after a reconnect). They are kept
   * here until their publish ends; the others are returned, lost.
   */
  adoptInflight(lane: string, records: HeldRecord[]): HeldRecord[] {
    const lost: HeldRecord[] = [];
    for (const record of records) {
      const key = `${lane}:${record.id}`;
      if (this.#inflight.has(key)) this.#orphans.set(key, { lane, ...record });
      else lost.push(record);
    }
    return lost;
  }

  /** Orphans whose publish never ended (the uplink was closed): lost, by lane. */
  abandonOrphans(): Map<string, HeldRecord[]> {
    const byLane = new Map<string, HeldRecord[]>();
    for (const o of this.#orphans.values()) {
      const list = byLane.get(o.lane) ?? [];
      list.push({ id: o.id, payload: o.payload });
      byLane.set(o.lane, list);
    }
    this.#orphans.clear();
    return byLane;
  }

  /** Starts (or switches to) an uplink; everything not yet acknowledged is sent on it. */
  attach(uplink: Uplink): void {
    this.#uplink = uplink;
    uplink.onConnect(() => {
      if (this.#uplink !== uplink) return;
      this.#rewind();
      this.wake();
    });
    this.#rewind();
    this.wake();
  }

  /** Stops sending; what is in flight may still be acknowledged by the uplink's close. */
  detach(): void {
    this.#uplink = undefined;
    clearTimeout(this.#retryTimer);
  }

  stop(): void {
    this.#stopped = true;
    this.detach();
  }

  /** Something was appended or acknowledged: send what can be sent. */
  wake(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    void this.#pump()
      .catch((error: unknown) => {
        this.#o.log.error("the journal could not be read; retrying", {
          error: error instanceof Error ? error.message : String(error),
        });
        this.#retryLater();
      })
      .finally(() => {
        this.#pumping = false;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Everything unacknowledged becomes backlog; what arrives from now on is live. */
  #rewind(): void {
    for (const s of this.#lanes) {
      s.boundary = s.lane.journal.lastId();
      s.backlog = s.lane.journal.firstUnacked() ?? s.boundary + 1;
      s.live = s.boundary + 1;
    }
  }

  async #pump(): Promise<void> {
    for (;;) {
      const uplink = this.#uplink;
      if (this.#stopped || uplink === undefined || !uplink.isConnected()) return;
      let sent = 0;
      for (const s of this.#lanes) {
        sent += await this.#sendRange(uplink, s, "live");
        sent += await this.#sendRange(uplink, s, "backlog");
      }
      if (sent === 0) return;
    }
  }

  async #sendRange(uplink: Uplink, s: LaneState, part: "live" | "backlog"): Promise<number> {
    const room = this.#o.maxInflight - this.#inflight.size;
    if (room <= 0) return 0;
    const from = part === "live" ? s.live : s.backlog;
    if (part === "backlog" && from > s.boundary) return 0;
    const records = await this.#read(s, from, room);
    let sent = 0;
    for (const record of records) {
      if (part === "backlog" && record.id > s.boundary) break;
      if (part === "live") s.live = record.id + 1;
      else s.backlog = record.id + 1;
      const key = `${s.lane.name}:${record.id}`;
      if (this.#inflight.has(key)) continue;
      this.#send(uplink, s, part, record.id, record.payload, key);
      sent++;
    }
    return sent;
  }

  /**
   * A record damaged on disk (its checksum fails) can never be sent: it is released and reported
   * as lost, so that it neither blocks the journal nor disappears silently.
   */
  async #read(s: LaneState, from: number, room: number) {
    try {
      return await s.lane.journal.read(from, room, 4 * 1024 * 1024);
    } catch (error) {
      const id = (error as { code?: string; detail?: { id?: unknown } }).detail?.id;
      if ((error as { code?: string }).code !== "EDGE_JOURNAL_CORRUPT" || typeof id !== "number") throw error;
      this.#o.log.error("a journal record is damaged on disk; it is dropped and reported lost", {
        lane: s.lane.name,
        id,
      });
      s.lane.journal.ack(id);
      this.#o.onOrphanLost?.(s.lane.name, [{ id, payload: new Uint8Array() }]);
      this.#again = true; // go on with the records after it
      return [];
    }
  }

  #send(uplink: Uplink, s: LaneState, part: string, id: number, payload: Uint8Array, key: string): void {
    this.#inflight.add(key);
    const resend = id <= s.attempted;
    if (!resend) s.attempted = id;
    uplink.publish(routeOf(payload), payload, resend).then(
      () => {
        this.#inflight.delete(key);
        this.#orphans.delete(key);
        s.lane.journal.ack(id);
        this.#stats.forwarded[s.lane.name] = (this.#stats.forwarded[s.lane.name] ?? 0) + 1;
        if (part === "backlog") this.#stats.backfilled++;
        this.#retryDelay = this.#o.retryDelayMs ?? 250;
        this.wake();
      },
      (error: unknown) => {
        this.#inflight.delete(key);
        this.#stats.failures++;
        const orphan = this.#orphans.get(key);
        if (orphan !== undefined) {
          this.#orphans.delete(key);
          this.#o.onOrphanLost?.(orphan.lane, [{ id: orphan.id, payload: orphan.payload }]);
        }
        this.#o.log.warn("envelope not acknowledged; it stays in the journal", {
          lane: s.lane.name,
          id,
          error: error instanceof Error ? error.message : String(error),
        });
        this.#retryLater();
      },
    );
  }

  #retryLater(): void {
    if (this.#retryTimer !== undefined || this.#stopped) return;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(delay * 2, 10_000);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#rewind();
      this.wake();
    }, delay);
  }
}

const READINGS_KEY = Buffer.from(',"readings":');

/**
 * The route and identity of an encoded envelope, binary (as the agent writes them) or JSON (as
 * journals of earlier versions hold them). Both forms put them before the readings, so only that
 * head is read (a 100-reading envelope is mostly readings).
 */
export function routeOf(payload: Uint8Array): EnvelopeRoute {
  if (isBinaryEnvelope(payload)) {
    const { site, gateway, device, bootId, seq } = readBinaryEnvelopeHead(payload);
    return { site, gateway, device, bootId, seq };
  }
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const cut = bytes.indexOf(READINGS_KEY);
  const text = cut > 0 ? `${bytes.toString("utf8", 0, cut)}}` : bytes.toString("utf8");
  const e = JSON.parse(text) as EnvelopeRoute;
  return { site: e.site, gateway: e.gateway, device: e.device, bootId: e.bootId, seq: e.seq };
}
