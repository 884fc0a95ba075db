import type { AlertTransition } from "@lifeline/contracts";
import type { ProbeRecord } from "./alert-load.ts";
import type { ReceivedAlert } from "./alert-receiver.ts";

/** When each hop saw an alert, from an AlertStageTap: conditions by `device@at`, events by id. */
export interface StageTimes {
  conditions: ReadonlyMap<string, number>;
  events: ReadonlyMap<string, number>;
}

export interface ProbeCheck {
  /** Two per probe: fired at its firing reading's ts, resolved at its resolving reading's ts. */
  expected: number;
  /** Expected events that arrived. */
  received: number;
  /** `device transition` of expected events that did not arrive. */
  missing: string[];
  /** `device transition@at` of events of the step that no probe explains (or a second copy of one). */
  unexpected: string[];
  /** Requests beyond the first for the step's event ids (same Idempotency-Key sent again). */
  duplicates: number;
  /** Webhook arrival − event `at` (the publish time of the deciding reading), ms, per expected event. */
  latencies: number[];
  /**
   * The same latency split at the hops: publish → PUBACK (gateway, stored in JetStream, PUBACK
   * back), PUBACK → condition on NATS (rule engine), → alert event on NATS (alert service), →
   * webhook received (dispatcher). Events a hop was not seen for are left out.
   */
  stages: { toStored: number[]; toCondition: number[]; toEvent: number[]; toWebhook: number[] };
  /** Each received expected event with the wall-clock time of every hop (0: not seen), for tracing. */
  timeline: EventTimeline[];
}

export interface EventTimeline {
  device: string;
  transition: AlertTransition;
  at: number;
  ackAt: number;
  conditionAt: number;
  eventAt: number;
  receivedAt: number;
}

/**
 * Matches what the receiver got for one step's devices against its probes: every probe must have
 * produced exactly `fired` then `resolved`, each stamped with the source time of the reading that
 * decided it, each delivered once.
 */
export function checkProbes(
  probes: readonly ProbeRecord[],
  received: readonly ReceivedAlert[],
  requests: ReadonlyMap<string, number>,
  stages: StageTimes,
): ProbeCheck {
  const check: ProbeCheck = {
    expected: probes.length * 2,
    received: 0,
    missing: [],
    unexpected: [],
    duplicates: 0,
    latencies: [],
    stages: { toStored: [], toCondition: [], toEvent: [], toWebhook: [] },
    timeline: [],
  };
  const byDevice = new Map<string, ReceivedAlert[]>();
  for (const r of received) {
    byDevice.set(r.event.device, [...(byDevice.get(r.event.device) ?? []), r]);
    check.duplicates += Math.max(0, (requests.get(r.event.id) ?? 1) - 1);
  }
  for (const probe of probes) {
    const got = byDevice.get(probe.device) ?? [];
    byDevice.delete(probe.device);
    const wanted: [AlertTransition, number, number][] = [
      ["fired", probe.firedTs, probe.firedAckAt],
      ["resolved", probe.resolvedTs, probe.resolvedAckAt],
    ];
    for (const [transition, at, ackAt] of wanted) {
      const i = got.findIndex((r) => r.event.transition === transition && r.event.at === at);
      if (i < 0) {
        check.missing.push(`${probe.device} ${transition}`);
        continue;
      }
      const [hit] = got.splice(i, 1) as [ReceivedAlert];
      check.received++;
      check.latencies.push(hit.receivedAt - at);
      const condition = stages.conditions.get(`${probe.device}@${at}`);
      const event = stages.events.get(hit.event.id);
      check.timeline.push({
        device: probe.device,
        transition,
        at,
        ackAt,
        conditionAt: condition ?? 0,
        eventAt: event ?? 0,
        receivedAt: hit.receivedAt,
      });
      if (ackAt > 0 && condition !== undefined && event !== undefined) {
        check.stages.toStored.push(ackAt - at);
        check.stages.toCondition.push(condition - ackAt);
        check.stages.toEvent.push(event - condition);
        check.stages.toWebhook.push(hit.receivedAt - event);
      }
    }
    for (const r of got) check.unexpected.push(`${r.event.device} ${r.event.transition}@${r.event.at}`);
  }
  for (const rest of byDevice.values()) {
    for (const r of rest) check.unexpected.push(`${r.event.device} ${r.event.transition}@${r.event.at}`);
  }
  return check;
}
