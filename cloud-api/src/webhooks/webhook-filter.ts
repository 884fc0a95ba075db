import {
  ALERT_LEVELS,
  ALERT_SUBJECT_PREFIX,
  ALERT_SUBJECTS,
  type AlertEvent,
  type AlertLevel,
  levelRank,
} from "@lifeline/contracts";
import type { WebhookFilter } from "./webhook-subscriber.ts";

/**
 * More subjects than this in one consumer are not worth it: the server matches every message
 * against each, and such a filter is better widened and checked on the payload.
 */
export const MAX_FILTER_SUBJECTS = 64;

/** The levels a filter lets through (`levels` ∩ at-least-`minLevel`), or undefined for every level. */
export function filterLevels(filter: WebhookFilter): AlertLevel[] | undefined {
  if (filter.levels === undefined && filter.minLevel === undefined) return undefined;
  const min = filter.minLevel === undefined ? 0 : levelRank(filter.minLevel);
  return (filter.levels ?? [...ALERT_LEVELS]).filter((l) => levelRank(l) >= min);
}

/** Whether an event passes a subscriber's filter; checked on every message, whatever the subjects. */
export function matchesFilter(filter: WebhookFilter, e: Pick<AlertEvent, "site" | "level" | "kind">): boolean {
  const levels = filterLevels(filter);
  return (
    (filter.sites?.includes(e.site) ?? true) &&
    (levels?.includes(e.level) ?? true) &&
    (filter.kinds?.includes(e.kind) ?? true)
  );
}

/**
 * What the consumer of a subscriber filters on: subjects are `alert.<site>.<level>.<kind>.<device>`,
 * so a filter is the cross product of its sites, levels and kinds. `exact` says whether the
 * subjects select exactly the filter; when not, they select more and the payload check drops the rest.
 *
 * Several subjects in one consumer (`filter_subjects`) need nats-server 2.10 (ADR-34); without it,
 * or with more than {@link MAX_FILTER_SUBJECTS}, one subject with a wildcard for each dimension
 * that has more than one value.
 */
export function filterSubjects(
  filter: WebhookFilter,
  options: { multipleSubjects: boolean },
): { subjects: string[]; exact: boolean } {
  const sites = filter.sites ?? [];
  const levels = filterLevels(filter) ?? [];
  const kinds = filter.kinds ?? [];
  if (sites.length === 0 && levels.length === 0 && kinds.length === 0)
    return { subjects: [ALERT_SUBJECTS], exact: true };
  const dims = [sites, levels, kinds].map((values) => (values.length === 0 ? ["*"] : values));
  const count = dims.reduce((n, values) => n * values.length, 1);
  if (count === 1 || (options.multipleSubjects && count <= MAX_FILTER_SUBJECTS)) {
    const subjects: string[] = [];
    for (const s of dims[0] as string[]) {
      for (const l of dims[1] as string[]) {
        for (const k of dims[2] as string[]) subjects.push(`${ALERT_SUBJECT_PREFIX}.${s}.${l}.${k}.*`);
      }
    }
    return { subjects, exact: true };
  }
  const one = dims.map((values) => (values.length === 1 ? values[0] : "*"));
  return { subjects: [`${ALERT_SUBJECT_PREFIX}.${one.join(".")}.*`], exact: false };
}

/** nats-server 2.10 is the first to take several filter subjects in one consumer. */
export function supportsMultipleFilterSubjects(serverVersion: string | undefined): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(serverVersion ?? "");
  if (match === null) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 2 || (major === 2 && minor >= 10);
}
