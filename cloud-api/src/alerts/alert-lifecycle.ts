import { createHash } from "node:crypto";
import {
  ALERT_EVENT_VERSION,
  type AlertCondition,
  type AlertEvent,
  type AlertLevel,
  type AlertTransition,
  alertKey,
  levelRank,
} from "@lifeline/contracts";
import type { AlertSilence, StoredAlertEvent } from "@lifeline/store";
import { AlertError } from "./alert-error.ts";

export interface LifecyclePolicy {
  /** A firing alert nobody acknowledged is sent again this often (0: never). */
  renotifyEveryMs: number;
  /** A key whose condition changed `flapMaxChanges` times within this span is flapping. */
  flapWindowMs: number;
  flapMaxChanges: number;
}

export const DEFAULT_LIFECYCLE_POLICY: LifecyclePolicy = {
  renotifyEveryMs: 30 * 60_000,
  flapWindowMs: 10 * 60_000,
  flapMaxChanges: 4,
};

/** A transition with what the service must do with it: store it always, send it if `notify`. */
export interface LifecycleOutput extends StoredAlertEvent {
  notify: boolean;
}

/** What subscribers last learned of an alert: its state and level, and when. */
interface Notified {
  state: AlertEvent["state"];
  level: AlertLevel;
  at: number;
}

interface KeyState {
  /** Latest transition of the key's latest alert (closed: none is open). */
  last: AlertEvent;
  /** Newest condition time applied to the key: an older or equal one is a replay. */
  conditionAt: number;
  /** Times of the condition's recent changes (fire, clear), for flap detection. */
  changes: number[];
  notified: Notified | undefined;
}

const isFiring = (e: AlertEvent) => e.state === "firing" || e.state === "acknowledged";

/** Stable ids: replaying the same conditions produces the same alert and event ids. */
function alertIdOf(key: string, firedAt: number): string {
  return createHash("sha256").update(`${key}@${firedAt}`).digest("hex").slice(0, 24);
}

/**
 * The alert lifecycle, one state machine per key (rule, site, device), pure and deterministic:
 * firing → acknowledged → resolved → closed, with escalation when the level rises, reopening when
 * the condition returns before the alert was closed (one open alert per key), re-notification of
 * unacknowledged alerts, flap suppression and silences. Conditions are idempotent by their time.
 */
export class AlertLifecycle {
  readonly #policy: LifecyclePolicy;
  readonly #keys = new Map<string, KeyState>();
  readonly #byAlert = new Map<string, string>();
  #silences: readonly AlertSilence[] = [];

  constructor(policy: Partial<LifecyclePolicy> = {}, restored: readonly StoredAlertEvent[] = []) {
    this.#policy = { ...DEFAULT_LIFECYCLE_POLICY, ...policy };
    for (const { event, conditionAt } of restored) {
      // After a restart subscribers are taken to know what was stored and not silenced.
      const notified =
        event.silenced || event.flapping ? undefined : { state: event.state, level: event.level, at: event.at };
      this.#keys.set(event.key, { last: event, conditionAt, changes: [], notified });
      this.#byAlert.set(event.alertId, event.key);
    }
  }

  setSilences(silences: readonly AlertSilence[]): void {
    this.#silences = silences;
  }

  /** The silence that covers an alert of this key at `at`, if any. */
  silenceOf(e: Pick<AlertEvent, "site" | "device" | "rule">, at: number): AlertSilence | undefined {
    return this.#silences.find(
      (s) =>
        s.site === e.site &&
        (s.device === "" || s.device === e.device) &&
        (s.rule === "" || s.rule === e.rule) &&
        s.startsAt <= at &&
        at < s.endsAt,
    );
  }

  /** Alerts not closed, newest first. */
  open(): AlertEvent[] {
    return [...this.#keys.values()]
      .map((k) => k.last)
      .filter((e) => e.state !== "closed")
      .sort((a, b) => b.firedAt - a.firedAt);
  }

  /** The current state of one alert, if this lifecycle knows it as its key's latest. */
  current(alertId: string): AlertEvent | undefined {
    const key = this.#byAlert.get(alertId);
    const last = key === undefined ? undefined : this.#keys.get(key)?.last;
    return last?.alertId === alertId ? last : undefined;
  }

  applyCondition(c: AlertCondition): LifecycleOutput[] {
    const key = alertKey(c);
    const k = this.#keys.get(key);
    if (k !== undefined && c.at <= k.conditionAt) return [];
    const open = k !== undefined && k.last.state !== "closed" ? k.last : undefined;
    let transition: AlertTransition | undefined;
    if (c.level === null) {
      if (open !== undefined && isFiring(open)) transition = "resolved";
    } else if (open === undefined) {
      transition = "fired";
    } else if (open.state === "resolved") {
      transition = "reopened";
    } else if (levelRank(c.level) > levelRank(open.level)) {
      transition = "escalated";
    } else if (levelRank(c.level) < levelRank(open.level)) {
      transition = "deescalated";
    }
    if (k !== undefined) k.conditionAt = c.at;
    if (transition === undefined) return [];
    const changed = transition === "fired" || transition === "resolved" || transition === "reopened";
    const event = this.#next(open, transition, c.at, {
      ...(c.level === null ? {} : { level: c.level }),
      kind: c.kind,
      ...(c.metric === undefined ? {} : { metric: c.metric }),
      ...(c.value === undefined ? {} : { value: c.value }),
      summary: c.summary,
      evidence: c.evidence,
      rule: c.rule,
      site: c.site,
      device: c.device,
      key,
    });
    return [this.#record(key, event, c.at, changed)];
  }

  acknowledge(alertId: string, by: string, note: string, now: number): LifecycleOutput {
    return this.#command(alertId, "acknowledged", ["firing"], by, note, now);
  }

  /** An operator's resolution; the condition may still hold, and then a change of it reopens. */
  resolve(alertId: string, by: string, note: string, now: number): LifecycleOutput {
    return this.#command(alertId, "resolved", ["firing", "acknowledged"], by, note, now);
  }

  close(alertId: string, by: string, note: string, now: number): LifecycleOutput {
    return this.#command(alertId, "closed", ["acknowledged", "resolved"], by, note, now);
  }

  /**
   * Clock work: a key that stopped flapping, or whose silence ended, has its current state sent
   * when subscribers know another (also an end they did not hear of: resolved or closed while
   * held back); an unacknowledged firing alert is sent again after `renotifyEveryMs`.
   */
  tick(now: number): LifecycleOutput[] {
    const out: LifecycleOutput[] = [];
    for (const [key, k] of this.#keys) {
      const e = k.last;
      const n = k.notified;
      if (e.state === "closed" && (n === undefined || n.state === "closed")) continue;
      k.changes = k.changes.filter((t) => t > now - this.#policy.flapWindowMs);
      const flapping = this.#flapping(k);
      if (flapping || this.silenceOf(e, now) !== undefined) continue;
      const firing = isFiring(e);
      const differs = n === undefined ? firing : n.state !== e.state || n.level !== e.level;
      const due =
        firing &&
        e.state === "firing" &&
        this.#policy.renotifyEveryMs > 0 &&
        n !== undefined &&
        now - n.at >= this.#policy.renotifyEveryMs;
      if (!differs && !due) continue;
      const event = this.#next(e, "renotified", now, {});
      out.push(this.#record(key, event, k.conditionAt, false));
    }
    return out;
  }

  #command(
    alertId: string,
    transition: AlertTransition,
    from: readonly string[],
    by: string,
    note: string,
    now: number,
  ): LifecycleOutput {
    const e = this.current(alertId);
    if (e === undefined) throw new AlertError("ALERT_NOT_FOUND", `no open alert ${alertId}`, { alertId });
    if (!from.includes(e.state)) {
      throw new AlertError(
        "ALERT_INVALID_TRANSITION",
        `alert ${alertId} is ${e.state}; ${transition} is allowed only from ${from.join(" or ")}`,
        { alertId, state: e.state, transition },
      );
    }
    const event = this.#next(e, transition, now, { by, note });
    const k = this.#keys.get(e.key) as KeyState;
    return this.#record(e.key, event, k.conditionAt, false);
  }

  /** The next transition of `open` (or a new alert when there is none), with `changes` applied. */
  #next(
    open: AlertEvent | undefined,
    transition: AlertTransition,
    at: number,
    changes: Partial<AlertEvent> & Partial<Pick<AlertEvent, "key">>,
  ): AlertEvent {
    const base = open ?? ({ seq: 0 } as AlertEvent);
    const alertId = open?.alertId ?? alertIdOf(changes.key as string, at);
    const seq = base.seq + 1;
    const { by: _by, note: _note, ...carried } = base;
    const event: AlertEvent = {
      ...carried,
      ...changes,
      v: ALERT_EVENT_VERSION,
      id: `${alertId}-${seq}`,
      alertId,
      seq,
      transition,
      state: stateAfter(transition, base.state),
      at,
      firedAt: open?.firedAt ?? at,
      silenced: false,
      flapping: false,
    };
    if (transition === "resolved") event.resolvedAt = at;
    if (transition === "reopened") delete event.resolvedAt;
    return event;
  }

  #record(key: string, event: AlertEvent, conditionAt: number, changed: boolean): LifecycleOutput {
    let k = this.#keys.get(key);
    if (k === undefined) {
      k = { last: event, conditionAt, changes: [], notified: undefined };
      this.#keys.set(key, k);
    }
    if (changed) k.changes.push(event.at);
    k.changes = k.changes.filter((t) => t > event.at - this.#policy.flapWindowMs);
    if (k.last.alertId !== event.alertId) k.notified = undefined;
    k.last = event;
    this.#byAlert.set(event.alertId, key);
    event.flapping = this.#flapping(k);
    event.silenced = this.silenceOf(event, event.at) !== undefined;
    // A closed or resolved alert that subscribers never heard of stays unheard of.
    const unknown = k.notified === undefined && !isFiring(event);
    const notify = !event.flapping && !event.silenced && !unknown;
    if (notify) k.notified = { state: event.state, level: event.level, at: event.at };
    // Flapping is judged per alert: a new alert after a close starts with a clean history.
    if (event.state === "closed") k.changes = [];
    return { event, conditionAt: k.conditionAt, notify };
  }

  #flapping(k: KeyState): boolean {
    return k.changes.length >= this.#policy.flapMaxChanges;
  }
}

function stateAfter(transition: AlertTransition, previous: AlertEvent["state"] | undefined): AlertEvent["state"] {
  switch (transition) {
    case "fired":
    case "escalated":
    case "reopened":
      return "firing";
    case "acknowledged":
      return "acknowledged";
    case "resolved":
      return "resolved";
    case "closed":
      return "closed";
    case "deescalated":
    case "renotified":
      return previous ?? "firing";
  }
}
