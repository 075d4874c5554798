import type { OidcProvider } from "../config/oidc-providers";
import { getProvider } from "./provider-metadata";

/**
 * Where a person signs out of the provider itself: its `end_session_endpoint` with our
 * `client_id`, or undefined when it has none (Google has none) or cannot be reached just now.
 * Only the question the provider asks is linked to; nothing is signed out from here.
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 */
export async function providerSignOutUrl(config: OidcProvider, nowMs: number): Promise<string | undefined> {
  let endpoint: unknown;
  try {
    endpoint = (await getProvider(config, nowMs)).as.end_session_endpoint;
  } catch {
    return undefined;
  }
  if (typeof endpoint !== "string" || !URL.canParse(endpoint)) return undefined;
  const url = new URL(endpoint);
  // The issuer's own scheme (http only for a loopback issuer, which the config checks).
  if (url.protocol !== new URL(config.issuer).protocol) return undefined;
  url.searchParams.set("client_id", config.clientId);
  return url.href;
}
