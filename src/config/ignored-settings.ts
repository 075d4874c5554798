import type { Env } from "../env";
import { parseAccessPolicyRules, ruleLabel } from "./access-policy";
import { jsonVar, list, text } from "./env-values";
import { isObject } from "./json-shapes";
import { DEFAULT_AUTH_PREFIX, isOwnPath, JWKS_PATH } from "./parse-config";
import { isCatchAll } from "./policy-checks";

/** Keys that change nothing on a public rule, and why. */
const IGNORED_ON_PUBLIC: Record<string, string> = {
  preflight: "its preflights pass already",
  websocket: "its sockets carry no session",
};

/**
 * Problems for `npm run check` only: settings the worker runs with but never acts on. Each changes
 * nothing the worker does, so it does not refuse them (nor carry these checks), but whoever wrote
 * one meant something by it. Reads the same bindings as parseConfig; a value parseConfig refuses
 * is left to its own problem.
 */
export function ignoredSettings(env: Env): string[] {
  const problems: string[] = [];
  const written = jsonVar("ACCESS_POLICY", env.ACCESS_POLICY, [])?.value;
  (Array.isArray(written) ? written : []).forEach((rule, index) => {
    if (!isObject(rule) || rule.public !== true) return;
    for (const [key, why] of Object.entries(IGNORED_ON_PUBLIC))
      if (rule[key] !== undefined)
        problems.push(`${ruleLabel(rule, index)}: "${key}" on a public rule changes nothing (${why}); remove it`);
  });

  const rules = parseAccessPolicyRules(env.ACCESS_POLICY, []);
  const authPrefix = text(env, "AUTH_PREFIX", []) ?? DEFAULT_AUTH_PREFIX;
  for (const { label, pattern } of rules) {
    // The worker answers its own routes before any rule is consulted.
    if (isOwnPath(authPrefix, pattern.kind === "exact" ? pattern.path : pattern.prefix))
      problems.push(
        `${label}: never applies: ${authPrefix} and ${JWKS_PATH} are the worker's own routes; remove the rule`,
      );
  }

  const catchAll = rules.find(isCatchAll);
  const allowlists = ["ALLOWED_EMAILS", "ALLOWED_DOMAINS"] as const;
  if (catchAll && allowlists.some((name) => list(text(env, name, [])).length > 0)) {
    problems.push(
      `ALLOWED_EMAILS/ALLOWED_DOMAINS: never decide anything, because ${catchAll.label} covers every path; move them into that rule or empty them`,
    );
  }
  return problems;
}
