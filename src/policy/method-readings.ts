import type { AccessRule } from "../config/access-policy";
import type { AccessPolicy } from "../config/policy-checks";
import { accessDecision, type AccessDecision } from "./access-decision";

/**
 * A method no rule names: the rules that decide it are those without `methods`, as for any method
 * the policy does not mention.
 */
const UNNAMED_METHOD = "";

/** Every method some rule names, plus one it does not: a request read as any method meets these rules. */
function everyMethod(policy: AccessPolicy): string[] {
  const methods = new Set<string>([UNNAMED_METHOD]);
  for (const rule of policy.rules) for (const method of rule.methods ?? []) methods.add(method);
  return [...methods];
}

/** One decision for a request several methods may read: public only if public under each, else every rule of each. */
function decisionUnder(policy: AccessPolicy, pathname: string, methods: Iterable<string>): AccessDecision {
  const rules: AccessRule[] = [];
  let isPublic = true;
  for (const method of methods) {
    const decision = accessDecision(policy, pathname, method);
    if (decision.public) continue;
    isPublic = false;
    for (const rule of decision.rules) if (!rules.includes(rule)) rules.push(rule);
  }
  return isPublic ? { public: true } : { public: false, rules };
}

const sameDecision = (a: AccessDecision, b: AccessDecision) =>
  a.public === b.public &&
  (a.public || (!b.public && a.rules.length === b.rules.length && a.rules.every((rule) => b.rules.includes(rule))));

/**
 * Whether the method a request is read as can change who may pass on this path: false when its
 * decision is the same under every method (no rule with `methods` decides any of its readings), so
 * nothing needs to be read to find out which method an origin will act on.
 */
export function methodMatters(policy: AccessPolicy, pathname: string, method: string): boolean {
  if (!policy.rules.some((rule) => rule.methods)) return false;
  return !sameDecision(accessDecision(policy, pathname, method), decisionUnder(policy, pathname, everyMethod(policy)));
}

/**
 * The decision for a request sent as `method` that asks its origin, through a method-override
 * parameter, to act as each of `named` (or as any method: "any"): it must pass the rules of each
 * (docs/security.md, "Method overrides").
 */
export function decisionWithOverrides(
  policy: AccessPolicy,
  pathname: string,
  method: string,
  named: ReadonlySet<string> | "any",
): AccessDecision {
  const methods = named === "any" ? everyMethod(policy) : named;
  return decisionUnder(policy, pathname, [method.toUpperCase(), ...methods]);
}
