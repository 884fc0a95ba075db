import type { AlertEvent } from "@lifeline/contracts";
import { describe, expect, it } from "vitest";
import { WEBHOOK_DOCS } from "../src/route-docs.ts";
import {
  alertmanagerPayload,
  alertmanagerStatus,
  labelsFingerprint,
  lifelinePayload,
  renderPayload,
  rfc3339,
} from "../src/webhooks/alert-payload.ts";

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const ALERT = "5f0c1e2d3b4a59687766a1b2";

const fired: AlertEvent = {
  v: 1,
  id: `${ALERT}-1`,
  alertId: ALERT,
  key: "pm10-high/mine-7/dust-01",
  seq: 1,
  rule: "pm10-high",
  site: "mine-7",
  device: "dust-01",
  kind: "threshold",
  metric: "pm10",
  transition: "fired",
  state: "firing",
  level: "II",
  at: T0 + 250,
  firedAt: T0 + 250,
  value: 3.2,
  summary: "PM10 3.2 mg/m3 above 2 mg/m3",
  evidence: { values: { pm10: 3.2 }, threshold: 2 },
  silenced: false,
  flapping: false,
};

const resolved: AlertEvent = {
  ...fired,
  id: `${ALERT}-3`,
  seq: 3,
  transition: "resolved",
  state: "resolved",
  at: T0 + 600_000,
  resolvedAt: T0 + 600_000,
  value: 1.1,
  summary: "PM10 back under 2 mg/m3",
  evidence: { values: { pm10: 1.1 }, threshold: 2 },
};

const LABELS = {
  alertname: "pm10-high",
  device: "dust-01",
  kind: "threshold",
  level_colour: "orange",
  metric: "pm10",
  severity: "II",
  site: "mine-7",
};

const escalated: AlertEvent = {
  ...fired,
  id: `${ALERT}-2`,
  seq: 2,
  transition: "escalated",
  level: "I",
};
const acknowledged: AlertEvent = {
  ...escalated,
  id: `${ALERT}-4`,
  seq: 4,
  transition: "acknowledged",
  state: "acknowledged",
  by: "li.wei",
  note: "crew on the way",
};

describe("Alertmanager payload", () => {
  it("is Prometheus' label fingerprint (prometheus/common signature_test.go vectors)", () => {
    expect(labelsFingerprint({})).toBe("cbf29ce484222325"); // 14695981039346656037
    expect(labelsFingerprint({ name: "garland, briggs", fear: "love is not enough" })).toBe("507a62d79ee76c9a"); // 5799056148416392346
  });

  it("writes RFC 3339 times as Go does (trailing zeros of the fraction dropped)", () => {
    expect(rfc3339(T0)).toBe("2026-01-05T08:00:00Z");
    expect(rfc3339(T0 + 250)).toBe("2026-01-05T08:00:00.25Z");
    expect(rfc3339(T0 + 123)).toBe("2026-01-05T08:00:00.123Z");
  });

  it("maps the alert's state to firing or resolved", () => {
    expect(alertmanagerStatus("firing")).toBe("firing");
    expect(alertmanagerStatus("acknowledged")).toBe("firing");
    expect(alertmanagerStatus("resolved")).toBe("resolved");
    expect(alertmanagerStatus("closed")).toBe("resolved");
  });

  it("renders a fired event exactly, keys in Go's order", () => {
    const annotations = {
      description: "fired at level II (orange); rule pm10-high (threshold) on mine-7/dust-01; pm10 = 3.2; threshold 2",
      summary: "PM10 3.2 mg/m3 above 2 mg/m3",
    };
    const expected = {
      receiver: "command-center",
      status: "firing",
      alerts: [
        {
          status: "firing",
          labels: LABELS,
          annotations,
          startsAt: "2026-01-05T08:00:00.25Z",
          endsAt: "0001-01-01T00:00:00Z",
          generatorURL: `https://lifeline.example.org/v1/alerts/${ALERT}`,
          fingerprint: "fa859350e5d8e8d4",
        },
      ],
      groupLabels: { alertname: "pm10-high", device: "dust-01", site: "mine-7" },
      commonLabels: LABELS,
      commonAnnotations: annotations,
      externalURL: "https://lifeline.example.org",
      version: "4",
      groupKey: '{}:{alertname="pm10-high", device="dust-01", site="mine-7"}',
      truncatedAlerts: 0,
    };
    const payload = alertmanagerPayload(fired, {
      receiver: "command-center",
      externalUrl: "https://lifeline.example.org/",
    });
    expect(JSON.stringify(payload)).toBe(JSON.stringify(expected));
  });

  it("renders a resolved event exactly; the fingerprint is the fired one's", () => {
    const annotations = {
      description:
        "resolved at level II (orange); rule pm10-high (threshold) on mine-7/dust-01; pm10 = 1.1; threshold 2",
      summary: "PM10 back under 2 mg/m3",
    };
    const expected = {
      receiver: "command-center",
      status: "resolved",
      alerts: [
        {
          status: "resolved",
          labels: LABELS,
          annotations,
          startsAt: "2026-01-05T08:00:00.25Z",
          endsAt: "2026-01-05T08:10:00Z",
          generatorURL: "",
          fingerprint: "fa859350e5d8e8d4",
        },
      ],
      groupLabels: { alertname: "pm10-high", device: "dust-01", site: "mine-7" },
      commonLabels: LABELS,
      commonAnnotations: annotations,
      externalURL: "",
      version: "4",
      groupKey: '{}:{alertname="pm10-high", device="dust-01", site="mine-7"}',
      truncatedAlerts: 0,
    };
    expect(JSON.stringify(alertmanagerPayload(resolved, { receiver: "command-center" }))).toBe(
      JSON.stringify(expected),
    );
  });

  it("keeps the fingerprint when the alert escalates, and names who acknowledged", () => {
    const a = alertmanagerPayload(escalated, { receiver: "cc" }).alerts[0];
    const b = alertmanagerPayload(acknowledged, { receiver: "cc" }).alerts[0];
    expect(a?.labels.severity).toBe("I");
    expect(a?.labels.level_colour).toBe("red");
    expect(a?.fingerprint).toBe("fa859350e5d8e8d4");
    expect(b?.status).toBe("firing");
    expect(b?.annotations.description).toBe(
      "acknowledged at level I (red); rule pm10-high (threshold) on mine-7/dust-01; pm10 = 3.2; threshold 2; by li.wei: crew on the way",
    );
  });
});

describe("Lifeline payload", () => {
  it("is the event unchanged under version 1", () => {
    expect(lifelinePayload(fired)).toEqual({ version: 1, event: fired });
    expect(renderPayload("lifeline", resolved, { receiver: "cc" })).toEqual({ version: 1, event: resolved });
    expect(renderPayload("alertmanager", resolved, { receiver: "cc" })).toEqual(
      alertmanagerPayload(resolved, { receiver: "cc" }),
    );
  });
});

describe("the OpenAPI document's webhook", () => {
  const [hook] = WEBHOOK_DOCS;
  const [lifeline, alertmanager] = hook?.bodies ?? [];

  it("describes every body sent, in both formats", () => {
    for (const event of [fired, escalated, acknowledged, resolved]) {
      const options = { receiver: "command-center", externalUrl: "https://lifeline.example.org" };
      expect(lifeline?.safeParse(JSON.parse(JSON.stringify(renderPayload("lifeline", event, options)))).error).toBe(
        undefined,
      );
      const message = JSON.parse(JSON.stringify(renderPayload("alertmanager", event, options)));
      expect(alertmanager?.safeParse(message).error).toBe(undefined);
      expect(lifeline?.safeParse(message).success).toBe(false);
    }
  });

  it("is strict: a field it does not name is a difference", () => {
    const body = { version: 1, event: { ...fired, colour: "orange" } };
    expect(lifeline?.safeParse(body).error?.issues[0]).toMatchObject({ code: "unrecognized_keys", keys: ["colour"] });
  });
});
