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

/** The longest `max_age` a sign-in link may ask for, seconds (a year): a rule's maxAge is no longer. */
export const MAX_AGE_LIMIT_SECONDS = 31_536_000;

/** What a sign-in asks of the provider besides who: an account choice, a recent sign-in. */
export interface SignInOptions {
  prompt?: SignInPrompt;
  /** OpenID Connect Core 3.1.2.1 `max_age`, seconds: the provider signs the person in again if longer ago. */
  maxAge?: number;
  /** The sign-in is for this preview deployment (routes/relay.ts). */
  relay?: LoginTransaction["relay"];
}

/**
 * Starts the authorization-code flow at `at` (docs/reference.md, "Routes"): fresh `state`, `nonce`
 * and PKCE S256 verifier, kept in this browser's login cookie with the provider's id, so the
 * callback completes it at that provider only; returns the provider URL and the cookies.
 */
export async function startSignIn(
  scope: SignInScope,
  at: OidcProvider,
  returnTo: string | null,
  { prompt, maxAge, relay }: SignInOptions = {},
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
  if (maxAge !== undefined) url.searchParams.set("max_age", String(maxAge));
  const tx: LoginTransaction = {
    state,
    nonce,
    codeVerifier,
    returnTo: safeReturnTo(returnTo, scope.config.authPrefix),
    provider: at.id,
    ...(maxAge === undefined ? {} : { maxAge }),
    ...(relay ? { relay } : {}),
  };
  const setCookies = await saveLoginTransaction(scope, tx);
  return { location: url.href, setCookies };
}
