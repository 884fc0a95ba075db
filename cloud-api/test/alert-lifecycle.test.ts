import type { AlertCondition, AlertLevel } from "@lifeline/contracts";
import { describe, expect, it } from "vitest";
import { AlertLifecycle, type LifecycleOutput } from "../src/alerts/alert-lifecycle.ts";

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 30, 2, 0, 0);

const cond = (at: number, level: AlertLevel | null, rule = "pm10-15m", device = "dust-1"): AlertCondition => ({
  rule,
  site: "mine-3",
  device,
  kind: "window",
  level,
  at,
  metric: "pm10",
  value: level === null ? 80 : 180,
  summary: `pm10 ${level ?? "clear"}`,
  evidence: { values: { pm10: level === null ? 80 : 180 } },
});

/** transition/state/level/notify of each output, compact for exact comparison. */
const brief = (outs: readonly LifecycleOutput[]) =>
  outs.map((o) => `${o.event.transition}:${o.event.state}:${o.event.level}:${o.notify ? "sent" : "held"}`);

describe("alert lifecycle", () => {
  it("fires, escalates, acknowledges, resolves and closes one alert with ordered ids", () => {
    const l = new AlertLifecycle({ renotifyEveryMs: 0 });
    const out = [
      ...l.applyCondition(cond(T0, "IV")),
      ...l.applyCondition(cond(T0 + MIN, "II")),
      ...l.applyCondition(cond(T0 + 2 * MIN, "III")),
    ];
    const id = out[0]?.event.alertId as string;
    out.push(l.acknowledge(id, "duty-officer", "crew sent", T0 + 3 * MIN));
    out.push(...l.applyCondition(cond(T0 + 4 * MIN, "I")));
    out.push(l.acknowledge(id, "duty-officer", "red: evacuating", T0 + 5 * MIN));
    out.push(...l.applyCondition(cond(T0 + 6 * MIN, null)));
    out.push(l.close(id, "duty-officer", "watering done", T0 + 7 * MIN));
    expect(brief(out)).toEqual([
      "fired:firing:IV:sent",
      "escalated:firing:II:sent",
      "deescalated:firing:III:sent",
      "acknowledged:acknowledged:III:sent",
      // A higher level needs a new acknowledgement.
      "escalated:firing:I:sent",
      "acknowledged:acknowledged:I:sent",
      "resolved:resolved:I:sent",
      "closed:closed:I:sent",
    ]);
    expect(out.map((o) => o.event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(out.map((o) => o.event.alertId)).size).toBe(1);
    expect(out.map((o) => o.event.id)).toEqual(out.map((_, i) => `${id}-${i + 1}`));
    expect(out[3]?.event).toMatchObject({ by: "duty-officer", note: "crew sent" });
    expect(out[4]?.event.by).toBeUndefined();
    expect(out[6]?.event.resolvedAt).toBe(T0 + 6 * MIN);
    expect(out.every((o) => o.event.firedAt === T0)).toBe(true);
    expect(l.open()).toEqual([]);
  });

  it("ignores a condition not newer than the last one of its key (a replay)", () => {
    const l = new AlertLifecycle();
    expect(l.applyCondition(cond(T0, "III"))).toHaveLength(1);
    expect(l.applyCondition(cond(T0, "III"))).toEqual([]);
    expect(l.applyCondition(cond(T0 - MIN, null))).toEqual([]);
    expect(l.applyCondition(cond(T0 + MIN, null))).toHaveLength(1);
  });

  it("keeps one open alert per key: a condition that returns before closing reopens it", () => {
    const l = new AlertLifecycle({ flapMaxChanges: 100 });
    const a = l.applyCondition(cond(T0, "III"));
    l.applyCondition(cond(T0 + MIN, null));
    const b = l.applyCondition(cond(T0 + 20 * MIN, "III"));
    expect(brief(b)).toEqual(["reopened:firing:III:sent"]);
    expect(b[0]?.event.alertId).toBe(a[0]?.event.alertId);
    expect(b[0]?.event.resolvedAt).toBeUndefined();
    // Another device is another key, another alert.
    const c = l.applyCondition(cond(T0 + 20 * MIN, "III", "pm10-15m", "dust-2"));
    expect(c[0]?.event.alertId).not.toBe(a[0]?.event.alertId);
    // After closing, the next condition opens a new alert.
    const id = a[0]?.event.alertId as string;
    l.applyCondition(cond(T0 + 21 * MIN, null));
    l.close(id, "op", "", T0 + 22 * MIN);
    const d = l.applyCondition(cond(T0 + 30 * MIN, "IV"));
    expect(brief(d)).toEqual(["fired:firing:IV:sent"]);
    expect(d[0]?.event.alertId).not.toBe(id);
    expect(d[0]?.event.seq).toBe(1);
  });

  it("refuses commands on unknown alerts and from states that do not allow them", () => {
    const l = new AlertLifecycle();
    const [fired] = l.applyCondition(cond(T0, "II"));
    const id = fired?.event.alertId as string;
    expect(() => l.acknowledge("nope", "op", "", T0)).toThrow(/no open alert nope/);
    expect(() => l.close(id, "op", "", T0)).toThrow(
      expect.objectContaining({
        code: "ALERT_INVALID_TRANSITION",
        message: `alert ${id} is firing; closed is allowed only from acknowledged or resolved`,
      }),
    );
    l.acknowledge(id, "op", "", T0 + 1);
    expect(() => l.acknowledge(id, "op", "", T0 + 2)).toThrow(
      /is acknowledged; acknowledged is allowed only from firing/,
    );
  });

  it("suppresses notifications while a key flaps and sends the settled state afterwards", () => {
    const l = new AlertLifecycle({ flapWindowMs: 10 * MIN, flapMaxChanges: 4, renotifyEveryMs: 0 });
    const out: LifecycleOutput[] = [];
    // fire, clear, fire, clear, fire, clear within 6 minutes.
    for (let i = 0; i < 6; i++) out.push(...l.applyCondition(cond(T0 + i * MIN, i % 2 === 0 ? "III" : null)));
    expect(brief(out)).toEqual([
      "fired:firing:III:sent",
      "resolved:resolved:III:sent",
      "reopened:firing:III:sent",
      "resolved:resolved:III:held",
      "reopened:firing:III:held",
      "resolved:resolved:III:held",
    ]);
    expect(out.slice(3).every((o) => o.event.flapping)).toBe(true);
    // Still within the window of the last change: nothing.
    expect(l.tick(T0 + 10 * MIN)).toEqual([]);
    // Settled: subscribers last heard "firing", it is resolved — they are told once.
    const settled = l.tick(T0 + 16 * MIN);
    expect(brief(settled)).toEqual(["renotified:resolved:III:sent"]);
    expect(l.tick(T0 + 17 * MIN)).toEqual([]);
  });

  it("holds alerts back during a silence and sends what is still firing when it ends", () => {
    const l = new AlertLifecycle({ renotifyEveryMs: 0 });
    l.setSilences([
      {
        id: "s1",
        site: "mine-3",
        device: "dust-1",
        rule: "",
        startsAt: T0,
        endsAt: T0 + 60 * MIN,
        by: "planner",
        comment: "blasting",
        createdAt: T0,
      },
    ]);
    const a = l.applyCondition(cond(T0 + MIN, "II"));
    const other = l.applyCondition(cond(T0 + MIN, "II", "pm10-15m", "dust-2"));
    expect(brief(a)).toEqual(["fired:firing:II:held"]);
    expect(a[0]?.event.silenced).toBe(true);
    expect(brief(other)).toEqual(["fired:firing:II:sent"]);
    // A silenced alert that fired and resolved in the window is never announced.
    const b = l.applyCondition(cond(T0 + MIN, "III", "tsp-1h"));
    l.applyCondition(cond(T0 + 2 * MIN, null, "tsp-1h"));
    expect(brief(b)).toEqual(["fired:firing:III:held"]);
    expect(l.tick(T0 + 30 * MIN)).toEqual([]);
    const after = l.tick(T0 + 60 * MIN);
    expect(brief(after)).toEqual(["renotified:firing:II:sent"]);
    expect(after[0]?.event.device).toBe("dust-1");
    expect(after[0]?.event.silenced).toBe(false);
  });

  it("re-notifies an unacknowledged firing alert on schedule, not an acknowledged one", () => {
    const l = new AlertLifecycle({ renotifyEveryMs: 30 * MIN });
    const [a] = l.applyCondition(cond(T0, "II"));
    l.applyCondition(cond(T0, "IV", "pm10-15m", "dust-2"));
    expect(l.tick(T0 + 29 * MIN)).toEqual([]);
    const due = l.tick(T0 + 30 * MIN);
    expect(brief(due)).toEqual(["renotified:firing:II:sent", "renotified:firing:IV:sent"]);
    l.acknowledge(a?.event.alertId as string, "op", "", T0 + 31 * MIN);
    expect(brief(l.tick(T0 + 61 * MIN))).toEqual(["renotified:firing:IV:sent"]);
  });

  it("restores from stored transitions: replays are ignored and the alert continues", () => {
    const first = new AlertLifecycle();
    const stored = [...first.applyCondition(cond(T0, "III")), ...first.applyCondition(cond(T0 + MIN, "II"))];
    const last = stored[stored.length - 1] as LifecycleOutput;
    const l = new AlertLifecycle({}, [{ event: last.event, conditionAt: last.conditionAt }]);
    expect(l.applyCondition(cond(T0 + MIN, "II"))).toEqual([]);
    const next = l.applyCondition(cond(T0 + 2 * MIN, null));
    expect(brief(next)).toEqual(["resolved:resolved:II:sent"]);
    expect(next[0]?.event.seq).toBe(3);
    expect(next[0]?.event.alertId).toBe(last.event.alertId);
  });

  it("tells subscribers of an end they did not hear: a close held back while flapping is sent at the next tick", () => {
    const l = new AlertLifecycle({ flapWindowMs: 10 * MIN, flapMaxChanges: 4, renotifyEveryMs: 0 });
    const out: LifecycleOutput[] = [];
    for (let i = 0; i < 4; i++) out.push(...l.applyCondition(cond(T0 + i * MIN, i % 2 === 0 ? "III" : null)));
    const id = out[0]?.event.alertId as string;
    out.push(l.close(id, "op", "sensor replaced", T0 + 5 * MIN));
    expect(brief(out)).toEqual([
      "fired:firing:III:sent",
      "resolved:resolved:III:sent",
      "reopened:firing:III:sent",
      "resolved:resolved:III:held",
      "closed:closed:III:held",
    ]);
    // A close ends the flap history: the end is sent at once, and once.
    expect(brief(l.tick(T0 + 6 * MIN))).toEqual(["renotified:closed:III:sent"]);
    expect(l.tick(T0 + 30 * MIN)).toEqual([]);
    // The next alert of the key starts with a clean history.
    expect(brief(l.applyCondition(cond(T0 + 31 * MIN, "IV")))).toEqual(["fired:firing:IV:sent"]);
  });

  it("sends an acknowledgement held back by a silence when the silence ends", () => {
    const l = new AlertLifecycle({ renotifyEveryMs: 0 });
    const [fired] = l.applyCondition(cond(T0, "II"));
    l.setSilences([
      {
        id: "s",
        site: "mine-3",
        device: "",
        rule: "",
        startsAt: T0 + MIN,
        endsAt: T0 + 10 * MIN,
        by: "p",
        comment: "",
        createdAt: T0,
      },
    ]);
    const ack = l.acknowledge(fired?.event.alertId as string, "op", "on it", T0 + 2 * MIN);
    expect(brief([ack])).toEqual(["acknowledged:acknowledged:II:held"]);
    expect(l.tick(T0 + 9 * MIN)).toEqual([]);
    expect(brief(l.tick(T0 + 10 * MIN))).toEqual(["renotified:acknowledged:II:sent"]);
  });
});
