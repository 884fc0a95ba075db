import type { Finding } from "../problem.ts";
import { type CheckContext, isRecord } from "./check-context.ts";

/** fsyncIntervalMs only means something with fsync: interval. */
export function checkJournalSync(context: CheckContext): Finding[] {
  const journal = context.profile.journal;
  if (!isRecord(journal) || journal.fsyncIntervalMs === undefined) return [];
  const fsync = journal.fsync ?? "interval";
  if (fsync === "interval" || (fsync !== "always" && fsync !== "never")) return [];
  return [
    {
      severity: "warning",
      code: "PROFILE_JOURNAL_FSYNC_INTERVAL",
      path: ["journal", "fsyncIntervalMs"],
      message: `expected fsyncIntervalMs only with fsync interval, found fsync ${fsync}: it is ignored`,
    },
  ];
}

/** Demo settings that are dangerous on a real site: trusting any OPC UA server certificate. */
export function checkOpcuaTrust(context: CheckContext): Finding[] {
  return context.devices.flatMap(({ index, resolved }) => {
    const raw = resolved.raw;
    if (raw?.type !== "opcua" || raw.autoAcceptUnknownCertificates !== true) return [];
    return [
      {
        severity: "warning" as const,
        code: "PROFILE_OPCUA_AUTO_ACCEPT",
        path: ["devices", index, "autoAcceptUnknownCertificates"],
        message: "expected false on a real site, found true: any server that answers is trusted",
        hint: "approve the server's certificate once instead: see the OPC UA adapter's trust workflow",
      },
    ];
  });
}
