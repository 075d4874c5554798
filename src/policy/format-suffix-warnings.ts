import type { AccessRule, Allow } from "../config/access-policy";
import type { AccessPolicy } from "../config/policy-checks";
import { accessDecision } from "./access-decision";

/** The suffix checked for each rule: every `.ext` falls to the same rule as `.json` unless a rule names it. */
const SUFFIX = ".json";

const within = (inner: ReadonlySet<string>, outer: ReadonlySet<string>) => [...inner].every((item) => outer.has(item));

/** True when everyone `inner` admits, `outer` admits too (by the same entries: a sufficient test). */
function admitsNoMoreThan(inner: Allow, outer: Allow): boolean {
  if (inner.anyVerifiedEmail && !outer.anyVerifiedEmail) return false;
  const domainsWithin = outer.anyVerifiedEmail || within(inner.domains, outer.domains);
  const listsWithin = within(inner.emails, outer.emails) && within(inner.groups, outer.groups);
  return domainsWithin && listsWithin && within(inner.workloads, outer.workloads);
}

/**
 * Warnings for `npm run check` (not problems: many origins have no format suffixes). Rails and
 * other frameworks read `/admin.json` as `/admin` in another format; the worker does not (a dot
 * is part of a file name: `/assets/app.js` is no variant of `/assets/app`), so that path falls to
 * whatever rule decides its parent. One warning per rule whose path's `.json` variant falls to a
 * rule that admits someone it does not, or is public.
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
    const looser = decisions.find((decision) => looserThan(decision, allow));
    if (!looser) continue;
    const by = looser.public ? "public" : `decided by ${looser.rules.map((other) => other.label).join(" and ")}`;
    const fix = `add a rule for "${variant}" with the same "allow", or turn such suffixes off at the origin`;
    const why = `an origin that reads a ".json" (or any ".ext") suffix as a format (Rails) serves ${path} there`;
    warnings.push(`${rule.label}: "${variant}" is ${by}, which lets in people this rule does not; ${why}: ${fix}`);
  }
  return warnings;
}

function looserThan(decision: ReturnType<typeof accessDecision>, allow: Allow): boolean {
  if (decision.public) return true;
  return !decision.rules.some((other: AccessRule) => other.allow !== "public" && admitsNoMoreThan(other.allow, allow));
}
