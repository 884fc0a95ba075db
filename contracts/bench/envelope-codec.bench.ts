/**
 * `npm run bench:envelope`: decoding an envelope as JSON against the same envelope binary (what the
 * gateway writes into packs), and the gateway's cost of encoding it, for a smart meter's message
 * (3 readings) and an edge agent's (100 readings). Validation included: `tryDecodeEnvelope` on both.
 * JSON is decoded by the one-pass reader, next to `JSON.parse` and the check it replaces.
 * Prints medians of 7 rounds, each over 1,000 distinct envelopes.
 */
import { isValidEnvelope } from "../src/envelope-check.ts";
import { type Envelope, encodeBinaryEnvelope, encodeEnvelope, tryDecodeEnvelope } from "../src/index.ts";

const METERS = [
  ["power", "kW"],
  ["voltage", "V"],
  ["current", "A"],
] as const;

function meter(seq: number): Envelope {
  const m = `meter-${seq % 200}`;
  return {
    v: 1,
    site: "meters-3",
    gateway: m,
    device: m,
    bootId: "b-1a2b3c",
    seq,
    readings: METERS.map(([metric, unit], r) => ({
      metric,
      ts: 1_767_600_000_000 + seq * 1_000 + r,
      value: (seq % 1_000) + r * 0.5,
      unit,
      quality: "good" as const,
    })),
  };
}

function agent(seq: number): Envelope {
  return {
    v: 1,
    site: "mine-1",
    gateway: "gw-1",
    device: `dust-${seq % 4}`,
    bootId: "b-1a2b3c",
    seq,
    readings: Array.from({ length: 100 }, (_, r) => ({
      metric: `pm${r % 10}`,
      ts: 1_767_600_000_000 + seq * 100_000 + r * 1_000,
      value: ((seq * 7_919 + r * 104_729) % 100_000) / 100,
      unit: "µg/m³",
      quality: "good" as const,
    })),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

/** µs per call, median of 7 rounds of `n` calls. */
function time(n: number, call: (i: number) => unknown): number {
  const rounds: number[] = [];
  for (let round = 0; round < 8; round++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) call(i % 1_000);
    if (round > 0) rounds.push(((performance.now() - t0) * 1_000) / n); // the first warms the JIT
  }
  return median(rounds);
}

const rows: string[] = [];
for (const [name, make, n] of [
  ["meter, 3 readings", meter, 200_000],
  ["agent, 100 readings", agent, 5_000],
] as const) {
  const envelopes = Array.from({ length: 1_000 }, (_, i) => make(i));
  const json = envelopes.map(encodeEnvelope);
  const binary = envelopes.map(encodeBinaryEnvelope);
  for (const [i, bytes] of binary.entries()) {
    const back = tryDecodeEnvelope(bytes);
    if (!back.ok || JSON.stringify(back.envelope) !== JSON.stringify(envelopes[i])) {
      throw new Error(`${name} ${i}: the binary envelope does not decode to the envelope encoded`);
    }
  }
  const decode = (payloads: Uint8Array[]) => (i: number) => {
    if (!tryDecodeEnvelope(payloads[i] as Uint8Array).ok) throw new Error(`${name} ${i} did not decode`);
  };
  const jsonUs = time(n, decode(json));
  // What decoding JSON cost before the one-pass reader, and what it still costs on the rare forms.
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const parseUs = time(n, (i) => {
    if (!isValidEnvelope(JSON.parse(utf8.decode(json[i] as Uint8Array)))) throw new Error(`${name} ${i} did not parse`);
  });
  const binaryUs = time(n, decode(binary));
  const encodeUs = time(n, (i) => encodeBinaryEnvelope(envelopes[i] as Envelope));
  rows.push(
    `| ${name} | ${json[0]?.length} | ${binary[0]?.length} | ${parseUs.toFixed(2)} | ${jsonUs.toFixed(2)} | ${binaryUs.toFixed(2)} | ${(jsonUs / binaryUs).toFixed(1)}× | ${encodeUs.toFixed(2)} |`,
  );
}
console.log("\nbench:envelope — tryDecodeEnvelope (validation included), medians of 7 rounds\n");
console.log(
  "| envelope | JSON bytes | binary bytes | JSON.parse + check µs | JSON decode µs | binary decode µs | JSON ÷ binary | binary encode µs |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
