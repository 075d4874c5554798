import type { Allow } from "../config/access-policy";
import type { AccessPolicy } from "../config/policy-checks";
import type { Identity } from "../identity";

/**
 * Whether one rule's allowlist lets this person in: an e-mail (exact, case-insensitive), a
 * Workspace domain against the ID token's `hd` claim (Google's statement that the account belongs
 * to that Workspace; the e-mail's suffix proves nothing, since a consumer account can carry any
 * address), or a group the directory said they are in. Workload names never admit a person.
 */
export function admits(allow: Allow, identity: Identity): boolean {
  if (allow.emails.has(identity.email.toLowerCase())) return true;
  if (allow.anyVerifiedEmail) return true;
  if (typeof identity.hd === "string" && allow.domains.has(identity.hd.toLowerCase())) return true;
  return identity.groups?.some((group) => allow.groups.has(group)) ?? false;
}

/**
 * Whether the person may sign in at all: some rule of the policy (the default rule included)
 * lets them in somewhere. Applied at sign-in and again at every refresh, by the caller, never
 * inside storage; each request is then checked against its own rule (access-decision.ts).
 */
export function isAllowed(policy: AccessPolicy, identity: Identity): boolean {
  return policy.rules.some((rule) => rule.allow !== "public" && admits(rule.allow, identity));
}
