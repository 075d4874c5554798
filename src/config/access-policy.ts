import { isEmailAddress } from "../identity";
import { parsePublicPath, type PathPattern } from "./public-paths";
import { jsonVar } from "./env-values";
import { fix } from "./fixes";
import { isObject, unknownKeys } from "./json-shapes";

/** Who a rule lets in: any one match admits, among the people `providers` lets through (docs/access-policies.md). */
export interface Allow {
  /** Exact addresses, lowercased. */
  emails: ReadonlySet<string>;
  /** Google Workspace domains, lowercased, matched against the ID token's `hd` (never the e-mail's suffix). */
  domains: ReadonlySet<string>;
  /** `"*"` among the domains: every account with a verified e-mail. */
  anyVerifiedEmail: boolean;
  /** Google group addresses, lowercased: membership is looked up in the Workspace directory. */
  groups: ReadonlySet<string>;
  /** Names from TRUSTED_WORKLOADS. They admit workloads, never a person. */
  workloads: ReadonlySet<string>;
  /** OIDC_PROVIDERS ids, a condition: only their people pass, to the lists above (all, when empty). */
  providers?: ReadonlySet<string>;
}

export interface AccessRule {
  /** Where the rule comes from, for problems and logs: `ACCESS_POLICY[2] "/admin/*"`, `PUBLIC_PATHS "/healthz"`, `the default rule`. */
  label: string;
  pattern: PathPattern;
  /** Upper-case methods the rule applies to (GET brings HEAD along); undefined: every method. */
  methods?: ReadonlySet<string>;
  /** "public": served without a session. */
  allow: Allow | "public";
  /**
   * `"preflight": true`: a CORS preflight for a request this rule decides goes to the origin without
   * a session or identity (preflights carry no cookies; without it a cross-origin app stops at 401).
   */
  preflight?: true;
  /**
   * `"websocket": "pass-through"`: a WebSocket goes straight to the origin, checked at its upgrade
   * only. The default relays it, closed when the session ends or the rule stops admitting the
   * person (docs/websockets.md).
   */
  webSocket?: "pass-through";
  /** `"maxAge"`, seconds: a person passes only within that long of their sign-in at the provider (docs/access-policies.md, "A fresh sign-in for sensitive paths"). */
  maxAgeSeconds?: number;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;
const RULE_KEYS = ["path", "methods", "allow", "public", "preflight", "websocket", "maxAge"];
const MAX_AGE_RANGE = [60, 31_536_000] as const; // seconds: a minute (clocks may be that far off) to a year
const WEBSOCKET_MODES = ["relay", "pass-through"];
const ALLOW_KEYS = ["emails", "domains", "groups", "workloads", "providers"] as const;

type Lists = Record<(typeof ALLOW_KEYS)[number], string[]>;

/** The lists of an allowlist, checked; ALLOWED_EMAILS/ALLOWED_DOMAINS and `allow` share it. */
export function allowFrom(lists: Partial<Lists>, label: string, problems: string[]): Allow {
  const emails = (lists.emails ?? []).map((email) => email.trim().toLowerCase());
  for (const email of emails)
    if (!isEmailAddress(email)) problems.push(`${label}: "${email}" is not an e-mail address`);
  const domains = (lists.domains ?? []).map((domain) => domain.trim().toLowerCase());
  for (const domain of domains)
    if (domain !== "*" && !DOMAIN.test(domain)) problems.push(`${label}: "${domain}" is not a domain`);
  const groups = (lists.groups ?? []).map((group) => group.trim().toLowerCase());
  for (const group of groups)
    if (!isEmailAddress(group)) problems.push(`${label}: group "${group}" is not a group's e-mail address`);
  // A workload name is checked against TRUSTED_WORKLOADS, once, with the rest of the policy (policy-checks.ts).
  const workloads = lists.workloads ?? [];
  // A provider id is checked against OIDC_PROVIDERS, once, with the rest of the policy (policy-checks.ts).
  const providers = lists.providers;
  if (providers?.length === 0) problems.push(`${label} "allow.providers": empty${fix("providersEmpty")}`);
  return {
    emails: new Set(emails),
    domains: new Set(domains.filter((domain) => domain !== "*")),
    anyVerifiedEmail: domains.includes("*"),
    groups: new Set(groups),
    workloads: new Set(workloads),
    ...(providers ? { providers: new Set(providers) } : {}),
  };
}

/** True when the allowlist's lists name nobody: with `providers` alone, everyone from those providers passes. */
export function namesNobody(allow: Allow): boolean {
  return (
    allow.emails.size + allow.domains.size + allow.groups.size + allow.workloads.size === 0 && !allow.anyVerifiedEmail
  );
}

/** True when the allowlist admits nobody at all. */
export function admitsNobody(allow: Allow): boolean {
  return namesNobody(allow) && !allow.providers?.size;
}

/** An array of strings; each list checks its own entries (an empty one is no e-mail, domain or method either). */
function stringList(value: unknown, label: string, problems: string[]): string[] | undefined {
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  problems.push(`${label}: must be an array of strings`);
  return undefined;
}

/**
 * An HTTP method token as a rule names it: letters only in practice. A request's method is read
 * with the same shape (a preflight's requested one, a `_method` override), so what it names can
 * be compared with the rules.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-9.1
 */
export const HTTP_METHOD = /^[A-Za-z]{1,20}$/;

function parseMethods(value: unknown, label: string, problems: string[]): Set<string> | undefined {
  const methods = stringList(value, `${label} "methods"`, problems);
  if (!methods) return undefined;
  if (methods.length === 0) {
    problems.push(`${label} "methods": empty${fix("methodsEmpty")}`);
    return undefined;
  }
  const bad = methods.filter((method) => !HTTP_METHOD.test(method));
  if (bad.length > 0)
    problems.push(
      `${label} "methods": ${bad.map((method) => JSON.stringify(method)).join(", ")} is not an HTTP method`,
    );
  const upper = new Set(methods.map((method) => method.toUpperCase()));
  // A HEAD answer carries GET's headers (and tells whether the page exists): it follows GET's rule.
  if (upper.has("GET")) upper.add("HEAD");
  return upper;
}

function parseAllow(value: unknown, label: string, problems: string[]): Allow | undefined {
  if (!isObject(value)) {
    problems.push(`${label} "allow": must be an object${fix("allowShape")}`);
    return undefined;
  }
  unknownKeys(value, ALLOW_KEYS, `${label} "allow"`, problems);
  const lists: Partial<Lists> = {};
  for (const key of ALLOW_KEYS) {
    const list = value[key] === undefined ? undefined : stringList(value[key], `${label} "allow.${key}"`, problems);
    if (list) lists[key] = list;
  }
  const allow = allowFrom(lists, label, problems);
  if (admitsNobody(allow)) problems.push(`${label} "allow": admits nobody${fix("admitsNobody")}`);
  return allow;
}

/** How problems name a rule: `ACCESS_POLICY[2] "/admin/*"`, the index alone when it has no path. */
export function ruleLabel(rule: unknown, index: number): string {
  const path = isObject(rule) && typeof rule.path === "string" ? ` "${rule.path}"` : "";
  return `ACCESS_POLICY[${index}]${path}`;
}

function parseRule(rule: unknown, index: number, problems: string[]): AccessRule | undefined {
  const label = ruleLabel(rule, index);
  if (!isObject(rule)) {
    problems.push(`${label}: must be an object${fix("ruleExample", false)}`);
    return undefined;
  }
  const before = problems.length;
  unknownKeys(rule, RULE_KEYS, label, problems, { key: "allow", keys: ALLOW_KEYS });
  let pattern: PathPattern | undefined;
  if (typeof rule.path !== "string") problems.push(`${label}: "path" is required${fix("pathExample")}`);
  else {
    const parsed = parsePublicPath(rule.path);
    if (typeof parsed === "string")
      problems.push(`${label}: "path" must be a plain absolute path, optionally ending in "/*"`);
    else pattern = parsed;
  }
  const methods = rule.methods === undefined ? undefined : parseMethods(rule.methods, label, problems);
  if (rule.public !== undefined && typeof rule.public !== "boolean")
    problems.push(`${label}: "public" must be true or left out`);
  const isPublic = rule.public === true;
  if (isPublic && rule.allow !== undefined)
    problems.push(`${label}: has both "public" and "allow"${fix("publicAndAllow")}`);
  if (!isPublic && rule.allow === undefined) problems.push(`${label}: needs "allow" (who may pass) or "public": true`);
  const allow = !isPublic && rule.allow !== undefined ? parseAllow(rule.allow, label, problems) : undefined;
  // On a public rule both change nothing: `npm run check` says so (ignored-settings.ts).
  if (rule.preflight !== undefined && rule.preflight !== true)
    problems.push(`${label}: "preflight" must be true or left out`);
  if (rule.websocket !== undefined && !WEBSOCKET_MODES.includes(rule.websocket as string))
    problems.push(`${label}: "websocket" must be "relay" (the default) or "pass-through"`);
  const maxAge = rule.maxAge as number | undefined;
  const [shortest, longest] = MAX_AGE_RANGE;
  if (maxAge !== undefined && !(Number.isSafeInteger(maxAge) && maxAge >= shortest && maxAge <= longest))
    problems.push(`${label}: "maxAge" must be whole seconds from ${shortest} to ${longest}`);
  if (isPublic && maxAge !== undefined) problems.push(`${label}: "maxAge" needs "allow" (public asks none)`);
  if (problems.length > before || !pattern) return undefined;
  const passThrough = rule.websocket === "pass-through" ? { webSocket: "pass-through" as const } : {};
  const preflight = rule.preflight === true ? { preflight: true as const } : {};
  const fresh = maxAge === undefined ? {} : { maxAgeSeconds: maxAge };
  const allowed = isPublic ? ("public" as const) : allow!;
  return { label, pattern, ...(methods ? { methods } : {}), allow: allowed, ...preflight, ...passThrough, ...fresh };
}

/**
 * ACCESS_POLICY's rules as written (a JSON array, as a string, or already parsed when wrangler
 * gives a JSON var); each rule's own problems, every one. How rules relate to each other (order,
 * duplicates, the default rule) is policy-checks.ts's.
 */
export function parseAccessPolicyRules(raw: unknown, problems: string[]): AccessRule[] {
  const parsed = jsonVar("ACCESS_POLICY", raw, problems);
  if (!parsed) return [];
  const { value } = parsed;
  if (!Array.isArray(value)) {
    problems.push(`ACCESS_POLICY: must be a JSON array of rules${fix("ruleExample", true)}`);
    return [];
  }
  return value.flatMap((rule, index) => parseRule(rule, index, problems) ?? []);
}
