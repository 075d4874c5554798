import type { AccessRule } from "../config/access-policy";
import type { AccessPolicy } from "../config/policy-checks";
import type { PathPattern } from "../config/public-paths";
import type { Identity } from "../identity";
import { admits } from "./allowlist";

/** What a request needs: nothing (public), or a person every one of `rules` admits. */
export type AccessDecision = { public: true } | { public: false; rules: readonly AccessRule[] };

// Encoded separators and dots, backslashes, `;` parameters and empty segments are spelled
// differently by different origins (Tomcat's `;`, IIS's `\`, decoders of `%2F`), so a path
// carrying any of them is never treated as public: it goes through the gate instead.
// `%25` (an escaped `%`: an origin that decodes twice sees `%2e%2e`) and escapes of non-ASCII
// bytes (overlong UTF-8 such as `%c0%ae` for `.`) are ambiguous in the same way.
const AMBIGUOUS = /%2f|%5c|%2e|%00|%25|%3b|%[89a-f][0-9a-f]|\\|;|\/\//i;

/** One way an origin may read the path: as sent, or case-folded (IIS, macOS and Windows file systems). */
interface Reading {
  path: string;
  folded: boolean;
}

function matches(pattern: PathPattern, reading: Reading): boolean {
  const text = pattern.kind === "exact" ? pattern.path : pattern.prefix;
  const expected = reading.folded ? text.toLowerCase() : text;
  return pattern.kind === "exact" ? reading.path === expected : reading.path.startsWith(expected);
}

/** The most specific rule for one reading: the rules are sorted, so the first match decides. */
function ruleFor(policy: AccessPolicy, reading: Reading, method: string): AccessRule {
  const rule = policy.rules.find((candidate) => (!candidate.methods || candidate.methods.has(method)) && matches(candidate.pattern, reading));
  // The default rule matches every path and method, so there always is one.
  return rule ?? policy.rules[policy.rules.length - 1]!;
}

/**
 * Escapes an origin decodes to plain characters (`%61dmin` is `admin` to it). Escapes of `/`,
 * `\`, `.`, `%`, `;`, NUL and non-ASCII bytes never get here: AMBIGUOUS catches them first.
 */
const decodePlain = (path: string) => path.replace(/%([0-7][0-9a-f])/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/**
 * The rule(s) that decide a request (docs/access-policies.md: the most specific rule wins). An origin may read
 * a path otherwise than the worker does, so each reading it might make gets its rule, and the
 * request must pass all of them: a rule cannot be skipped by spelling its path as `/ADMIN/x` or
 * `/%61dmin/x`. A path that could mean anything (encoded `/` or `.`, `;`, `//`, `\`, double
 * escapes: AMBIGUOUS) is never public and needs every rule that applies to its method.
 */
export function accessDecision(policy: AccessPolicy, pathname: string, method: string): AccessDecision {
  const verb = method.toUpperCase();
  if (AMBIGUOUS.test(pathname)) {
    return { public: false, rules: policy.rules.filter((rule) => rule.allow !== "public" && (!rule.methods || rule.methods.has(verb))) };
  }
  // Without an escape the decoded reading is the path itself: two readings, not three.
  const decoded = pathname.includes("%") ? decodePlain(pathname) : pathname;
  const readings: Reading[] = [{ path: pathname, folded: false }];
  if (decoded !== pathname) readings.push({ path: decoded, folded: false });
  readings.push({ path: decoded.toLowerCase(), folded: true });
  const deciding: AccessRule[] = [];
  for (const reading of readings) {
    const rule = ruleFor(policy, reading, verb);
    if (rule.allow !== "public" && !deciding.includes(rule)) deciding.push(rule);
  }
  return deciding.length === 0 ? { public: true } : { public: false, rules: deciding };
}

/** True when every rule of the decision lets this person in. */
export function isAdmitted(decision: AccessDecision, identity: Identity): boolean {
  return decision.public || decision.rules.every((rule) => rule.allow !== "public" && admits(rule.allow, identity));
}

/**
 * Which of a workload token's names may pass: the first (in TRUSTED_WORKLOADS order) that every
 * rule of the decision names in `workloads`, or undefined. `emails`, `domains` and `groups` never
 * admit a workload, and a workload never passes the default rule.
 */
export function admittedWorkload(decision: AccessDecision, names: readonly string[]): string | undefined {
  if (decision.public) return names[0];
  return names.find((name) => decision.rules.every((rule) => rule.allow !== "public" && rule.allow.workloads.has(name)));
}

/**
 * Whether a CORS preflight may go to the origin without a session: the request it announces (its
 * path, the method of Access-Control-Request-Method) is public, or every rule that would decide
 * that request says `"preflight": true`. A preflight carries no identity, so it learns nothing;
 * the real request that follows is decided by its rule as usual.
 */
export function preflightPasses(policy: AccessPolicy, pathname: string, requestedMethod: string): boolean {
  const decision = accessDecision(policy, pathname, requestedMethod);
  return decision.public || decision.rules.every((rule) => rule.preflight === true);
}

/**
 * Whether a WebSocket the decision admits is relayed (and closed when its session ends) rather
 * than passed straight through: relayed unless every deciding rule says `"websocket": "pass-through"`,
 * so a path that several rules decide is relayed as soon as one of them wants it.
 */
export function relaysWebSocket(decision: AccessDecision): boolean {
  return !decision.public && !decision.rules.every((rule) => rule.webSocket === "pass-through");
}
