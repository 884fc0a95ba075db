import { describe, expect, it } from "vitest";
import { htmlReport, panelSvg } from "../src/report/html-report.ts";

const H = 3_600_000;
const T0 = Date.UTC(2016, 8, 13, 0);

describe("html report", () => {
  it("draws score, threshold, labelled runs and detections as inline SVG", () => {
    const svg = panelSvg({
      title: "C-Town <attack> score",
      ts: [0, 1, 2, 3, 4].map((i) => T0 + i * H),
      score: [1, 2, 8, 9, 1],
      threshold: 5,
      labels: [0, 1, 1, 0, 0],
      predictions: [0, 0, 1, 1, 0],
    });
    expect(svg).toContain("C-Town &lt;attack&gt; score");
    // one labelled band (rows 1–2) and one detection strip (rows 2–3)
    expect(svg.match(/fill="#f5a623"/g)).toHaveLength(1);
    expect(svg.match(/fill="#d0021b"/g)).toHaveLength(1);
    // the score's highest point (9) at the top of the plot, the lowest (1) at the bottom
    // x: 56 + i·(1032/4); y: 12 + 220·(1 − (v − 1)/8)
    expect(svg).toContain('points="56.0,232.0 314.0,204.5 572.0,39.5 830.0,12.0 1088.0,232.0"');
    // a span of hours is labelled with hours, not the same date seven times
    expect(svg).toContain(">09-13 01:00<");
    expect(svg).toContain('stroke-dasharray="4 3"');
  });

  it("writes a self-contained page with the metrics", () => {
    const html = htmlReport({
      title: "BATADAL",
      summary: "trained on dataset03",
      metrics: { S: 0.95, S_TTD: 0.96 },
      panels: [],
      generatedAt: T0,
    });
    expect(html).toContain("<tr><th>S</th><td>0.95</td></tr>");
    expect(html).toContain("Generated 2016-09-13T00:00:00.000Z");
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
