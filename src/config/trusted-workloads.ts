import { httpUrl, jsonVar } from "./env-values";
import { fix } from "./fixes";
import { isObject, unknownKeys } from "./json-shapes";

/**
 * One TRUSTED_WORKLOADS entry (docs/access-policies.md, "Machines as callers"): a machine caller that proves who it is with an OIDC
 * token its platform signs (a GitHub Actions job, a Google service account, ...), no stored secret.
 */
export interface TrustedWorkload {
  /** The key in TRUSTED_WORKLOADS: what ACCESS_POLICY's `workloads` name, and X-Auth-Workload. */
  name: string;
  /** The token's `iss`, exactly; keys come from `{issuer}/.well-known/openid-configuration`. */
  issuer: string;
  /** One of the token's `aud` values, exactly. */
  audience: string;
  /** Claims the token must carry, each a string equal to the value here. */
  claims: Readonly<Record<string, string>>;
}

/** A TRUSTED_WORKLOADS name (and an ACCESS_POLICY `workloads` entry). */
export const WORKLOAD_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";
/**
 * Distinct issuers: each is one discovery document and one key set kept per isolate, and an
 * unknown one is never fetched. A handful covers every real deployment (CI, a cloud, an IdP).
 */
export const MAX_WORKLOAD_ISSUERS = 8;
const MAX_WORKLOADS = 100;
const KEYS = ["issuer", "audience", "claims"];
/** Checked by the worker itself, whatever the entry says: they cannot be "required claims". */
const CHECKED_CLAIMS = new Set(["iss", "aud", "exp", "iat", "nbf", "email_verified"]);

/**
 * Claims that say *who* the caller is, per well-known issuer. Anyone can get a token from these
 * issuers for any audience they like (a workflow in any repository chooses its `audience`; any
 * Google service account can ask for any `--audiences`), so an entry that names none of them
 * would admit every GitHub repository or every service account in the world.
 */
const IDENTIFYING_CLAIMS: { issuer: (issuer: string) => boolean; claims: string[] }[] = [
  {
    // GitHub Enterprise Cloud can give an enterprise its own issuer below this one.
    issuer: (issuer) => issuer === GITHUB_ACTIONS_ISSUER || issuer.startsWith(`${GITHUB_ACTIONS_ISSUER}/`),
    claims: ["repository", "repository_id", "repository_owner", "repository_owner_id", "sub"],
  },
  {
    issuer: (issuer) => issuer === "https://accounts.google.com",
    claims: ["email", "sub", "azp"],
  },
];

function parseClaims(value: unknown, label: string, problems: string[]): Record<string, string> | undefined {
  if (!isObject(value)) {
    problems.push(`${label} "claims": must be an object of claim names to exact string values${fix("claimsExample")}`);
    return undefined;
  }
  const claims: Record<string, string> = {};
  for (const [name, expected] of Object.entries(value)) {
    if (CHECKED_CLAIMS.has(name))
      problems.push(`${label} "claims.${name}": not allowed here${fix("checkedClaim", name)}`);
    else if (typeof expected !== "string" || expected === "")
      problems.push(`${label} "claims.${name}": must be a non-empty string${fix("claimValue")}`);
    else claims[name] = expected;
  }
  if (Object.keys(value).length === 0) problems.push(`${label} "claims": empty${fix("claimsEmpty")}`);
  return claims;
}

function parseWorkload(name: string, value: unknown, problems: string[]): TrustedWorkload | undefined {
  const label = `TRUSTED_WORKLOADS "${name}"`;
  const before = problems.length;
  if (!WORKLOAD_NAME.test(name))
    problems.push(`${label}: the name may hold only letters, digits, ".", "_" and "-" (at most 64)`);
  if (!isObject(value)) {
    problems.push(`${label}: must be an object${fix("workloadExample")}`);
    return undefined;
  }
  unknownKeys(value, KEYS, label, problems);
  const { issuer, audience } = value;
  if (typeof issuer !== "string" || issuer === "")
    problems.push(`${label}: "issuer" is required${fix("workloadIssuerExample")}`);
  else httpUrl(`${label} "issuer"`, issuer, problems, true);
  if (typeof audience !== "string" || audience.trim() === "")
    problems.push(`${label}: "audience" is required${fix("workloadAudience")}`);
  const claims = parseClaims(value.claims, label, problems);
  if (claims && typeof issuer === "string") {
    const known = IDENTIFYING_CLAIMS.find((entry) => entry.issuer(issuer));
    if (known && Object.keys(claims).length > 0 && !known.claims.some((claim) => claim in claims)) {
      problems.push(
        `${label} "claims": names none of ${known.claims.join(", ")}${fix("identifyingClaim", known.claims[0]!)}`,
      );
    }
  }
  if (problems.length > before || typeof issuer !== "string" || typeof audience !== "string" || !claims)
    return undefined;
  return { name, issuer, audience, claims };
}

export interface TrustedWorkloads {
  workloads: readonly TrustedWorkload[];
  /** Every name written, valid or not: ACCESS_POLICY's check needs no second problem for a broken entry. */
  names: ReadonlySet<string>;
}

const NONE: TrustedWorkloads = { workloads: [], names: new Set() };

/**
 * TRUSTED_WORKLOADS (a JSON object keyed by name, as a string or as wrangler's parsed JSON var):
 * every entry checked, every problem pushed. Unset or blank: no workloads.
 */
export function parseTrustedWorkloads(raw: unknown, problems: string[]): TrustedWorkloads {
  const parsed = jsonVar("TRUSTED_WORKLOADS", raw, problems);
  if (!parsed) return NONE;
  const { value } = parsed;
  if (!isObject(value)) {
    problems.push(`TRUSTED_WORKLOADS: must be a JSON object of named workloads${fix("workloadsExample")}`);
    return NONE;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_WORKLOADS)
    problems.push(`TRUSTED_WORKLOADS: ${entries.length} workloads; at most ${MAX_WORKLOADS}`);
  const workloads = entries.flatMap(([name, entry]) => parseWorkload(name, entry, problems) ?? []);
  const issuers = new Set(workloads.map((workload) => workload.issuer));
  if (issuers.size > MAX_WORKLOAD_ISSUERS)
    problems.push(
      `TRUSTED_WORKLOADS: ${issuers.size} issuers; at most ${MAX_WORKLOAD_ISSUERS}${fix("tooManyIssuers")}`,
    );
  return { workloads, names: new Set(entries.map(([name]) => name)) };
}
