import * as oauth from "oauth4webapi";
import type { OidcProvider } from "../config/oidc-providers";
import { safeReturnTo } from "../http/return-to";
import type { LoginTransaction } from "../tokens/login-token";
import { saveLoginTransaction } from "./login-transaction";
import { getProvider } from "./provider-metadata";
import { callbackUrl, type SignInScope } from "./sign-in-scope";

/** Scopes we ask for: nothing beyond who the user is (`email` brings `email_verified` and `hd`). */
const SCOPES = "openid email";

/** `prompt` values a sign-in link may ask the provider for (OpenID Connect Core 3.1.2.1). */
export type SignInPrompt = "select_account" | "login";

/** A sign-in link's `prompt`, when it is one of ours to pass on; anything else is dropped. */
export function signInPrompt(value: string | null): SignInPrompt | undefined {
  return value === "select_account" || value === "login" ? value : undefined;
}

/**
 * Starts the authorization-code flow at `at` (docs/reference.md, "Routes"): fresh `state`, `nonce`
 * and PKCE S256 verifier, kept in this browser's login cookie with the provider's id, so the
 * callback completes it at that provider only; returns the provider URL and the cookies.
 * With `relay`, the sign-in is for that preview deployment (routes/relay.ts).
 */
export async function startSignIn(
  scope: SignInScope,
  at: OidcProvider,
  returnTo: string | null,
  prompt?: SignInPrompt,
  relay?: LoginTransaction["relay"],
) {
  const provider = await getProvider(at, scope.nowSeconds * 1000);
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(provider.as.authorization_endpoint!);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", at.clientId);
  url.searchParams.set("redirect_uri", callbackUrl(scope));
  url.searchParams.set("scope", SCOPES);
  url.searchParams.set("state", state);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  if (prompt) url.searchParams.set("prompt", prompt);
  const tx: LoginTransaction = {
    state,
    nonce,
    codeVerifier,
    returnTo: safeReturnTo(returnTo, scope.config.authPrefix),
    provider: at.id,
    ...(relay ? { relay } : {}),
  };
  const setCookies = await saveLoginTransaction(scope, tx);
  return { location: url.href, setCookies };
}
