import {
  ALERT_EVENT_VERSION,
  type AlertEvent,
  type AlertKind,
  type AlertLevel,
  type AlertState,
  type AlertTransition,
} from "@lifeline/contracts";
import type { ClickHouseDriver } from "./clickhouse-driver.ts";

/** A silence (maintenance window): alerts of its site — one device, one rule, or all — are not sent. */
export interface AlertSilence {
  id: string;
  site: string;
  /** Empty: every device of the site. */
  device: string;
  /** Empty: every rule. */
  rule: string;
  startsAt: number;
  endsAt: number;
  by: string;
  comment: string;
  createdAt: number;
}

export interface AlertQuery {
  site?: string | undefined;
  device?: string | undefined;
  rule?: string | undefined;
  kind?: AlertKind | undefined;
  /** Current level of the alert. */
  level?: readonly AlertLevel[] | undefined;
  /** Current state; default every state. */
  state?: readonly AlertState[] | undefined;
  /** Alerts that fired in [from, to). */
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
}

/** `1700000000.123`: how DateTime64(3) reads a time from JSON without a time zone guess. */
function chTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${s}.${String(ms - s * 1000).padStart(3, "0")}`;
}

interface AlertEventRow {
  id: string;
  alert_id: string;
  key: string;
  seq: number;
  rule: string;
  site: string;
  device: string;
  kind: string;
  metric: string;
  transition: string;
  state: string;
  level: string;
  at: string | number;
  fired_at: string | number;
  resolved_at: string | number | null;
  condition_at: string | number;
  value: number | null;
  summary: string;
  evidence: string;
  by: string;
  note: string;
  silenced: boolean;
  flapping: boolean;
}

/** Times come back as epoch milliseconds (the queries select `toUnixTimestamp64Milli`). */
const EVENT_COLUMNS = `id, alert_id, key, seq, rule, site, device, kind, metric, transition, state, level,
  toUnixTimestamp64Milli(at) AS at, toUnixTimestamp64Milli(fired_at) AS fired_at,
  if(resolved_at IS NULL, NULL, toUnixTimestamp64Milli(assumeNotNull(resolved_at))) AS resolved_at,
  toUnixTimestamp64Milli(condition_at) AS condition_at, value, summary, evidence, by, note, silenced, flapping`;

function toEvent(r: AlertEventRow): AlertEvent {
  const e: AlertEvent = {
    v: ALERT_EVENT_VERSION,
    id: r.id,
    alertId: r.alert_id,
    key: r.key,
    seq: Number(r.seq),
    rule: r.rule,
    site: r.site,
    device: r.device,
    kind: r.kind as AlertKind,
    transition: r.transition as AlertTransition,
    state: r.state as AlertState,
    level: r.level as AlertLevel,
    at: Number(r.at),
    firedAt: Number(r.fired_at),
    summary: r.summary,
    evidence: JSON.parse(r.evidence) as AlertEvent["evidence"],
    silenced: Boolean(r.silenced),
    flapping: Boolean(r.flapping),
  };
  if (r.metric !== "") e.metric = r.metric;
  if (r.resolved_at !== null) e.resolvedAt = Number(r.resolved_at);
  if (r.value !== null) e.value = r.value;
  if (r.by !== "") e.by = r.by;
  if (r.note !== "") e.note = r.note;
  return e;
}

/** An event with the time of the condition that led to it (what makes replayed conditions no-ops). */
export interface StoredAlertEvent {
  event: AlertEvent;
  conditionAt: number;
}

/**
 * Alert transitions and silences in ClickHouse: the lifecycle's durable record, what the API lists
 * and filters, and what the alert service rebuilds its state from after a restart.
 */
export class AlertStore {
  readonly #driver: ClickHouseDriver;

  constructor(driver: ClickHouseDriver) {
    this.#driver = driver;
  }

  /**
   * Stores transitions. Not under a deduplication token: a retried insert's copies collapse on
   * (site, alert_id, seq) in the ReplacingMergeTree and every read is `FINAL`, while a token can
   * lose them — a process killed inside the commit leaves the token in the table's deduplication
   * log without the part, and the retry under it is dropped (see `repairInsert`).
   */
  async insertEvents(events: readonly StoredAlertEvent[]): Promise<void> {
    if (events.length === 0) return;
    const lines = events.map(({ event: e, conditionAt }) =>
      JSON.stringify({
        id: e.id,
        alert_id: e.alertId,
        key: e.key,
        seq: e.seq,
        rule: e.rule,
        site: e.site,
        device: e.device,
        kind: e.kind,
        metric: e.metric ?? "",
        transition: e.transition,
        state: e.state,
        level: e.level,
        at: chTime(e.at),
        fired_at: chTime(e.firedAt),
        resolved_at: e.resolvedAt === undefined ? null : chTime(e.resolvedAt),
        condition_at: chTime(conditionAt),
        value: e.value ?? null,
        summary: e.summary,
        evidence: JSON.stringify(e.evidence),
        by: e.by ?? "",
        note: e.note ?? "",
        silenced: e.silenced,
        flapping: e.flapping,
      }),
    );
    await this.#driver.insertJsonEachRow("alert_events", Buffer.from(`${lines.join("\n")}\n`), {
      insert_deduplicate: 0,
    });
  }

  /**
   * What the lifecycle needs after a restart: for every key, the latest transition of its latest
   * alert, and the time of the newest condition applied to the key.
   */
  async latestPerKey(): Promise<StoredAlertEvent[]> {
    const rows = await this.#driver.query<AlertEventRow & { last_condition: string | number }>(
      `SELECT ${EVENT_COLUMNS}, toUnixTimestamp64Milli(key_condition) AS last_condition FROM (
         SELECT *, max(condition_at) OVER (PARTITION BY key) AS key_condition,
           row_number() OVER (PARTITION BY key ORDER BY fired_at DESC, seq DESC) AS n
         FROM alert_events FINAL
       ) WHERE n = 1
       SETTINGS output_format_json_quote_64bit_integers = 0`,
    );
    return rows.map((r) => ({ event: toEvent(r), conditionAt: Number(r.last_condition) }));
  }

  /** Alerts in their current state (latest transition of each), newest first. */
  async listAlerts(q: AlertQuery): Promise<AlertEvent[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: q.limit };
    const eq = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`${column} = {${column}:String}`);
      params[column] = value;
    };
    eq("site", q.site);
    eq("device", q.device);
    eq("rule", q.rule);
    eq("kind", q.kind);
    if (q.from !== undefined) {
      where.push("fired_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')");
      params.from = q.from;
    }
    if (q.to !== undefined) {
      where.push("fired_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')");
      params.to = q.to;
    }
    const having: string[] = [];
    if (q.level !== undefined) {
      having.push("level IN {levels:Array(String)}");
      params.levels = [...q.level];
    }
    if (q.state !== undefined) {
      having.push("state IN {states:Array(String)}");
      params.states = [...q.state];
    }
    const rows = await this.#driver.query<AlertEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM (
         SELECT *, row_number() OVER (PARTITION BY alert_id ORDER BY seq DESC) AS n
         FROM alert_events FINAL ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
       ) WHERE n = 1 ${having.length > 0 ? `AND ${having.join(" AND ")}` : ""}
       ORDER BY fired_at DESC, alert_id LIMIT {limit:UInt32}
       SETTINGS output_format_json_quote_64bit_integers = 0`,
      params,
    );
    return rows.map(toEvent);
  }

  /** Every transition of one alert, in order. */
  async alertHistory(alertId: string): Promise<AlertEvent[]> {
    const rows = await this.#driver.query<AlertEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM alert_events FINAL WHERE alert_id = {id:String} ORDER BY seq
       SETTINGS output_format_json_quote_64bit_integers = 0`,
      { id: alertId },
    );
    return rows.map(toEvent);
  }

  async putSilence(s: AlertSilence, version: number): Promise<void> {
    await this.#driver.exec(
      `INSERT INTO alert_silences (id, site, device, rule, starts_at, ends_at, by, comment, created_at, version)
       VALUES ({id:String}, {site:String}, {device:String}, {rule:String},
         fromUnixTimestamp64Milli({startsAt:Int64}, 'UTC'), fromUnixTimestamp64Milli({endsAt:Int64}, 'UTC'),
         {by:String}, {comment:String}, fromUnixTimestamp64Milli({createdAt:Int64}, 'UTC'), {version:UInt64})`,
      { ...s, version },
    );
  }

  /** Silences that end after `after` (default: all), latest version of each. */
  async listSilences(after = 0): Promise<AlertSilence[]> {
    const rows = await this.#driver.query<Record<string, string | number>>(
      `SELECT id, site, device, rule, toUnixTimestamp64Milli(starts_at) AS startsAt,
         toUnixTimestamp64Milli(ends_at) AS endsAt, by, comment, toUnixTimestamp64Milli(created_at) AS createdAt
       FROM alert_silences FINAL WHERE ends_at > fromUnixTimestamp64Milli({after:Int64}, 'UTC')
       ORDER BY starts_at, id SETTINGS output_format_json_quote_64bit_integers = 0`,
      { after },
    );
    return rows.map((r) => ({
      id: String(r.id),
      site: String(r.site),
      device: String(r.device),
      rule: String(r.rule),
      startsAt: Number(r.startsAt),
      endsAt: Number(r.endsAt),
      by: String(r.by),
      comment: String(r.comment),
      createdAt: Number(r.createdAt),
    }));
  }
}
