/** `512MiB`, `1.5 GiB`, `64MB`, `1048576`: binary (Ki, Mi, Gi, Ti = 1024^n) and decimal (k, M, G, T = 1000^n) units. */
export const BYTE_SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(B|[kK]B|KiB|MB|MiB|GB|GiB|TB|TiB)?$/;

const FACTORS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  KiB: 1024,
  MB: 1e6,
  MiB: 1024 ** 2,
  GB: 1e9,
  GiB: 1024 ** 3,
  TB: 1e12,
  TiB: 1024 ** 4,
};

/** Bytes of a size written as a number or with a unit; undefined when it is neither. */
export function parseByteSize(size: number | string): number | undefined {
  if (typeof size === "number") return Number.isSafeInteger(size) ? size : undefined;
  const match = BYTE_SIZE_PATTERN.exec(size.trim());
  if (match === null) return undefined;
  return Math.floor(Number(match[1]) * (FACTORS[match[2] ?? "B"] ?? 1));
}

/** `536870912` → `512MiB`: the largest binary unit that divides it, for messages. */
export function formatByteSize(bytes: number): string {
  for (const unit of ["TiB", "GiB", "MiB", "KiB"] as const) {
    const factor = FACTORS[unit] as number;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes}B`;
}
