import type { Config } from "../config/parse-config";
import type { Identity } from "../identity";

/**
 * ALLOWED_EMAILS (exact, case-insensitive) or ALLOWED_DOMAINS against the ID token's `hd`
 * claim: Google's statement that the account belongs to that Workspace. The e-mail's suffix
 * proves nothing (a consumer account can carry any address), so it is never consulted.
 * Applied at sign-in and again at every refresh, by the caller, never inside storage.
 */
export function isAllowed(config: Config, identity: Identity): boolean {
  if (config.allowedEmails.has(identity.email.toLowerCase())) return true;
  if (config.allowAnyVerifiedEmail) return true;
  return typeof identity.hd === "string" && config.allowedDomains.has(identity.hd.toLowerCase());
}
