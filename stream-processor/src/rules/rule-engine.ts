import type { AlertCondition, AlertLevel, AlertRule, Reading } from "@lifeline/contracts";
import { compileRule } from "./compile-rule.ts";
import { RuleEngineError } from "./rule-engine-error.ts";
import type { Decide, Judgement, RuleCounters, RuleEvaluator, RuleKey } from "./rule-evaluator.ts";
import { ruleFingerprint } from "./rule-fingerprint.ts";

export interface RuleEngineOptions {
  /**
   * How long a tick waits for late readings before it closes a clock window or a local day: it
   * closes those that ended before `now − graceMs`. Readings always close them on time. Default 0.
   */
  graceMs?: number;
}

export interface RuleEngineStats {
  /** Enabled rules. */
  rules: number;
  /** (site, device, metric) series followed. */
  series: number;
  /** Conditions emitted. */
  conditions: number;
  /** Keys (rule, site, device) at a level now. */
  open: number;
  /** Readings not newer than the last of their series: redelivered or replayed. */
  ignored: number;
  /** Readings of quality bad. */
  bad: number;
  /** Readings whose clock window a tick had already closed. */
  late: number;
}

export const RULE_ENGINE_STATE_VERSION = 1;

/** Everything the engine knows, as plain JSON: store it, and restore it after a restart. */
export interface RuleEngineState {
  v: typeof RULE_ENGINE_STATE_VERSION;
  rules: AlertRule[];
  /** Per series `site/device/metric`, the source time of its last reading evaluated. */
  series: [string, number][];
  keys: { rule: string; device: string; level: AlertLevel | null; lastAt: number | null; state: unknown }[];
  stats: { conditions: number; ignored: number; bad: number; late: number };
}

interface RuleEntry {
  rule: AlertRule;
  fingerprint: string;
  evaluator: RuleEvaluator;
  /** By concrete device. */
  keys: Map<string, RuleKey>;
}

/** The rules of one metric of a site, in configuration order, and which devices they cover. */
interface MetricRules {
  entries: RuleEntry[];
  everyDevice: boolean;
  devices: Set<string>;
}

interface SiteRules {
  byMetric: Map<string, MetricRules>;
  /** Stale rules on any reading of a device. */
  anyMetric: RuleEntry[];
}

/**
 * The alert rule engine: pure and deterministic — no I/O, no timers; time comes in as source
 * times of readings and as the `now` of a tick. It emits an AlertCondition only when the level of
 * a key (rule, site, device) changes. Readings not newer than the last of their series change
 * nothing, so a redelivered or replayed batch emits nothing again. The lifecycle applies a
 * condition only when it is newer than the last one of its key, so a change decided at a time
 * not after the key's last condition (two metrics of a combined rule at one source time, a stale
 * alert cleared by a buffered reading) is stamped 1 ms after it, the deciding time kept in
 * `evidence.decidedAt`.
 */
export class RuleEngine {
  readonly #graceMs: number;
  readonly #counters: RuleCounters = { late: 0 };
  readonly #series = new Map<string, number>();
  #entries: RuleEntry[] = [];
  #sites = new Map<string, SiteRules>();
  #clocked: RuleEntry[] = [];
  #conditions = 0;
  #ignored = 0;
  #bad = 0;
  /** The key whose evaluator is being called, and where its conditions go: set before each call (no closure per reading). */
  readonly #target: { out: AlertCondition[]; entry: RuleEntry | undefined; device: string; key: RuleKey } = {
    out: [],
    entry: undefined,
    device: "",
    key: { level: null, lastAt: null, state: null },
  };
  readonly #decide: Decide = (judgement) => this.#emit(judgement);

  constructor(rules: readonly AlertRule[], options: RuleEngineOptions = {}) {
    this.#graceMs = options.graceMs ?? 0;
    checkUniqueIds(rules);
    this.#install(rules.filter((r) => r.enabled).map((r) => this.#entry(r, ruleFingerprint(r))));
  }

  /**
   * Hot reload. A rule whose definition is unchanged (name and description aside) keeps its
   * state; a changed, disabled or removed rule loses it, and its open conditions are cleared at
   * `now` (a changed rule judges afresh from its next reading).
   */
  setRules(rules: readonly AlertRule[], now: number): AlertCondition[] {
    checkUniqueIds(rules);
    const previous = new Map(this.#entries.map((e) => [ruleRef(e.rule), e]));
    const next: RuleEntry[] = [];
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const fingerprint = ruleFingerprint(rule);
      const old = previous.get(ruleRef(rule));
      if (old !== undefined && old.fingerprint === fingerprint) {
        old.rule = rule;
        previous.delete(ruleRef(rule));
        next.push(old);
      } else next.push(this.#entry(rule, fingerprint));
    }
    const out: AlertCondition[] = [];
    for (const old of previous.values()) {
      const replacement = next.find((e) => ruleRef(e.rule) === ruleRef(old.rule));
      const reason =
        replacement !== undefined
          ? "changed"
          : rules.some((r) => ruleRef(r) === ruleRef(old.rule))
            ? "disabled"
            : "removed";
      const metric = old.evaluator.metrics.length === 1 ? { metric: old.evaluator.metrics[0] as string } : {};
      for (const [device, key] of old.keys) {
        this.#aim(out, old, device, key);
        this.#emit({ level: null, at: now, ...metric, summary: `rule ${reason}: condition cleared`, evidence: {} });
        // The new rule's first condition must come after the last one the lifecycle saw for the key.
        if (replacement !== undefined && key.lastAt !== null) {
          replacement.keys.set(device, { level: null, lastAt: key.lastAt, state: replacement.evaluator.init() });
        }
      }
    }
    this.#install(next);
    return out;
  }

  /** The readings of one device (one envelope), in source-time order per metric. */
  evaluate(site: string, device: string, readings: readonly Reading[]): AlertCondition[] {
    const siteRules = this.#sites.get(site);
    if (siteRules === undefined) return [];
    const out: AlertCondition[] = [];
    const anyMetric =
      siteRules.anyMetric.length === 0 ? NONE : siteRules.anyMetric.filter((e) => covers(e.rule, device));
    // Rules on any reading of the device (stale data) need only the envelope's earliest and latest
    // good readings — not one call per reading (an agent's envelope carries 100 of them).
    let earliest: Reading | undefined;
    let latest: Reading | undefined;
    for (const reading of readings) {
      let rules = siteRules.byMetric.get(reading.metric);
      if (rules !== undefined && !rules.everyDevice && !rules.devices.has(device)) rules = undefined;
      if (rules === undefined && anyMetric.length === 0) continue;
      if (reading.quality === "bad") {
        this.#bad++;
        continue;
      }
      if (earliest === undefined || reading.ts < earliest.ts) earliest = reading;
      if (latest === undefined || reading.ts > latest.ts) latest = reading;
      if (rules === undefined) continue;
      const series = `${site}/${device}/${reading.metric}`;
      const last = this.#series.get(series);
      if (last !== undefined && reading.ts <= last) {
        this.#ignored++;
        continue;
      }
      this.#series.set(series, reading.ts);
      for (const entry of rules.entries) {
        if (covers(entry.rule, device)) this.#read(out, entry, device, reading);
      }
    }
    if (earliest !== undefined && latest !== undefined) {
      for (const entry of anyMetric) {
        this.#read(out, entry, device, earliest);
        if (latest !== earliest) this.#read(out, entry, device, latest);
      }
    }
    return out;
  }

  /** The clock: stale data, clock windows that closed without a later reading, local midnights. */
  tick(now: number): AlertCondition[] {
    const out: AlertCondition[] = [];
    const watermark = now - this.#graceMs;
    for (const entry of this.#clocked) {
      for (const [device, key] of entry.keys) {
        this.#aim(out, entry, device, key);
        entry.evaluator.onTick(key, now, watermark, this.#decide);
      }
    }
    return out;
  }

  snapshot(): RuleEngineState {
    const keys: RuleEngineState["keys"] = [];
    for (const entry of this.#entries) {
      for (const [device, key] of entry.keys) keys.push({ rule: ruleRef(entry.rule), device, ...key });
    }
    return structuredClone({
      v: RULE_ENGINE_STATE_VERSION,
      rules: this.#entries.map((e) => e.rule),
      series: [...this.#series],
      keys,
      stats: { conditions: this.#conditions, ignored: this.#ignored, bad: this.#bad, late: this.#counters.late },
    });
  }

  /** The engine as it was at the snapshot, with the rules it had then: apply today's with setRules. */
  static restore(state: RuleEngineState, options: RuleEngineOptions = {}): RuleEngine {
    if (state.v !== RULE_ENGINE_STATE_VERSION) {
      throw new RuleEngineError(
        "STREAM_RULES_STATE_VERSION",
        `expected rule engine state version ${RULE_ENGINE_STATE_VERSION}, found ${String(state.v)}`,
        { version: state.v },
      );
    }
    const copy = structuredClone(state);
    const engine = new RuleEngine(copy.rules, options);
    for (const [series, ts] of copy.series) engine.#series.set(series, ts);
    const byId = new Map(engine.#entries.map((e) => [ruleRef(e.rule), e]));
    for (const { rule, device, level, lastAt, state: keyState } of copy.keys) {
      byId.get(rule)?.keys.set(device, { level, lastAt, state: keyState });
    }
    engine.#conditions = copy.stats.conditions;
    engine.#ignored = copy.stats.ignored;
    engine.#bad = copy.stats.bad;
    engine.#counters.late = copy.stats.late;
    return engine;
  }

  stats(): RuleEngineStats {
    let open = 0;
    for (const entry of this.#entries) for (const key of entry.keys.values()) if (key.level !== null) open++;
    return {
      rules: this.#entries.length,
      series: this.#series.size,
      conditions: this.#conditions,
      open,
      ignored: this.#ignored,
      bad: this.#bad,
      late: this.#counters.late,
    };
  }

  #entry(rule: AlertRule, fingerprint: string): RuleEntry {
    return { rule, fingerprint, evaluator: compileRule(rule, this.#counters), keys: new Map() };
  }

  #install(entries: RuleEntry[]): void {
    const sites = new Map<string, SiteRules>();
    for (const entry of entries) {
      let site = sites.get(entry.rule.site);
      if (site === undefined) {
        site = { byMetric: new Map(), anyMetric: [] };
        sites.set(entry.rule.site, site);
      }
      const { metrics, eager } = entry.evaluator;
      if (metrics.length === 0) site.anyMetric.push(entry);
      for (const metric of metrics) {
        let rules = site.byMetric.get(metric);
        if (rules === undefined) {
          rules = { entries: [], everyDevice: false, devices: new Set() };
          site.byMetric.set(metric, rules);
        }
        rules.entries.push(entry);
        if (entry.rule.device === "*") rules.everyDevice = true;
        else rules.devices.add(entry.rule.device);
      }
      if (eager && !entry.keys.has(entry.rule.device)) {
        entry.keys.set(entry.rule.device, { level: null, lastAt: null, state: entry.evaluator.init() });
      }
    }
    this.#entries = entries;
    this.#sites = sites;
    this.#clocked = entries.filter((e) => e.evaluator.clocked);
    // Series no rule reads any more are forgotten; memory follows the rules.
    for (const series of this.#series.keys()) {
      const [site = "", , metric = ""] = series.split("/");
      if (sites.get(site)?.byMetric.has(metric) !== true) this.#series.delete(series);
    }
  }

  #read(out: AlertCondition[], entry: RuleEntry, device: string, reading: Reading): void {
    let key = entry.keys.get(device);
    if (key === undefined) {
      key = { level: null, lastAt: null, state: entry.evaluator.init() };
      entry.keys.set(device, key);
    }
    this.#aim(out, entry, device, key);
    entry.evaluator.onReading(key, reading, this.#decide);
  }

  #aim(out: AlertCondition[], entry: RuleEntry, device: string, key: RuleKey): void {
    this.#target.out = out;
    this.#target.entry = entry;
    this.#target.device = device;
    this.#target.key = key;
  }

  #emit(judgement: Judgement): void {
    const { out, entry, device, key } = this.#target;
    if (entry === undefined || judgement.level === key.level) return;
    const at = key.lastAt !== null && judgement.at <= key.lastAt ? key.lastAt + 1 : judgement.at;
    out.push({
      rule: entry.rule.id,
      site: entry.rule.site,
      device,
      kind: entry.rule.kind,
      level: judgement.level,
      at,
      ...(judgement.metric === undefined ? {} : { metric: judgement.metric }),
      ...(judgement.value === undefined ? {} : { value: judgement.value }),
      summary: judgement.summary,
      evidence: at === judgement.at ? judgement.evidence : { ...judgement.evidence, decidedAt: judgement.at },
    });
    key.level = judgement.level;
    key.lastAt = at;
    this.#conditions++;
  }
}

const NONE: readonly RuleEntry[] = [];

function covers(rule: AlertRule, device: string): boolean {
  return rule.device === "*" || rule.device === device;
}

/** Rule ids are unique within a site: the alert key is (rule, site, device). */
function ruleRef(rule: Pick<AlertRule, "site" | "id">): string {
  return `${rule.site}/${rule.id}`;
}

function checkUniqueIds(rules: readonly AlertRule[]): void {
  const seen = new Set<string>();
  for (const rule of rules) {
    if (seen.has(ruleRef(rule))) {
      throw new RuleEngineError(
        "STREAM_RULES_DUPLICATE_ID",
        `rule id ${rule.id} is used by more than one rule of site ${rule.site}`,
        { rule: rule.id, site: rule.site },
      );
    }
    seen.add(ruleRef(rule));
  }
}
