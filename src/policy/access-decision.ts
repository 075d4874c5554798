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

const textOf = (pattern: PathPattern, reading: Reading) => {
  const text = pattern.kind === "exact" ? pattern.path : pattern.prefix;
  return reading.folded ? text.toLowerCase() : text;
};

function matches(pattern: PathPattern, reading: Reading): boolean {
  const text = textOf(pattern, reading);
  return pattern.kind === "exact" ? reading.path === text : reading.path.startsWith(text);
}

/**
 * Whether a rule names this very path with or without its trailing slash, which most routers
 * serve alike: exact `P` for `P/` (and exact `P/` for `P`), prefix `P/*` for `P`.
 */
function namesWithoutSlash(pattern: PathPattern, reading: Reading): boolean {
  const text = textOf(pattern, reading);
  if (pattern.kind === "prefix") return `${reading.path}/` === text;
  return text === `${reading.path}/` || `${text}/` === reading.path;
}

const appliesTo = (rule: AccessRule, method: string) => !rule.methods || rule.methods.has(method);

/**
 * The rules that decide one reading. The most specific matching rule (the rules are sorted, so
 * the first match), and any rule that names the same path without or with its trailing slash: a
 * rule `P/*` decides `P` and an exact `P` decides `P/`, in place of a broader prefix (the default
 * rule), and beside an exact rule or `P/*` itself, so a request must pass both. A public rule only
 * ever decides the paths it lists, never such a variant: it can open nothing more.
 */
function rulesFor(policy: AccessPolicy, reading: Reading, method: string): AccessRule[] {
  let literal: AccessRule | undefined;
  const twins: AccessRule[] = [];
  const twinPatterns: string[] = [];
  for (const rule of policy.rules) {
    if (!appliesTo(rule, method)) continue;
    if (!literal && matches(rule.pattern, reading)) literal = rule;
    else if (rule.allow !== "public" && reading.path !== "/" && namesWithoutSlash(rule.pattern, reading)) {
      // The first of a pattern's rules for this method is its most specific (sorted): one per pattern.
      const key = `${rule.pattern.kind} ${textOf(rule.pattern, reading)}`;
      if (!twinPatterns.includes(key)) {
        twinPatterns.push(key);
        twins.push(rule);
      }
    }
  }
  // The default rule matches every path and method, so there always is a literal one.
  const found = literal ?? policy.rules[policy.rules.length - 1]!;
  if (twins.length === 0) return [found];
  const base = reading.path.replace(/\/$/, "");
  const namesThisPath = found.pattern.kind === "exact" || textOf(found.pattern, reading) === `${base}/`;
  return namesThisPath ? [found, ...twins] : twins;
}

/**
 * Escapes an origin decodes to plain characters (`%61dmin` is `admin` to it). Escapes of `/`,
 * `\`, `.`, `%`, `;`, NUL and non-ASCII bytes never get here: AMBIGUOUS catches them first.
 */
const decodePlain = (path: string) =>
  path.replace(/%([0-7][0-9a-f])/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** Trailing dots and spaces of a segment, which IIS and Windows file systems drop (`/admin./x` is `/admin/x`). */
const TRAILING_DOTS = /[. ]+(?=\/|$)/g;

/**
 * A segment's NTFS stream, from its first colon on: `admin::$INDEX_ALLOCATION` is the directory
 * `admin`, `web.config::$DATA` the file, to IIS and Windows file systems. A segment that starts
 * with a colon names no file, so it has no such reading.
 */
const NTFS_STREAM = /(?<=[^/]):[^/]*/g;

/**
 * An 8.3 short name (`ADMINI~1` for `administration`, `APP~1.JS`): it stands for any long name
 * that begins alike, which no single reading can spell, so such a path is ambiguous.
 */
const SHORT_NAME = /(?:^|\/)[^/~.]{1,6}~[1-9][0-9]{0,5}(?:\.[^/.]{1,3})?(?=\/|$)/;

/**
 * The rule(s) that decide a request (docs/access-policies.md: the most specific rule wins). An origin may read
 * a path otherwise than the worker does, so each reading it might make gets its rules, and the
 * request must pass all of them: a rule cannot be skipped by spelling its path as `/ADMIN/x`,
 * `/%61dmin/x`, `/admin./x`, `/admin%20`, `/admin::$INDEX_ALLOCATION/x` or, for an exact rule
 * `/admin`, `/admin/` (docs/security.md, "Path readings"). A path that could mean anything (encoded
 * `/` or `.`, `;`, `//`, `\`, double escapes: AMBIGUOUS; an 8.3 short name: SHORT_NAME) is never
 * public and needs every rule that applies to its method.
 */
export function accessDecision(policy: AccessPolicy, pathname: string, method: string): AccessDecision {
  const verb = method.toUpperCase();
  // Without an escape the decoded reading is the path itself: two readings, not three.
  const decoded = pathname.includes("%") ? decodePlain(pathname) : pathname;
  if (AMBIGUOUS.test(pathname) || SHORT_NAME.test(decoded)) {
    return {
      public: false,
      rules: policy.rules.filter((rule) => rule.allow !== "public" && (!rule.methods || rule.methods.has(verb))),
    };
  }
  const readings: Reading[] = [{ path: pathname, folded: false }];
  if (decoded !== pathname) readings.push({ path: decoded, folded: false });
  readings.push({ path: decoded.toLowerCase(), folded: true });
  for (const variant of [NTFS_STREAM, TRAILING_DOTS]) {
    for (const { path, folded } of [...readings]) {
      const trimmed = path.replace(variant, "");
      if (trimmed !== path) readings.push({ path: trimmed || "/", folded });
    }
  }
  const deciding: AccessRule[] = [];
  for (const reading of readings) {
    for (const rule of rulesFor(policy, reading, verb)) {
      if (rule.allow !== "public" && !deciding.includes(rule)) deciding.push(rule);
    }
  }
  return deciding.length === 0 ? { public: true } : { public: false, rules: deciding };
}

/** True when every rule of the decision lets this person in. */
export function isAdmitted(decision: AccessDecision, identity: Identity): boolean {
  return decision.public || decision.rules.every((rule) => rule.allow !== "public" && admits(rule.allow, identity));
}

/** The strictest `maxAge` of the rules deciding the request, seconds; undefined when none asks. */
export function requiredMaxAge(decision: AccessDecision): number | undefined {
  if (decision.public) return undefined;
  let strictest: number | undefined;
  for (const { maxAgeSeconds } of decision.rules)
    if (maxAgeSeconds !== undefined && (strictest === undefined || maxAgeSeconds < strictest))
      strictest = maxAgeSeconds;
  return strictest;
}

/**
 * The `maxAge` (seconds) the person's sign-in at the provider is too old for, when it is: the
 * strictest of the deciding rules', compared with the session's `auth_time` (none: too old).
 * Undefined: no rule asks, or the sign-in is recent enough (docs/access-policies.md, "A fresh sign-in for sensitive paths").
 */
export function staleSignIn(decision: AccessDecision, identity: Identity, nowSeconds: number): number | undefined {
  const strictest = requiredMaxAge(decision);
  if (strictest === undefined) return undefined;
  const { authTime } = identity;
  return authTime !== undefined && nowSeconds - authTime <= strictest ? undefined : strictest;
}

/**
 * Which of a workload token's names may pass: the first (in TRUSTED_WORKLOADS order) that every
 * rule of the decision names in `workloads`, or undefined. `emails`, `domains` and `groups` never
 * admit a workload, and a workload never passes the default rule.
 */
export function admittedWorkload(decision: AccessDecision, names: readonly string[]): string | undefined {
  if (decision.public) return names[0];
  return names.find((name) =>
    decision.rules.every((rule) => rule.allow !== "public" && rule.allow.workloads.has(name)),
  );
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
