import type { Allow } from "../config/access-policy";
import type { AccessPolicy } from "../config/policy-checks";
import { accessDecision, type AccessDecision } from "./access-decision";

/** The suffix checked for each rule: every `.ext` falls to the same rule as `.json` unless a rule names it. */
const SUFFIX = ".json";

/**
 * Who can open a rule's `.json` variant that the rule itself does not let in, when that is
 * anyone at all: everyone (a public rule), or every account with a verified e-mail (`"*"`).
 * A variant that falls to the organisation's own lists (the usual default rule) opens nothing
 * to the outside, so it is not worth a warning on every run.
 */
function openTo(decision: AccessDecision, allow: Allow): string | undefined {
  if (decision.public) return "anyone can open {variant} without signing in: it falls to a public rule";
  const anyAccount = decision.rules.every((rule) => rule.allow !== "public" && rule.allow.anyVerifiedEmail);
  if (!anyAccount || allow.anyVerifiedEmail) return undefined;
  const by = decision.rules.map((rule) => rule.label).join(" and ");
  return `any account with a verified e-mail can open {variant}: it is decided by ${by}, which admits them`;
}

/**
 * Warnings for `npm run check` (not problems: most origins have no format suffixes). Rails and
 * other frameworks read `/admin.json` as `/admin` in another format; the worker does not (a dot
 * is part of a file name: `/assets/app.js` is no variant of `/assets/app`), so that path falls to
 * whatever rule decides its parent. One warning per rule whose path's `.json` variant is open to
 * anyone, or to any account, when the rule itself is not.
 */
export function formatSuffixWarnings(policy: AccessPolicy): string[] {
  const warnings: string[] = [];
  for (const rule of policy.rules) {
    if (rule.allow === "public") continue;
    const { pattern } = rule;
    const path = pattern.kind === "exact" ? pattern.path.replace(/\/$/, "") : pattern.prefix.slice(0, -1);
    if (path === "" || path.endsWith(SUFFIX)) continue;
    const variant = `${path}${SUFFIX}`;
    const allow = rule.allow;
    const decisions = [...(rule.methods ?? ["GET"])].map((method) => accessDecision(policy, variant, method));
    const open = decisions.map((decision) => openTo(decision, allow)).find((who) => who !== undefined);
    if (!open) continue;
    const what = `An origin that reads "${SUFFIX}" as a format, as Rails does, serves ${path} there`;
    const fix = `if yours does, add a rule for "${variant}" with the same "allow", else ignore this`;
    warnings.push(`${rule.label}: ${open.replace("{variant}", `"${variant}"`)}. ${what}; ${fix}.`);
  }
  return warnings;
}
