/** `record[key]` for a key from the wire: own properties only, so `constructor` finds nothing. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
