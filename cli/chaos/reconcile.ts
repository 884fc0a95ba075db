import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const COUNT_STORED = join(dirname(fileURLToPath(import.meta.url)), "count-stored.ts");

/** What ClickHouse holds for one gateway, checked against what its agent produced. */
export interface Reconciliation {
  scenario: string;
  load: string;
  fault: string;
  /** Readings the agent's devices produced (after edge rules). */
  produced: number;
  /** Rows in ClickHouse. */
  stored: number;
  /** Distinct identities (gateway, boot, seq, idx) among the rows. */
  distinct: number;
  duplicated: number;
  /** Readings the agent reported lost (journal overflow), and the envelopes the gap report counts. */
  lostReported: number;
  lostEnvelopesReported: number;
  gapEnvelopes: number;
  /** Readings missing and not reported: must be 0. */
  lostSilently: number;
  /**
   * Good readings in raw minus those counted by the 1-minute and 1-hour rollups: must be 0. (A crash
   * between the raw part and the views' parts of one insert is completed at the processor's next
   * start from the insert it wrote down: stream-processor's PendingInserts.)
   */
  rollupMinuteShort: number;
  rollupHourShort: number;
  /** The same for the series index (fed from the minutes). */
  rollupIndexShort: number;
  /** Inserts a processor had not seen committed (killed, or failed), completed (see PendingInserts). */
  insertsResent: number;
  /**
   * Readings those inserts' tables lacked, added when they were completed
   * (`TelemetryStore.completeInsert`), summed over raw, rollups and index.
   */
  readingsRepaired: number;
  ok: boolean;
  seconds: number;
}

export interface AgentCounts {
  readings: number;
  lostReadings: number;
  lostEnvelopes: number;
}

/** Counts in a child process (see count-stored.ts) and compares exactly. */
export async function reconcile(
  clickhouseDir: string,
  gateway: string,
  agent: AgentCounts,
  label: {
    scenario: string;
    load: string;
    fault: string;
    seconds: number;
    insertsResent: number;
    readingsRepaired: number;
  },
): Promise<Reconciliation> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", COUNT_STORED, clickhouseDir, gateway],
    {
      env: { ...process.env, ORT_DISABLE_TELEMETRY: "1" },
    },
  );
  const c = JSON.parse(stdout) as {
    rows: number;
    distinct: number;
    reportedLostEnvelopes: number;
    reportedLostReadings: number;
    gapEnvelopes: number;
    rollupGood: number;
    rollupMinutes: number;
    rollupHours: number;
    rollupIndex: number;
  };
  const duplicated = c.rows - c.distinct;
  const lostSilently = agent.readings - agent.lostReadings - c.distinct;
  const ok =
    duplicated === 0 &&
    lostSilently === 0 &&
    c.gapEnvelopes === agent.lostEnvelopes &&
    c.reportedLostReadings === agent.lostReadings &&
    c.rollupGood === c.rollupMinutes &&
    c.rollupGood === c.rollupHours &&
    c.rollupGood === c.rollupIndex;
  return {
    ...label,
    produced: agent.readings,
    stored: c.rows,
    distinct: c.distinct,
    duplicated,
    lostReported: agent.lostReadings,
    lostEnvelopesReported: agent.lostEnvelopes,
    gapEnvelopes: c.gapEnvelopes,
    lostSilently,
    rollupMinuteShort: c.rollupGood - c.rollupMinutes,
    rollupHourShort: c.rollupGood - c.rollupHours,
    rollupIndexShort: c.rollupGood - c.rollupIndex,
    ok,
  };
}

export function formatReconciliations(results: readonly Reconciliation[]): string {
  const head = [
    "scenario",
    "load",
    "fault",
    "produced",
    "stored",
    "lost (reported)",
    "lost silently",
    "duplicated",
    "ok",
    "rollups (1 min / 1 h / index) vs raw",
    "inserts completed (readings added)",
  ];
  const rows = results.map((r) => [
    r.scenario,
    r.load,
    r.fault,
    String(r.produced),
    String(r.stored),
    `${r.lostReported} (${r.lostEnvelopesReported} envelopes; gaps: ${r.gapEnvelopes})`,
    String(r.lostSilently),
    String(r.duplicated),
    r.ok ? "yes" : "NO",
    r.rollupMinuteShort === 0 && r.rollupHourShort === 0 && r.rollupIndexShort === 0
      ? "same"
      : `short by ${r.rollupMinuteShort} / ${r.rollupHourShort} / ${r.rollupIndexShort}`,
    `${r.insertsResent} (${r.readingsRepaired})`,
  ]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}
