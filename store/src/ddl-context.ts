/**
 * Where the schema lives: one embedded or remote server (default), or a ClickHouse cluster. On a
 * cluster every table is a `ReplicatedMergeTree` family table named `<name>_local` on each node,
 * created `ON CLUSTER`, with a `Distributed` table under the plain name in front of it — so the
 * SQL that reads and writes (`FROM telemetry`, `INSERT INTO telemetry`) is the same in both modes,
 * and materialized views run on each shard, from local table to local table.
 */
export interface DdlContext {
  /** The cluster name of `remote_servers`; undefined for a single server. */
  cluster?: string | undefined;
}

const SINGLE: DdlContext = {};

/** `ON CLUSTER '<name>'`, or nothing. */
export function onCluster(ctx: DdlContext = SINGLE): string {
  return ctx.cluster === undefined ? "" : ` ON CLUSTER '${ctx.cluster}'`;
}

/** The table that holds the data on a node: `<name>_local` on a cluster, else `<name>`. */
export function localTable(name: string, ctx: DdlContext = SINGLE): string {
  return ctx.cluster === undefined ? name : `${name}_local`;
}

export interface TableDdl {
  name: string;
  /** Column list, without the parentheses. */
  columns: string;
  /** `MergeTree`, `AggregatingMergeTree`, `ReplacingMergeTree(updated_at)`, … */
  engine: string;
  /** PARTITION BY, ORDER BY, TTL clauses as text. */
  clauses: string;
  /** Which rows go to which shard on a cluster (the Distributed table's sharding key). */
  shardKey: string;
}

/**
 * The statements that create a table. Single server: the engine as given, with a block
 * deduplication window — without one a `MergeTree` does not drop a retried insert, and a table fed
 * by a materialized view counts a retried batch again (measured). Cluster: the replicated engine
 * (which deduplicates by default) and the Distributed table in front.
 */
export function createTable(t: TableDdl, ctx: DdlContext = SINGLE): string[] {
  if (ctx.cluster === undefined) {
    return [
      `CREATE TABLE IF NOT EXISTS ${t.name} (${t.columns}) ENGINE = ${t.engine}
      ${t.clauses}
      SETTINGS non_replicated_deduplication_window = 10000`,
    ];
  }
  const local = localTable(t.name, ctx);
  const open = t.engine.indexOf("(");
  const family = open === -1 ? t.engine : t.engine.slice(0, open);
  const args = open === -1 ? "" : `, ${t.engine.slice(open + 1, -1)}`;
  return [
    `CREATE TABLE IF NOT EXISTS ${local}${onCluster(ctx)} (${t.columns})
      ENGINE = Replicated${family}('/clickhouse/tables/{shard}/{database}/${local}', '{replica}'${args})
      ${t.clauses}`,
    `CREATE TABLE IF NOT EXISTS ${t.name}${onCluster(ctx)} AS ${local}
      ENGINE = Distributed('${ctx.cluster}', currentDatabase(), ${local}, ${t.shardKey})`,
  ];
}

/** A materialized view from one local table into another. */
export function createView(name: string, from: string, to: string, select: string, ctx: DdlContext = SINGLE): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${name}${onCluster(ctx)} TO ${localTable(to, ctx)} AS
      ${select.replace("{from}", localTable(from, ctx))}`;
}
