/**
 * Optimal string alignment distance: Levenshtein plus the swap of two neighbours, the commonest
 * typing slip (`scael` → `scale` is 1, not 2).
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    const row = d[i] as number[];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate `word` was most likely meant to be, if one is close enough: a case-only difference,
 * or at most a third of the word's letters (at least 1, at most 3) wrong; failing that, the one
 * candidate the word contains.
 */
export function closestMatch(word: string, candidateList: Iterable<string>): string | undefined {
  const candidates = [...candidateList];
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance =
      candidate.toLowerCase() === word.toLowerCase() ? 0.5 : editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (bestDistance <= limit) return best;
  // "holding-register" for "holding": the word contains exactly one candidate.
  const contained = [...candidates].filter((c) => c.length >= 3 && word.toLowerCase().includes(c.toLowerCase()));
  return contained.length === 1 ? contained[0] : undefined;
}
