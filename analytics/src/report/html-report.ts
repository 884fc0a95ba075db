/** One panel of the report: a score over time against its threshold, labels and detections. */
export interface ReportPanel {
  title: string;
  /** Source times, ms since the epoch, ascending. */
  ts: readonly number[];
  score: readonly number[];
  threshold?: number | undefined;
  /** 1 where the truth says anomaly/attack/incident, 0 where normal, -1 where unknown. */
  labels?: readonly number[] | undefined;
  /** 1 where the model raised an alarm. */
  predictions?: readonly number[] | undefined;
  unit?: string | undefined;
}

export interface Report {
  title: string;
  /** Free text under the title: what was trained on what, with which command. */
  summary: string;
  /** Figures shown as a table (name → value). */
  metrics: Readonly<Record<string, string | number>>;
  panels: readonly ReportPanel[];
  /** When the report was written (ms); given, not read from the clock, so that it is reproducible. */
  generatedAt: number;
}

const WIDTH = 1100;
const HEIGHT = 260;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

/** Runs of consecutive indexes where `flags[i] === value`, as [first, last] pairs. */
function runs(flags: readonly number[], value: number): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  flags.forEach((f, i) => {
    if (f === value && start < 0) start = i;
    if (f !== value && start >= 0) {
      out.push([start, i - 1]);
      start = -1;
    }
  });
  if (start >= 0) out.push([start, flags.length - 1]);
  return out;
}

function niceTicks(min: number, max: number, count: number): number[] {
  const span = max - min || 1;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const best = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= count) ?? step * 10;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / best) * best; v <= max + 1e-12; v += best) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const HOUR = 3_600_000;
const TIME_STEPS = [1, 2, 3, 6, 12, 24, 48, 168, 336, 720, 1440].map((h) => h * HOUR);

/** Whole hours, days or weeks (UTC): at most `count` ticks over [t0, t1]. */
function timeTicks(t0: number, t1: number, count: number): number[] {
  const step = TIME_STEPS.find((s) => (t1 - t0) / s <= count) ?? (TIME_STEPS[TIME_STEPS.length - 1] as number);
  const ticks: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) ticks.push(t);
  return ticks;
}

/** One panel as inline SVG: label bands (orange), detections (red strip), score line, threshold (dashed). */
export function panelSvg(p: ReportPanel): string {
  const n = p.ts.length;
  if (n === 0) return `<p>${escapeHtml(p.title)}: no data</p>`;
  const t0 = p.ts[0] as number;
  const t1 = p.ts[n - 1] as number;
  const finite = p.score.filter(Number.isFinite);
  let lo = Math.min(...finite, p.threshold ?? Number.POSITIVE_INFINITY);
  let hi = Math.max(...finite, p.threshold ?? Number.NEGATIVE_INFINITY);
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  const w = WIDTH - PAD.left - PAD.right;
  const h = HEIGHT - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (t1 === t0 ? 0 : ((t - t0) / (t1 - t0)) * w);
  const y = (v: number) => PAD.top + h - ((v - lo) / (hi - lo)) * h;
  const parts: string[] = [];
  for (const [a, b] of runs(p.labels ?? [], 1)) {
    const xa = x(p.ts[a] as number);
    parts.push(
      `<rect x="${xa.toFixed(1)}" y="${PAD.top}" width="${Math.max(1, x(p.ts[b] as number) - xa).toFixed(1)}" height="${h}" fill="#f5a623" opacity="0.25"/>`,
    );
  }
  for (const [a, b] of runs(p.predictions ?? [], 1)) {
    const xa = x(p.ts[a] as number);
    parts.push(
      `<rect x="${xa.toFixed(1)}" y="${PAD.top + h - 6}" width="${Math.max(1, x(p.ts[b] as number) - xa).toFixed(1)}" height="6" fill="#d0021b"/>`,
    );
  }
  const path = p.score
    .map((v, i) => (Number.isFinite(v) ? `${x(p.ts[i] as number).toFixed(1)},${y(v).toFixed(1)}` : ""))
    .filter((s) => s !== "")
    .join(" ");
  parts.push(`<polyline points="${path}" fill="none" stroke="#1f5fa8" stroke-width="1"/>`);
  if (p.threshold !== undefined) {
    const ty = y(p.threshold).toFixed(1);
    parts.push(
      `<line x1="${PAD.left}" x2="${PAD.left + w}" y1="${ty}" y2="${ty}" stroke="#333" stroke-dasharray="4 3"/>`,
    );
  }
  for (const v of niceTicks(lo, hi, 5)) {
    parts.push(`<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${v}</text>`);
  }
  for (const t of timeTicks(t0, t1, 8)) {
    const iso = new Date(t).toISOString();
    const label = t1 - t0 < 3 * 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${HEIGHT - 8}" text-anchor="middle" font-size="11">${label}</text>`);
  }
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  return `<figure><figcaption>${escapeHtml(p.title)}${p.unit ? ` (${escapeHtml(p.unit)})` : ""}</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img">${parts.join("")}</svg></figure>`;
}

/**
 * A self-contained HTML page (inline SVG, no scripts, nothing fetched): people would rather look
 * at a score against the labels than read a table of it.
 */
export function htmlReport(r: Report): string {
  const rows = Object.entries(r.metrics)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:1150px}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}figure{margin:18px 0}figcaption{font-weight:600;margin-bottom:4px}.legend span{margin-right:16px}</style>
</head><body>
<h1>${escapeHtml(r.title)}</h1>
<p>${escapeHtml(r.summary)}</p>
<table>${rows}</table>
<p class="legend"><span style="color:#1f5fa8">━ score</span><span>┅ threshold</span><span style="color:#f5a623">█ labelled</span><span style="color:#d0021b">▁ detected</span></p>
${r.panels.map(panelSvg).join("\n")}
<p><small>Generated ${new Date(r.generatedAt).toISOString()} by Lifeline analytics.</small></p>
</body></html>
`;
}
