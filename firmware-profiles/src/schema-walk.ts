import type { z } from "zod";

/** The parts of zod 4's schema definitions this walk reads (zod's `_zod.def`). */
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "catch", "readonly", "nonoptional"]);

/** The schema under optional/default/pipe/lazy wrappers: what actually checks the value. */
function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 32; i++) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType !== undefined) current = def.innerType;
    else if (def.type === "pipe" && def.in !== undefined) current = def.in;
    else if (def.type === "lazy" && def.getter !== undefined) current = def.getter();
    else break;
  }
  return current;
}

/** Keys of an object schema, or of every option of a union of objects. */
function keysOf(schema: z.ZodType): string[] {
  const def = defOf(unwrapSchema(schema));
  if (def.shape !== undefined) return Object.keys(def.shape);
  return [...new Set((def.options ?? []).flatMap(keysOf))];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The option of a union that `value` was meant for: for a discriminated union the one its
 * discriminator names; otherwise the object option that knows most of the value's keys.
 */
export function unionOptionFor(schema: z.ZodType, value: unknown): { index: number; option: z.ZodType } | undefined {
  const def = defOf(unwrapSchema(schema));
  const options = def.options;
  if (options === undefined || options.length === 0) return undefined;
  if (def.discriminator !== undefined && isRecord(value)) {
    const wanted = value[def.discriminator];
    const index = options.findIndex((o) => {
      const values = (o as unknown as { _zod: { propValues?: Record<string, Set<unknown>> } })._zod.propValues;
      return values?.[def.discriminator as string]?.has(wanted) ?? false;
    });
    if (index >= 0) return { index, option: options[index] as z.ZodType };
  }
  const keys = isRecord(value) ? Object.keys(value) : [];
  let best = 0;
  let bestScore = -1;
  options.forEach((option, index) => {
    const known = new Set(keysOf(option));
    const score = keys.filter((k) => known.has(k)).length - keys.filter((k) => !known.has(k)).length;
    if (score > bestScore) {
      best = index;
      bestScore = score;
    }
  });
  return { index: best, option: options[best] as z.ZodType };
}

/** The schema that checks the value at `path` of `root`, following unions by the data. */
export function schemaAt(schema: z.ZodType, path: readonly PropertyKey[], root: unknown): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  let value: unknown = root;
  for (const key of path) {
    if (current === undefined) return undefined;
    current = resolveUnion(unwrapSchema(current), value);
    const def = defOf(current);
    if (def.shape !== undefined) current = def.shape[String(key)];
    else if (def.type === "array") current = def.element;
    else if (def.type === "record") current = def.valueType;
    else return undefined;
    value =
      isRecord(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[key as string] : undefined;
  }
  return current === undefined ? undefined : resolveUnion(unwrapSchema(current), value);
}

function resolveUnion(schema: z.ZodType, value: unknown): z.ZodType {
  let current = schema;
  for (let i = 0; i < 8 && defOf(current).type === "union"; i++) {
    const chosen = unionOptionFor(current, value);
    if (chosen === undefined) break;
    current = unwrapSchema(chosen.option);
  }
  return current;
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (!(isRecord(value) || Array.isArray(value))) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key as string];
  }
  return value;
}
