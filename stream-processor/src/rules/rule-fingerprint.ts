import type { AlertRule } from "@lifeline/contracts";

/** Fields that do not change how a rule judges: editing them keeps the rule's state. */
const COSMETIC = new Set(["name", "description"]);

/**
 * What a rule judges by, as canonical JSON (keys sorted, cosmetic fields left out): two rules with
 * the same fingerprint decide the same, so a hot reload keeps the state of such a rule.
 */
export function ruleFingerprint(rule: AlertRule): string {
  return canonical(rule, true);
}

function canonical(value: unknown, top = false): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([k, v]) => v !== undefined && !(top && COSMETIC.has(k)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
