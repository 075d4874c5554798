import * as oauth from "oauth4webapi";
import type { Config } from "../config/parse-config";
import { safeReturnTo } from "../http/return-to";
import { saveLoginTransaction } from "./login-transaction";
import { getProvider } from "./provider-metadata";

/** Scopes we ask for: nothing beyond who the user is (`email` brings `email_verified` and `hd`). */
export const SCOPES = "openid email";

export function redirectUri(config: Config, issuer: string): string {
  return `${issuer}${config.authPrefix}/callback`;
}

/**
 * Starts the authorization-code flow (contract 2, login): fresh `state`, `nonce` and PKCE S256
 * verifier, kept in this browser's login cookie; returns the provider URL and the cookies.
 */
/** `prompt` values a sign-in link may ask the provider for (OpenID Connect Core 3.1.2.1). */
export const ALLOWED_PROMPTS = new Set(["select_account", "login"]);

export async function startSignIn(request: Request, config: Config, issuer: string, returnTo: string | null, nowSeconds: number, prompt?: string) {
  const provider = await getProvider(config);
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(provider.as.authorization_endpoint!);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", config.clientId);
  url.searchParams.set("redirect_uri", redirectUri(config, issuer));
  url.searchParams.set("scope", SCOPES);
  url.searchParams.set("state", state);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  if (prompt && ALLOWED_PROMPTS.has(prompt)) url.searchParams.set("prompt", prompt);
  const setCookies = await saveLoginTransaction(request, config, issuer, { state, nonce, codeVerifier, returnTo: safeReturnTo(returnTo) }, nowSeconds);
  return { location: url.href, setCookies };
}
