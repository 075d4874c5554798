import { namesNobody, type Allow } from "../config/access-policy";
import type { AccessPolicy } from "../config/policy-checks";
import type { Identity } from "../identity";

/**
 * Whether one rule's allowlist lets this person in: an e-mail (exact, case-insensitive), a
 * Workspace domain against the ID token's `hd` claim (Google's statement that the account belongs
 * to that Workspace; the e-mail's suffix proves nothing, since a consumer account can carry any
 * address), or a group the directory said they are in. Workload names never admit a person.
 * A rule's `providers` comes first, as a condition: only their people, and all of them when the
 * rule names nobody else.
 */
export function admits(allow: Allow, identity: Identity): boolean {
  if (allow.providers && !allow.providers.has(identity.provider)) return false;
  if (allow.providers && namesNobody(allow)) return true;
  if (allow.emails.has(identity.email.toLowerCase())) return true;
  if (allow.anyVerifiedEmail) return true;
  if (typeof identity.hd === "string" && allow.domains.has(identity.hd.toLowerCase())) return true;
  return identity.groups?.some((group) => allow.groups.has(group)) ?? false;
}

/**
 * Whether the person may sign in at all: some rule of the policy (the default rule included)
 * lets them in somewhere. Applied at sign-in and again at every refresh, by the caller, never
 * inside storage; each request is then checked against its own rule (access-decision.ts).
 * Nobody from a provider that is no longer configured may.
 */
export function isAllowed(policy: AccessPolicy, identity: Identity): boolean {
  if (!policy.providers.has(identity.provider)) return false;
  return policy.rules.some((rule) => rule.allow !== "public" && admits(rule.allow, identity));
}
