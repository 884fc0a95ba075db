// Validation of the BATADAL detector on dataset03 alone (no dataset04): for each quarter of the year, train on the
// other three, write synthetic attacks (level offsets, forced pumps, changed switching levels; 6 per quarter,
// 24–96 h each) into the held-out quarter with 12 seeds, and score it, with the control term (the defaults) and
// without it (ruleWeight 0). The figures the README quotes for the control term come from this script.
//   npm run eval:batadal [-- --data DIR]
// DIR holds BATADAL_dataset03.csv (or .csv.gz); default ../shared/data/batadal, else the bundled copy.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  type BatadalModel,
  batadalFile,
  DEFAULT_FEATURE_SPEC,
  readBatadalCsv,
  scoreBatadal,
  scoreRows,
  trainBatadalOnSeries,
} from "../src/index.ts";
import {
  SYNTHETIC_ATTACK_KINDS,
  type SyntheticAttackKind,
  syntheticContext,
  withSyntheticAttacks,
} from "./synthetic-attacks.ts";

const SEEDS = Array.from({ length: 12 }, (_, i) => i + 1);
const QUARTERS = [0, 1, 2, 3] as const;
/**
 * Q3 starts at day 273 (the first split of the research this reproduces) rather than at ⌊n/4⌋·3: it is 18 hours
 * longer than the others and shares its first 18 hours with Q2. Kept so that the seeds place the same attacks.
 */
const Q3_START = 273 * 24;

const VARIANTS = [
  { name: "without", options: { ruleWeight: 0 } },
  { name: "with", options: {} },
] as const;
type VariantName = (typeof VARIANTS)[number]["name"];

interface QuarterFigures {
  s: number;
  sTtd: number;
  tpr: number;
  tnr: number;
  /** TNR of the held-out quarter without attacks. */
  cleanTnr: number;
  missed: number;
  attacks: number;
  detectedByKind: Map<SyntheticAttackKind, { detected: number; attacks: number }>;
}

/** Rows [start, end) of quarter q of an n-hour year. */
function quarterRows(q: number, n: number): [number, number] {
  const size = Math.floor(n / 4);
  return q === 3 ? [Q3_START, n] : [q * size, (q + 1) * size];
}

const mean = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

/** Mean figures over the seeds of one model on one held-out quarter. */
function scoreQuarter(model: BatadalModel, training: Float64Array[], held: Float64Array[]): QuarterFigures {
  const context = syntheticContext(training);
  const clean = scoreBatadal(new Uint8Array(held.length), scoreRows(model, held).predictions);
  const perSeed: { s: number; sTtd: number; tpr: number; tnr: number }[] = [];
  const detectedByKind = new Map(SYNTHETIC_ATTACK_KINDS.map((kind) => [kind, { detected: 0, attacks: 0 }]));
  let missed = 0;
  let attacks = 0;
  for (const seed of SEEDS) {
    const attacked = withSyntheticAttacks(held, context, seed);
    const score = scoreBatadal(attacked.labels, scoreRows(model, attacked.rows).predictions);
    perSeed.push(score);
    attacked.attacks.forEach((attack, i) => {
      const detection = score.attacks[i];
      if (detection?.start !== attack.start) throw new Error(`seed ${seed}: attack ${i} is not a run of its own`);
      const tally = detectedByKind.get(attack.kind) as { detected: number; attacks: number };
      tally.attacks++;
      attacks++;
      if (detection.detected) tally.detected++;
      else missed++;
    });
  }
  return {
    s: mean(perSeed.map((f) => f.s)),
    sTtd: mean(perSeed.map((f) => f.sTtd)),
    tpr: mean(perSeed.map((f) => f.tpr)),
    tnr: mean(perSeed.map((f) => f.tnr)),
    cleanTnr: clean.tnr,
    missed,
    attacks,
    detectedByKind,
  };
}

type Results = Map<VariantName, QuarterFigures[]>;

function evaluate(rows: Float64Array[]): Results {
  const results: Results = new Map(VARIANTS.map(({ name }) => [name, []]));
  for (const q of QUARTERS) {
    const [start, end] = quarterRows(q, rows.length);
    // The training rows before and after the held-out quarter are two series: no step spans the gap.
    const series = [rows.slice(0, start), rows.slice(end)].filter((part) => part.length > 0);
    const held = rows.slice(start, end);
    for (const { name, options } of VARIANTS) {
      const model = trainBatadalOnSeries(series, options);
      results.get(name)?.push(scoreQuarter(model, series.flat(), held));
    }
  }
  return results;
}

const f4 = (x: number): string => x.toFixed(4);

function printTables(results: Results): void {
  const without = results.get("without") as QuarterFigures[];
  const withRules = results.get("with") as QuarterFigures[];
  console.log("| held-out quarter | S without | S with | missed without | missed with | TNR without | TNR with |");
  console.log("| ---------------- | --------- | ------ | -------------- | ----------- | ----------- | -------- |");
  QUARTERS.forEach((q, i) => {
    const [a, b] = [without[i] as QuarterFigures, withRules[i] as QuarterFigures];
    console.log(
      `| Q${q} | ${f4(a.s)} | ${f4(b.s)} | ${a.missed}/${a.attacks} | ${b.missed}/${b.attacks} | ${f4(a.tnr)} | ${f4(b.tnr)} |`,
    );
  });
  const total = (figures: QuarterFigures[], key: "missed" | "attacks") => figures.reduce((sum, f) => sum + f[key], 0);
  const meanOf = (figures: QuarterFigures[], key: "s" | "tnr") => f4(mean(figures.map((f) => f[key])));
  console.log(
    `| mean | **${meanOf(without, "s")}** | **${meanOf(withRules, "s")}** | ${total(without, "missed")}/${total(without, "attacks")} | ${total(withRules, "missed")}/${total(withRules, "attacks")} | ${meanOf(without, "tnr")} | ${meanOf(withRules, "tnr")} |`,
  );
  console.log("\n| attack kind | attacks | detected without | detected with |");
  console.log("| ----------- | ------- | ---------------- | ------------- |");
  for (const kind of SYNTHETIC_ATTACK_KINDS) {
    const tally = (figures: QuarterFigures[]) => {
      const counts = figures.map((f) => f.detectedByKind.get(kind) ?? { detected: 0, attacks: 0 });
      return {
        detected: counts.reduce((s, c) => s + c.detected, 0),
        attacks: counts.reduce((s, c) => s + c.attacks, 0),
      };
    };
    const [a, b] = [tally(without), tally(withRules)];
    const share = (t: { detected: number; attacks: number }) =>
      `${t.detected} (${((100 * t.detected) / t.attacks).toFixed(1)} %)`;
    console.log(`| ${kind} | ${a.attacks} | ${share(a)} | ${share(b)} |`);
  }
  console.log(
    "\nwithout → with the control term: S_TTD and TPR (mean over the seeds), TNR of the quarter without attacks:",
  );
  QUARTERS.forEach((q, i) => {
    const [a, b] = [without[i] as QuarterFigures, withRules[i] as QuarterFigures];
    console.log(
      `  Q${q}: S_TTD ${f4(a.sTtd)} → ${f4(b.sTtd)}, TPR ${f4(a.tpr)} → ${f4(b.tpr)}, clean TNR ${f4(a.cleanTnr)} → ${f4(b.cleanTnr)}`,
    );
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: "string", default: "../shared/data/batadal" } } });
  const file = batadalFile("03", resolve(values.data));
  const table = await readBatadalCsv(file);
  // At the detector's resolution from the start, so that the attacks see the values the detector sees.
  const decimals = DEFAULT_FEATURE_SPEC.decimals;
  const rows = table.rows.map((row) =>
    Float64Array.from(row.readings, (x) => Math.round(x * 10 ** decimals) / 10 ** decimals),
  );
  const started = performance.now();
  const results = evaluate(rows);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${file}: ${rows.length} hours; 4 held-out quarters × ${SEEDS.length} seeds × 6 attacks; ${seconds} s\n`);
  printTables(results);
}

await main();
