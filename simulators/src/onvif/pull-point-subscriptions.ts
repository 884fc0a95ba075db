import { randomUUID } from "node:crypto";
import { PATHS, pulled, type QueuedEvent, renewed, subscriptionCreated } from "./onvif-responses.ts";
import { soapFault, textOf } from "./onvif-soap.ts";

interface Subscription {
  queue: QueuedEvent[];
  terminationAt: number;
  /** Wakes a PullMessages waiting for events (or for the subscription to end). */
  wake: (() => void) | undefined;
}

type Reply = string | { status: number; fault: string };

const DEFAULT_TERMINATION_MS = 60_000;

/** ONVIF Event Service §9.6 pull points: CreatePullPointSubscription, PullMessages, Renew, Unsubscribe. */
export class PullPointSubscriptions {
  readonly #subs = new Map<string, Subscription>();
  readonly #now: () => number;

  constructor(cameraNow: () => number) {
    this.#now = cameraNow;
  }

  get size(): number {
    return this.#subs.size;
  }

  publish(event: QueuedEvent): void {
    for (const sub of this.#subs.values()) {
      sub.queue.push(event);
      sub.wake?.();
    }
  }

  clear(): void {
    for (const sub of this.#subs.values()) sub.wake?.();
    this.#subs.clear();
  }

  async handle(op: string, path: string, xml: string, baseUrl: string, maxWaitMs: number): Promise<Reply> {
    this.#expire();
    const now = this.#now();
    if (op === "CreatePullPointSubscription") {
      const id = randomUUID();
      const terminationAt = now + (parseDuration(textOf(xml, "InitialTerminationTime")) ?? DEFAULT_TERMINATION_MS);
      this.#subs.set(id, { queue: [], terminationAt, wake: undefined });
      return subscriptionCreated(`${baseUrl}${PATHS.subscription}${id}`, now, terminationAt);
    }
    const id = path.startsWith(PATHS.subscription) ? path.slice(PATHS.subscription.length) : "";
    const sub = this.#subs.get(id);
    // §9.6: an unknown or expired subscription is a wsrf-rw:ResourceUnknownFault.
    if (!sub)
      return { status: 400, fault: soapFault("Sender", "wsrf-rw:ResourceUnknownFault", `no subscription ${id}`) };
    if (op === "Unsubscribe") {
      this.#subs.delete(id);
      sub.wake?.();
      return "<wsnt:UnsubscribeResponse/>";
    }
    if (op === "Renew") {
      sub.terminationAt = now + (parseDuration(textOf(xml, "TerminationTime")) ?? DEFAULT_TERMINATION_MS);
      return renewed(now, sub.terminationAt);
    }
    const limit = Number(textOf(xml, "MessageLimit") ?? "10") || 10;
    if (sub.queue.length === 0) {
      const wait = Math.min(maxWaitMs, parseDuration(textOf(xml, "Timeout")) ?? maxWaitMs);
      const waiting = sub;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, wait);
        waiting.wake = done;
      });
    }
    const events = sub.queue.splice(0, limit);
    return pulled(events, this.#now(), sub.terminationAt);
  }

  #expire(): void {
    const now = this.#now();
    for (const [id, sub] of this.#subs) if (sub.terminationAt < now) this.#subs.delete(id);
  }
}

/** xs:duration as ONVIF uses it (PT1M, PT10S, PT0.5S, P1D…), in ms; undefined when absent or not a duration. */
export function parseDuration(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s.trim());
  if (!m || s.trim() === "P" || s.trim() === "PT") return undefined;
  const [d, h, min, sec] = [m[1], m[2], m[3], m[4]].map((v) => Number(v ?? 0)) as [number, number, number, number];
  return Math.round(((d * 24 + h) * 60 + min) * 60_000 + sec * 1000);
}
