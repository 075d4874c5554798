import { DURATION_UNITS, durationInWords } from "../util/duration-words";
import { nearestName } from "../util/nearest-name";
import { GOOGLE_SECRET_PREFIX } from "./client-id";
import type { FixTexts } from "./fixes";
import type { NestedKeys } from "./json-shapes";

/**
 * The long forms of configuration problems (fixes.ts): what to do, with examples and where the
 * docs say more. Only the commands a person reads problems in (`npm run check`, `npm start`,
 * `npm run setup`) import this module, so the worker's bundle carries none of it.
 */

const RULE_EXAMPLE = '{"path": "/admin/*", "allow": {"emails": ["a@example.com"]}}';
const PROVIDER_EXAMPLE =
  '[{"id": "google", "label": "Google", "issuer": "https://accounts.google.com", "clientId": "..."}]';

/** What people append to a number for each unit ("15m", "30d", "1 hour"), by DURATION_UNITS' word. */
const UNIT_SUFFIXES: Record<string, RegExp> = {
  second: /^(s|secs?|seconds?)$/,
  minute: /^(m|mins?|minutes?)$/,
  hour: /^(h|hrs?|hours?)$/,
  day: /^(d|days?)$/,
  week: /^(w|weeks?)$/,
};

/** "; did you mean ...": the allowed key `key` is nearest to, else where it (or a key near it) belongs. */
function unknownKey(key: string, allowed: readonly string[], nested?: NestedKeys): string {
  const nearest = nearestName(key, allowed);
  if (nearest) return `; did you mean "${nearest}"?`;
  const below = nested && nearestName(key, nested.keys);
  if (!nested || !below) return "";
  const inside = `"${nested.key}": {"${below}": [...]}`;
  return below === key ? `; it belongs inside ${inside}` : `; did you mean "${below}", inside ${inside}?`;
}

/**
 * The problem for a duration written with a unit: these settings are seconds (every value is a
 * plain number, as in wrangler.toml's other lifetimes), so say the number to write instead.
 */
function secondsWithUnit(name: string, value: string, min: number, max: number): string | undefined {
  const match = /^(\d+)\s*([a-z]+)$/i.exec(value);
  const unit =
    match && DURATION_UNITS.find((candidate) => UNIT_SUFFIXES[candidate.word]!.test(match[2]!.toLowerCase()));
  if (!match || !unit) return undefined;
  const total = Number(match[1]) * unit.seconds;
  const written = `${name}: "${value}" is not a number of seconds`;
  if (total > max)
    return `${written}; ${durationInWords(total)} is ${total} seconds, more than the longest allowed, ${max} (${durationInWords(max)})`;
  if (total < min) return `${written}; write a number of seconds from ${min} to ${max}`;
  const words = unit.seconds === 1 ? "" : ` (${durationInWords(total)})`;
  return `${written}; the value is in seconds: write ${name} = "${total}"${words}`;
}

/** An example of each well-known issuer's identifying claim (trusted-workloads.ts), by the claim's name. */
const IDENTIFYING_CLAIM_EXAMPLES: Record<string, string> = {
  repository: '"repository": "org/app"',
  email: '"email": "deployer@project.iam.gserviceaccount.com"',
};

/** Where each JSON-valued setting is described. */
const JSON_DESCRIPTIONS: Record<string, string> = {
  ACCESS_POLICY: "schema/access-policy.schema.json",
  OIDC_PROVIDERS: "docs/providers.md",
  TRUSTED_WORKLOADS: "schema/trusted-workloads.schema.json",
};

/** Claims the worker checks itself, whatever an entry says, and why they cannot be required claims. */
const CHECKED_CLAIMS: Record<string, string> = {
  iss: 'put the issuer in "issuer"',
  aud: 'put the audience in "audience"',
  exp: "the worker checks it on every token",
  iat: "the worker checks it on every token",
  nbf: "the worker checks it on every token",
  email_verified: 'the worker requires email_verified=true itself whenever "email" is required or forwarded',
};

export const FIX_TEXTS: FixTexts = {
  unknownKey,
  secondsWithUnit,
  providersAndSingleForm: (count) =>
    `; with OIDC_PROVIDERS each provider has its own issuer, client id and secret (OIDC_CLIENT_SECRET_<ID>), so remove ${count > 1 ? "them" : "it"}`,
  clientIdIsUrl: (google) =>
    `; the client id is the identifier the provider shows as "Client ID"${google ? " (Google's end in .apps.googleusercontent.com)" : ""}, not its address`,
  invalidJson: (name) =>
    ` (check commas and quotes; ${JSON_DESCRIPTIONS[name] ?? "docs/configuration.md"} describes it)`,
  ruleExample: (list) => (list ? `, e.g. [${RULE_EXAMPLE}]` : ` like ${RULE_EXAMPLE}`),
  providerExample: (list) => (list ? `, e.g. ${PROVIDER_EXAMPLE}` : ` like ${PROVIDER_EXAMPLE.slice(1, -1)}`),
  undefinedWorkload: (defined) => ` (defined: ${defined}); define it there or remove it here`,
  unknownProvider: (ids) => ` (ids: ${ids}); add it there or remove it here`,
  identifyingClaim: (first) =>
    `, so any caller of this issuer could pass; add one, e.g. ${IDENTIFYING_CLAIM_EXAMPLES[first] ?? `"${first}": "..."`}`,
  checkedClaim: (name) => `; ${CHECKED_CLAIMS[name] ?? "the worker checks it itself"}`,
  previewTooBroad: (fixed) => `: a * needs at least two labels after it that are yours (not "${fixed}")`,

  secretAsClientId: ` (Google's start with "${GOOGLE_SECRET_PREFIX}"), not the client id; put it in OIDC_CLIENT_SECRET (a secret, never a var), and paste the "Client ID" next to it, which ends in .apps.googleusercontent.com`,
  notGoogleClientId:
    ', which looks like 123456789012-abc123def456.apps.googleusercontent.com (Google Cloud console > APIs & Services > Credentials > your OAuth client > "Client ID"); with another provider, set OIDC_ISSUER to its issuer URL',
  serviceAccountKey:
    "; paste the whole JSON key of a service account (Google Cloud console > IAM > Service accounts > Keys > Add key > JSON)",
  groupsWithoutCredentials:
    ', so membership cannot be looked up; set it (docs/access-policies.md, "Google Workspace groups") or allow by "emails"/"domains"',
  unreachableRule: ", and only one rule can decide a request; merge the two",
  wholeSitePublic: '; list the public paths instead, e.g. "/healthz" and "/assets/*"',
  tooManyGroups: " (each is one directory lookup per sign-in and refresh): use a group that contains the others",
  workloadExample:
    ' like {"issuer": "https://token.actions.githubusercontent.com", "audience": "https://app.example.com", "claims": {"repository": "org/app"}}',
  workloadsExample: ', e.g. {"ci-main": {"issuer": "...", "audience": "...", "claims": {...}}}',
  workloadIssuerExample: ', e.g. "https://token.actions.githubusercontent.com"',
  workloadAudience: ": the audience the workload asks its platform for, e.g. your PUBLIC_URL",
  workloadOwnIssuer: "; name the workload's platform (e.g. https://token.actions.githubusercontent.com)",
  claimsExample: ', e.g. {"repository": "org/app", "ref": "refs/heads/main"}',
  claimsEmpty: "; name the claims that say who the caller is, or any token of the issuer for this audience would pass",
  claimValue: " (claims are matched exactly, as strings)",
  tooManyIssuers: " (each one's keys are kept in every isolate)",
  allowShape: ' with "emails", "domains", "groups", "workloads" and/or "providers"',
  admitsNobody: "; name at least one e-mail, domain, group, workload or provider",
  publicAndAllow: "; a public path needs no allowlist, so keep one",
  pathExample: ', e.g. "/admin/*" or "/status"',
  methodsEmpty: '; leave "methods" out to match every method',
  providersEmpty: "; leave it out to admit every provider",
  originBinding: " ([[services]] in wrangler.toml)",
  originAudience: " (the `aud` the origin expects in X-Auth-Assertion)",
  metricsBinding: " ([[analytics_engine_datasets]] in wrangler.toml)",
  familiesBinding: " (needed by SESSION_STORE=durable-object)",
  previewNeedsPublicUrl: " (the registered host that runs every sign-in)",
  wrappingSecretMissing: " (a secret of 32 random bytes, base64url; docs/configuration.md)",
  wrappingSecretShort: " (43 characters or more)",
  firstKeyPrivate: ': it signs. Public-only keys may follow it, or set KEY_ROTATION = "auto"',
  localIssuerOnly: " (an http://localhost or http://127.0.0.1 issuer)",
  issuerTwice: "; each provider needs its own",
  previewHostShape: " (one * in the first label only)",
  clientIdSpaces: "; remove them (they were pasted with the id)",
  clientIdSlash: "; remove it (a client id is compared exactly)",
  nobodyAllowed: " (use ALLOWED_DOMAINS=* to allow every verified account)",
};
