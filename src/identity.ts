/**
 * Who a session belongs to: the provider's verified claims we keep (docs/reference.md, "Headers the origin receives"), and the
 * policy's groups the person was found in, and the shapes a `sub` and an e-mail address must have
 * to be part of one. A neutral module: oidc produces identities, the directory adds groups,
 * session stores keep them, proxy forwards them.
 */
export interface Identity {
  /**
   * The id of the OpenID provider the person signed in at (OIDC_PROVIDERS, docs/providers.md):
   * `sub` is unique only there, so a person is the pair (provider, `sub`); see personKey().
   */
  provider: string;
  /** The provider's `sub`: the stable user key at that provider. */
  sub: string;
  /** The verified e-mail address, lowercased. */
  email: string;
  /** Google Workspace domain (`hd` claim), when the provider sent one. */
  hd?: string;
  /**
   * When the person last signed in at the provider (its `auth_time`), seconds since epoch; absent
   * when the provider did not say. A rule's `maxAge` reads it (docs/access-policies.md, "A fresh sign-in for sensitive paths").
   */
  authTime?: number;
  /**
   * Groups named in ACCESS_POLICY that the person belongs to, lowercased and sorted (never every
   * group they have). Absent when the policy names no groups.
   */
  groups?: readonly string[];
}

/**
 * A machine caller as the origin learns of it (docs/access-policies.md, "Machines as callers"): the TRUSTED_WORKLOADS entry its OIDC
 * token satisfied, and who the token says it is. Never a person: it has no session, no cookie,
 * no groups, and no rule's `emails`, `domains` or `groups` admit it.
 */
export interface Workload {
  /** The TRUSTED_WORKLOADS name (X-Auth-Workload). */
  name: string;
  /** The token's `sub` (a GitHub job's `repo:org/app:ref:refs/heads/main`, a service account's id). */
  sub: string;
  /** The token's e-mail, lowercased, only when it carries `email_verified: true`. */
  email?: string;
}

/**
 * The id of the one provider configured with OIDC_ISSUER/OIDC_CLIENT_ID (no OIDC_PROVIDERS), and
 * of everything signed before providers had ids: its people keep their bare `sub` as their key.
 */
export const DEFAULT_PROVIDER_ID = "default";

/**
 * What sessions, revocation, the session list, the Durable Object's name and metrics know a
 * person by: `sub` at the default provider (so a deployment's sessions outlive adding
 * providers), `<provider> <sub>` at any other. No `sub` holds a space (PRINTABLE_SUB), so no
 * provider's person can take another's key.
 */
export function personKey(identity: { provider?: string; sub: string }): string {
  // A stored record from before providers had ids has none: it is the default provider's.
  return identity.provider === undefined || identity.provider === DEFAULT_PROVIDER_ID
    ? identity.sub
    : `${identity.provider} ${identity.sub}`;
}

/** A `sub` that can travel in a header to the origin: printable ASCII, as Google's (digits) always is. */
export const PRINTABLE_SUB = /^[\x21-\x7e]{1,255}$/;

/**
 * The one e-mail rule, for configuration and for ID tokens alike: one `@`, printable ASCII
 * only, no commas (the address travels in X-Auth-User-Email and in comma-separated lists;
 * control characters would break a header, non-ASCII would reach the origin as raw UTF-8 that
 * header parsers read as Latin-1 or refuse; Google's addresses are always ASCII), at most 254
 * characters (RFC 5321's path limit).
 */
const EMAIL = /^[\x21-\x2b\x2d-\x3f\x41-\x7e]+@[\x21-\x2b\x2d-\x3f\x41-\x7e]+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

/** At most this many groups travel with a session (the policy may name no more). */
const MAX_GROUPS = 20;

function groupsOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_GROUPS || !value.every((group) => typeof group === "string"))
    return undefined;
  return value;
}

/** The Identity in any record or claim set that carries one; drops every other field. */
export function identityOf(source: {
  provider?: unknown;
  sub: string;
  email: string;
  hd?: unknown;
  authTime?: unknown;
  groups?: unknown;
}): Identity {
  // A record or token from before providers had ids is the default provider's.
  const provider = typeof source.provider === "string" ? source.provider : DEFAULT_PROVIDER_ID;
  const identity: Identity = { provider, sub: source.sub, email: source.email };
  if (typeof source.hd === "string") identity.hd = source.hd;
  if (typeof source.authTime === "number" && Number.isSafeInteger(source.authTime)) identity.authTime = source.authTime;
  const groups = groupsOf(source.groups);
  if (groups && groups.length > 0) identity.groups = groups;
  return identity;
}
