import type { GroupDirectory } from "../config/google-groups";
import { logEvent } from "../log";
import {
  directoryAccessToken,
  DIRECTORY_TIMEOUT_MS,
  directoryUnavailable,
  forgetDirectoryToken,
} from "./service-account-token";

/**
 * One membership question to the Admin SDK Directory API: members.hasMember
 * (GET /admin/directory/v1/groups/{group}/hasMember/{member}). It answers for direct members,
 * and for nested ones when the group and the person are in the same Workspace domain.
 */
async function hasMember(directory: GroupDirectory, token: string, group: string, email: string): Promise<boolean> {
  const url = `${directory.apiBaseUrl}/admin/directory/v1/groups/${encodeURIComponent(group)}/hasMember/${encodeURIComponent(email)}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      signal: AbortSignal.timeout(DIRECTORY_TIMEOUT_MS),
    });
  } catch (error) {
    throw directoryUnavailable("directory unreachable", error);
  }
  if (response.status === 200) {
    const body = (await response.json().catch(() => null)) as { isMember?: unknown } | null;
    if (typeof body?.isMember !== "boolean") throw directoryUnavailable("hasMember: not the expected answer");
    return body.isMember;
  }
  await response.body?.cancel();
  // A definite "no": Google answers 404 for a group or member it does not know, and 400 when a
  // nested membership crosses domains (an outside account can only be a direct member).
  if (response.status === 404 || response.status === 400) {
    logEvent("warn", "group_lookup_refused", { group, status: response.status });
    return false;
  }
  // 401: the token was revoked or the key rotated; the next request gets a fresh one. 403: the
  // service account lacks the role or the delegation (docs/access-policies.md, "Google Workspace groups").
  if (response.status === 401) forgetDirectoryToken(directory);
  throw directoryUnavailable(`hasMember: HTTP ${response.status}`);
}

/**
 * Which of `groups` (the policy's, never more) the person with this verified e-mail belongs to,
 * asked of the directory all at once. Any failure throws ERR_DIRECTORY_UNAVAILABLE: the caller
 * fails closed rather than guess. `nowMs` is the request's clock (for the token cache).
 */
export async function policyGroupsOf(
  directory: GroupDirectory,
  groups: readonly string[],
  email: string,
  nowMs: number,
): Promise<string[]> {
  if (groups.length === 0) return [];
  const token = await directoryAccessToken(directory, nowMs);
  const answers = await Promise.all(groups.map((group) => hasMember(directory, token, group, email)));
  return groups.filter((_, index) => answers[index]);
}
