import {
  ALERT_RULE_BUCKET,
  type AlertRule,
  alertRuleSchema,
  type Logger,
  PROFILE_BUCKET,
  PROFILE_HISTORY,
} from "@lifeline/contracts";
import { type KV, type KvEntry, Kvm, KvWatchInclude } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

/** Where a rule was declared: through the API, or in the profile of a gateway. */
export type RuleOrigin = { source: "api" } | { source: "profile"; gateway: string; version: number };

export interface SourcedRule {
  rule: AlertRule;
  origin: RuleOrigin;
}

export interface RuleProblem {
  /** The bucket key the rule came from (`<site>.<rule>` or a gateway id). */
  key: string;
  message: string;
}

export interface AlertRuleSource {
  /** The rules in force: API rules, and profile rules not overridden by an API rule of the same site and id. */
  rules(): SourcedRule[];
  /** Rules that could not be read, with the reason (they are not in force). */
  problems(): RuleProblem[];
  close(): Promise<void>;
}

/** Opens (creating if needed) the bucket of API rules. */
export async function openAlertRuleBucket(nats: NatsConnection): Promise<KV> {
  return new Kvm(nats).create(ALERT_RULE_BUCKET, { history: 10 });
}

function problemOf(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (issues === undefined) return error instanceof Error ? error.message : String(error);
  return issues.map((i) => `${i.path.join(".") || "(rule)"}: ${i.message}`).join("; ");
}

/**
 * The alert rules, live: the API's bucket and every gateway profile's `alerts` list, watched so
 * that a change reaches the engine without a restart (`onChange` gets the whole new set). A rule
 * that does not validate is left out and reported, never half-applied.
 */
export async function watchAlertRules(options: {
  nats: NatsConnection;
  onChange: (rules: SourcedRule[]) => void;
  log: Logger;
}): Promise<AlertRuleSource> {
  const kvm = new Kvm(options.nats);
  const apiBucket = await openAlertRuleBucket(options.nats);
  // Created with the gateway's history when the rule engine is first: a bucket of history 1 would
  // leave `lifeline profile rollback` nothing to go back to.
  const profileBucket = await kvm.create(PROFILE_BUCKET, { history: PROFILE_HISTORY });
  const api = new Map<string, AlertRule>();
  const profiles = new Map<string, SourcedRule[]>();
  const problems = new Map<string, string>();

  const merged = (): SourcedRule[] => {
    const byKey = new Map<string, SourcedRule>();
    for (const list of profiles.values()) for (const r of list) byKey.set(`${r.rule.site}.${r.rule.id}`, r);
    for (const [key, rule] of api) byKey.set(key, { rule, origin: { source: "api" } });
    return [...byKey.values()].sort((a, b) =>
      `${a.rule.site}.${a.rule.id}`.localeCompare(`${b.rule.site}.${b.rule.id}`),
    );
  };

  const onApi = (e: KvEntry) => {
    problems.delete(`api:${e.key}`);
    if (e.operation !== "PUT") return void api.delete(e.key);
    try {
      api.set(e.key, alertRuleSchema.parse(e.json()));
    } catch (error) {
      api.delete(e.key);
      problems.set(`api:${e.key}`, problemOf(error));
    }
  };

  const onProfile = (e: KvEntry) => {
    problems.delete(`profile:${e.key}`);
    profiles.delete(e.key);
    if (e.operation !== "PUT") return;
    try {
      const signed = e.json<{ profile?: { site?: { id?: string }; alerts?: unknown[] } }>();
      const site = signed.profile?.site?.id;
      const rules = (signed.profile?.alerts ?? []).map((raw, i) => {
        const parsed = alertRuleSchema.safeParse(raw);
        if (!parsed.success) throw new Error(`alerts.${i}: ${problemOf(parsed.error)}`);
        if (parsed.data.site !== site) throw new Error(`alerts.${i}.site: expected ${site}, the profile's site`);
        return parsed.data;
      });
      profiles.set(
        e.key,
        rules.map((rule) => ({ rule, origin: { source: "profile", gateway: e.key, version: e.revision } })),
      );
    } catch (error) {
      problems.set(`profile:${e.key}`, problemOf(error));
    }
  };

  // The current values first, so that the engine starts with every rule in force; then the
  // watches, whose first entries repeat those values (applying one twice changes nothing).
  for (const [bucket, apply] of [
    [apiBucket, onApi],
    [profileBucket, onProfile],
  ] as const) {
    for await (const key of await bucket.keys()) {
      const e = await bucket.get(key);
      if (e !== null) apply(e);
    }
  }
  options.onChange(merged());
  for (const [key, message] of problems) options.log.warn("alert rule not in force", { key, problem: message });
  const watches = await Promise.all(
    (
      [
        [apiBucket, onApi],
        [profileBucket, onProfile],
      ] as const
    ).map(async ([bucket, apply]) => {
      const watch = await bucket.watch({ include: KvWatchInclude.LastValue });
      void (async () => {
        for await (const e of watch) {
          apply(e);
          if (e.isUpdate) {
            options.onChange(merged());
            const problem = problems.get(`${bucket === apiBucket ? "api" : "profile"}:${e.key}`);
            if (problem !== undefined) options.log.warn("alert rule not in force", { key: e.key, problem });
          }
        }
      })().catch((error: unknown) => options.log.error("alert rule watch ended", { error: String(error) }));
      return watch;
    }),
  );

  return {
    rules: merged,
    problems: () => [...problems].map(([key, message]) => ({ key, message })),
    async close() {
      for (const w of watches) w.stop();
    },
  };
}
