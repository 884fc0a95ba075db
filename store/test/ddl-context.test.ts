import { describe, expect, it } from "vitest";
import { createTable, createView, localTable, onCluster } from "../src/ddl-context.ts";
import { MIGRATIONS } from "../src/migrations.ts";

const squash = (sql: string) => sql.replace(/\s+/g, " ").trim();
const table = {
  name: "telemetry_1m",
  columns: "site String, bucket DateTime",
  engine: "AggregatingMergeTree",
  clauses: "ORDER BY (site, bucket)",
  shardKey: "cityHash64(site)",
};

describe("DDL for a single server or a cluster", () => {
  it("creates a table with a block deduplication window on a single server", () => {
    expect(createTable(table).map(squash)).toEqual([
      "CREATE TABLE IF NOT EXISTS telemetry_1m (site String, bucket DateTime) ENGINE = AggregatingMergeTree ORDER BY (site, bucket) SETTINGS non_replicated_deduplication_window = 10000",
    ]);
  });

  it("creates a replicated local table and a Distributed table under the plain name on a cluster", () => {
    const ctx = { cluster: "city" };
    expect(createTable({ ...table, engine: "ReplacingMergeTree(updated_at)" }, ctx).map(squash)).toEqual([
      "CREATE TABLE IF NOT EXISTS telemetry_1m_local ON CLUSTER 'city' (site String, bucket DateTime) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/telemetry_1m_local', '{replica}', updated_at) ORDER BY (site, bucket)",
      "CREATE TABLE IF NOT EXISTS telemetry_1m ON CLUSTER 'city' AS telemetry_1m_local ENGINE = Distributed('city', currentDatabase(), telemetry_1m_local, cityHash64(site))",
    ]);
    expect(squash(createView("v", "telemetry", "telemetry_1m", "SELECT * FROM {from}", ctx))).toBe(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS v ON CLUSTER 'city' TO telemetry_1m_local AS SELECT * FROM telemetry_local",
    );
    expect([localTable("t"), localTable("t", ctx), onCluster(), onCluster(ctx)]).toEqual([
      "t",
      "t_local",
      "",
      " ON CLUSTER 'city'",
    ]);
  });

  it("puts every statement of every migration ON CLUSTER, and reads local tables in views", () => {
    const statements = MIGRATIONS.flatMap((m) => m.statements({ cluster: "city" })).map(squash);
    for (const s of statements.filter((s) => /^(CREATE|TRUNCATE|ALTER)/.test(s)))
      expect(s).toContain("ON CLUSTER 'city'");
    for (const s of statements.filter((s) => s.startsWith("CREATE MATERIALIZED VIEW"))) {
      expect(s).toMatch(/ TO \w+_local AS /);
      expect(s).toMatch(/ FROM \w+_local\b/);
    }
    // telemetry, quarantine, 1m, 1h, series index, devices, alert events, alert silences
    expect(statements.filter((s) => s.includes("ENGINE = Distributed")).length).toBe(8);
  });
});
