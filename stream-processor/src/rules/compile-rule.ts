import type { AlertRule } from "@lifeline/contracts";
import { combinedEvaluator } from "./combined-rule.ts";
import { dailyExceedanceEvaluator } from "./daily-exceedance-rule.ts";
import { flatlineEvaluator } from "./flatline-rule.ts";
import { rateEvaluator } from "./rate-rule.ts";
import type { RuleCounters, RuleEvaluator } from "./rule-evaluator.ts";
import { staleEvaluator } from "./stale-rule.ts";
import { thresholdEvaluator } from "./threshold-rule.ts";
import { windowEvaluator } from "./window-rule.ts";

/** The evaluator of a rule, by kind: the registry of rule kinds. */
export function compileRule(rule: AlertRule, counters: RuleCounters): RuleEvaluator {
  switch (rule.kind) {
    case "threshold":
    case "model":
      return thresholdEvaluator(rule);
    case "rate":
      return rateEvaluator(rule);
    case "window":
      return windowEvaluator(rule, counters);
    case "daily-exceedance":
      return dailyExceedanceEvaluator(rule, counters);
    case "stale":
      return staleEvaluator(rule);
    case "flatline":
      return flatlineEvaluator(rule);
    case "combined":
      return combinedEvaluator(rule);
  }
}
