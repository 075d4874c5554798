import { errors as joseErrors, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import type { Config } from "../config/parse-config";
import { AuthError } from "../errors";
import { identityOf, type Identity } from "../identity";
import type { LoginTransaction } from "../tokens/our-tokens";
import { isEmailAddress } from "../util/email";
import { getProvider, PROVIDER_TIMEOUT_MS, type Provider } from "./provider-metadata";
import { callbackUrl, type SignInScope } from "./sign-in-scope";

const CLOCK_TOLERANCE_SECONDS = 60;
/** A `sub` that can travel in a header: printable ASCII, as Google's (digits) always is. */
const SUB = /^[\x21-\x7e]{1,255}$/;
/** Signature algorithms we accept from a provider: asymmetric only (RFC 8725 3.1). */
const ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** Network failures and provider 5xx are the provider's fault (502); everything else is the request's (400). */
function providerFailure(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof oauth.ResponseBodyError && error.status < 500) return new AuthError("ERR_BAD_REQUEST", { detail: `token endpoint: ${error.error}` });
  if (error instanceof oauth.OperationProcessingError) {
    const claimProblem = [oauth.JWT_CLAIM_COMPARISON, oauth.JWT_TIMESTAMP_CHECK, oauth.INVALID_RESPONSE, oauth.UNSUPPORTED_OPERATION].includes(error.code!);
    if (claimProblem) return new AuthError("ERR_ID_TOKEN_INVALID", { cause: error });
  }
  return new AuthError("ERR_PROVIDER_UNAVAILABLE", { detail: "token endpoint failed", cause: error });
}

/** OpenID Connect Core 3.1.3.7 step 6, which oauth4webapi leaves to TLS: the signature itself. */
async function verifyIdTokenSignature(provider: Provider, config: Config, idToken: string, nonce: string, nowSeconds: number) {
  try {
    const algorithms = (provider.as.id_token_signing_alg_values_supported ?? ["RS256"]).filter((alg) => ID_TOKEN_ALGORITHMS.includes(alg));
    const { payload } = await jwtVerify(idToken, provider.jwks, {
      algorithms,
      issuer: provider.issuers,
      audience: config.clientId,
      requiredClaims: ["sub", "iat", "exp", "nonce"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowSeconds * 1000),
    });
    // The contract wants `aud` to be exactly our client id: no extra audiences.
    const aud = payload.aud;
    if (!(aud === config.clientId || (Array.isArray(aud) && aud.length === 1 && aud[0] === config.clientId))) throw new Error("aud");
    // Core 3.1.3.7 step 5: an `azp`, when present, must be us.
    if (payload.azp !== undefined && payload.azp !== config.clientId) throw new Error("azp");
    if (payload.nonce !== nonce) throw new Error("nonce");
    if ((payload.iat ?? 0) > nowSeconds + CLOCK_TOLERANCE_SECONDS) throw new Error("iat in the future");
    return payload;
  } catch (error) {
    if (error instanceof joseErrors.JWKSTimeout || error instanceof TypeError) throw new AuthError("ERR_PROVIDER_UNAVAILABLE", { detail: "jwks fetch failed", cause: error });
    throw new AuthError("ERR_ID_TOKEN_INVALID", { cause: error });
  }
}

/**
 * Completes the flow (contract 2, callback): `state`, the code exchange with the PKCE verifier,
 * full ID-token validation, `email_verified === true`. Returns who signed in; the caller applies
 * the policy.
 */
export async function completeSignIn(scope: SignInScope, callbackRequestUrl: URL, tx: LoginTransaction): Promise<Identity> {
  const { config, nowSeconds } = scope;
  const provider = await getProvider(config, nowSeconds * 1000);
  // RFC 9207: an `iss` parameter naming another provider (or missing where the provider
  // promises one) is a mix-up attack, not a stale state.
  const iss = callbackRequestUrl.searchParams.get("iss");
  if (iss === null ? provider.as.authorization_response_iss_parameter_supported === true : iss !== provider.as.issuer) throw new AuthError("ERR_ISSUER_MISMATCH");
  let parameters: URLSearchParams;
  try {
    parameters = oauth.validateAuthResponse(provider.as, provider.client, callbackRequestUrl.searchParams, tx.state);
  } catch (error) {
    throw new AuthError(error instanceof oauth.AuthorizationResponseError ? "ERR_PROVIDER_ERROR_RESPONSE" : "ERR_STATE_MISMATCH", { cause: error });
  }

  let claims: oauth.IDToken;
  let idToken: string;
  try {
    const response = await oauth.authorizationCodeGrantRequest(provider.as, provider.client, provider.clientAuth, parameters, callbackUrl(scope), tx.codeVerifier, {
      ...provider.httpOptions,
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
    const result = await oauth.processAuthorizationCodeResponse(provider.as, provider.client, response, {
      expectedNonce: tx.nonce,
      requireIdToken: true,
    });
    claims = oauth.getValidatedIdTokenClaims(result)!;
    idToken = result.id_token!;
  } catch (error) {
    throw providerFailure(error);
  }
  await verifyIdTokenSignature(provider, config, idToken, tx.nonce, nowSeconds);

  // Google sends a JSON boolean; a string "true" is not a verification (nor is "false" falsy).
  if (claims.email_verified !== true) throw new AuthError("ERR_EMAIL_NOT_VERIFIED");
  const email = typeof claims.email === "string" ? claims.email.toLowerCase() : "";
  if (!isEmailAddress(email)) throw new AuthError("ERR_EMAIL_NOT_VERIFIED", { detail: "no usable email" });
  if (typeof claims.sub !== "string" || !SUB.test(claims.sub)) throw new AuthError("ERR_ID_TOKEN_INVALID", { detail: "sub" });
  return identityOf({ sub: claims.sub, email, hd: typeof claims.hd === "string" ? claims.hd.toLowerCase() : undefined });
}
