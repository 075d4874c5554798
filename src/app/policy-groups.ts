import { policyGroupsOf } from "../google/directory-groups";
import type { Identity } from "../identity";
import type { RequestContext } from "./request-context";

/**
 * The identity with its policy groups looked up now (at sign-in and at every refresh): only the
 * groups ACCESS_POLICY names, so a session carries no more than the policy needs. Without group
 * rules, any groups an older session carried are dropped. A directory outage throws
 * ERR_DIRECTORY_UNAVAILABLE: nobody is let in on groups the worker could not check. Only people
 * who signed in at a Google provider have groups.
 */
export async function withPolicyGroups(ctx: RequestContext, identity: Identity): Promise<Identity> {
  const { groups: _previous, ...person } = identity;
  const { policy, groupDirectory, providers } = ctx.config;
  if (policy.groups.length === 0 || !groupDirectory) return person;
  // The directory knows Google accounts by address: another provider's person with the same
  // address is someone else, and is in no Workspace group.
  if (!providers.some((provider) => provider.id === identity.provider && provider.google)) return person;
  const groups = await policyGroupsOf(groupDirectory, policy.groups, identity.email, ctx.nowMs);
  return groups.length > 0 ? { ...person, groups } : person;
}
