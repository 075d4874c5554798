import { admitsNobody, type AccessRule, type Allow } from "./access-policy";
import { fix } from "./fixes";
import { opensWholeSite, type PathPattern } from "./public-paths";

/** The whole policy: every rule, most specific first, the default rule last. */
export interface AccessPolicy {
  rules: readonly AccessRule[];
  /** Every group some rule names: the only groups looked up, kept with a session and sent on. */
  groups: readonly string[];
  /** The ids of OIDC_PROVIDERS (or the default provider's): a person from any other is let in nowhere. */
  providers: ReadonlySet<string>;
}

/**
 * Groups one person's lookup may ask about: the directory is asked once per group, at sign-in
 * and at each refresh, and a Worker invocation has 50 subrequests on the free plan.
 */
const MAX_POLICY_GROUPS = 20;

export interface PolicyParts {
  /** ACCESS_POLICY's rules, in the order written. */
  policyRules: readonly AccessRule[];
  /** PUBLIC_PATHS entries. */
  publicPaths: readonly PathPattern[];
  /** ALLOWED_EMAILS / ALLOWED_DOMAINS. */
  defaultAllow: Allow;
  /** GOOGLE_GROUPS_CREDENTIALS is set (and valid, or reported on its own). */
  hasGroupCredentials: boolean;
  /** The names TRUSTED_WORKLOADS defines (none when it is unset). */
  workloadNames: ReadonlySet<string>;
  /** The providers' ids (OIDC_PROVIDERS, or the default provider's). */
  providerIds: ReadonlySet<string>;
}

const patternText = (pattern: PathPattern) => (pattern.kind === "exact" ? pattern.path : `${pattern.prefix}*`);
const samePattern = (a: PathPattern, b: PathPattern) => patternText(a) === patternText(b);

/** Exact over prefix, longer prefix over shorter, a rule with methods over one without (docs/access-policies.md). */
function bySpecificity(a: AccessRule, b: AccessRule): number {
  const exact = Number(b.pattern.kind === "exact") - Number(a.pattern.kind === "exact");
  if (exact !== 0) return exact;
  const length = patternText(b.pattern).length - patternText(a.pattern).length;
  return length !== 0 ? length : Number(b.methods !== undefined) - Number(a.methods !== undefined);
}

/** Methods both rules apply to: "every" when neither names any. Empty: they never compete. */
function sharedMethods(a: AccessRule, b: AccessRule): string[] | "every" {
  if (!a.methods && !b.methods) return "every";
  if (!a.methods || !b.methods) return [];
  return [...a.methods].filter((method) => b.methods!.has(method));
}

/** A rule for every path and every method that is not public: it takes the default rule's place. */
export const isCatchAll = (rule: AccessRule) =>
  rule.pattern.kind === "prefix" && rule.pattern.prefix === "/" && !rule.methods && rule.allow !== "public";

/**
 * One rule's problems once the policy is put together: PUBLIC_PATHS entries are public rules here
 * too, and groups and workloads are checked against the rest of the configuration.
 */
function ruleProblems(rule: AccessRule, parts: PolicyParts): string[] {
  const problems: string[] = [];
  if (rule.allow === "public") {
    if (opensWholeSite(rule.pattern))
      problems.push(`${rule.label}: would make the whole site (or its home page) public${fix("wholeSitePublic")}`);
    return problems;
  }
  if (rule.allow.groups.size > 0 && !parts.hasGroupCredentials) {
    problems.push(
      `${rule.label}: names groups, but GOOGLE_GROUPS_CREDENTIALS is not set${fix("groupsWithoutCredentials")}`,
    );
  }
  const defined = [...parts.workloadNames].join(", ") || "none";
  for (const name of rule.allow.workloads) {
    if (!parts.workloadNames.has(name))
      problems.push(
        `${rule.label}: workload "${name}" is not defined in TRUSTED_WORKLOADS${fix("undefinedWorkload", defined)}`,
      );
  }
  const ids = [...parts.providerIds].join(", ");
  for (const id of rule.allow.providers ?? []) {
    if (!parts.providerIds.has(id))
      problems.push(`${rule.label}: provider "${id}" is not in OIDC_PROVIDERS${fix("unknownProvider", ids)}`);
  }
  return problems;
}

/**
 * Puts the policy together (docs/access-policies.md): ACCESS_POLICY's rules, PUBLIC_PATHS as public rules,
 * ALLOWED_EMAILS/ALLOWED_DOMAINS as the default rule for every path no rule matches; ordered
 * most specific first. Reports every problem: a rule that can never decide anything (the same
 * path and methods as another), a public rule over the whole site, groups without credentials,
 * workloads that are not defined, and an empty default. Settings that change nothing (a rule
 * under the worker's own routes, allowlists a catch-all replaces) are `npm run check`'s.
 */
export function assemblePolicy(parts: PolicyParts, problems: string[]): AccessPolicy {
  const publicRules: AccessRule[] = parts.publicPaths.map((pattern) => ({
    label: `PUBLIC_PATHS "${patternText(pattern)}"`,
    pattern,
    allow: "public",
  }));
  const written = [...publicRules, ...parts.policyRules];
  for (const rule of written) problems.push(...ruleProblems(rule, parts));
  written.forEach((later, index) => {
    for (const earlier of written.slice(0, index)) {
      if (!samePattern(earlier.pattern, later.pattern)) continue;
      const shared = sharedMethods(earlier, later);
      if (shared === "every" || shared.length > 0) {
        const which = shared === "every" ? "" : ` for ${shared.join(", ")}`;
        problems.push(
          `${later.label}: unreachable${which}: ${earlier.label} has the same path${shared === "every" ? "" : " and methods"}${fix("unreachableRule")}`,
        );
        break;
      }
    }
  });

  // Allowlists a catch-all leaves with nothing to decide change nothing: `npm run check` reports them (ignored-settings.ts).
  if (!parts.policyRules.some(isCatchAll) && admitsNobody(parts.defaultAllow)) {
    problems.push(
      `ALLOWED_EMAILS and ALLOWED_DOMAINS are both empty: refusing to let anyone in${fix("nobodyAllowed")}`,
    );
  }
  const defaultRule: AccessRule = {
    label: "the default rule (ALLOWED_EMAILS / ALLOWED_DOMAINS)",
    pattern: { kind: "prefix", prefix: "/" },
    allow: parts.defaultAllow,
  };

  const groups = [
    ...new Set(parts.policyRules.flatMap((rule) => (rule.allow === "public" ? [] : [...rule.allow.groups]))),
  ].sort();
  if (groups.length > MAX_POLICY_GROUPS) {
    problems.push(`ACCESS_POLICY: names ${groups.length} groups; at most ${MAX_POLICY_GROUPS}${fix("tooManyGroups")}`);
  }
  // Stable sort: equally specific rules keep the order written (they never compete, see above).
  return { rules: [...[...written].sort(bySpecificity), defaultRule], groups, providers: parts.providerIds };
}
