import { errors as joseErrors, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import type { Config } from "../config/parse-config";
import { AuthError } from "../errors";
import type { Identity } from "../session/identity";
import { isAllowed } from "./allowlist";
import { redirectUri } from "./authorize";
import type { LoginTransaction } from "./login-transaction";
import { getProvider, PROVIDER_TIMEOUT_MS, type Provider } from "./provider-metadata";

const CLOCK_TOLERANCE_SECONDS = 60;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
/** Signature algorithms we accept from a provider: asymmetric only (RFC 8725 3.1). */
const ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** Network failures and provider 5xx are the provider's fault (502); everything else is the request's (400). */
function providerFailure(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof oauth.ResponseBodyError && error.status < 500) return new AuthError(400, "ERR_BAD_REQUEST", `token endpoint: ${error.error}`);
  if (error instanceof oauth.OperationProcessingError) {
    const claimProblem = [oauth.JWT_CLAIM_COMPARISON, oauth.JWT_TIMESTAMP_CHECK, oauth.INVALID_RESPONSE, oauth.UNSUPPORTED_OPERATION].includes(error.code!);
    if (claimProblem) return new AuthError(400, "ERR_ID_TOKEN_INVALID", error.message.slice(0, 120));
  }
  return new AuthError(502, "ERR_PROVIDER_UNAVAILABLE", "token endpoint failed");
}

/** OpenID Connect Core 3.1.3.7 step 6, which oauth4webapi leaves to TLS: the signature itself. */
async function verifyIdTokenSignature(provider: Provider, config: Config, idToken: string, nonce: string) {
  try {
    const algorithms = (provider.as.id_token_signing_alg_values_supported ?? ["RS256"]).filter((alg) => ID_TOKEN_ALGORITHMS.includes(alg));
    const { payload } = await jwtVerify(idToken, provider.jwks, {
      algorithms,
      issuer: provider.issuers,
      audience: config.clientId,
      requiredClaims: ["sub", "iat", "exp", "nonce"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    // The contract wants `aud` to be exactly our client id: no extra audiences.
    const aud = payload.aud;
    if (!(aud === config.clientId || (Array.isArray(aud) && aud.length === 1 && aud[0] === config.clientId))) throw new Error("aud");
    // Core 3.1.3.7 step 5: an `azp`, when present, must be us.
    if (payload.azp !== undefined && payload.azp !== config.clientId) throw new Error("azp");
    if (payload.nonce !== nonce) throw new Error("nonce");
    if ((payload.iat ?? 0) > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) throw new Error("iat in the future");
    return payload;
  } catch (error) {
    if (error instanceof joseErrors.JWKSTimeout || error instanceof TypeError) throw new AuthError(502, "ERR_PROVIDER_UNAVAILABLE", "jwks fetch failed");
    throw new AuthError(400, "ERR_ID_TOKEN_INVALID", error instanceof Error ? error.message.slice(0, 120) : "invalid");
  }
}

/**
 * Completes the flow (contract 2, callback): `state`, the code exchange with the PKCE verifier,
 * full ID-token validation, `email_verified === true`, the allowlists. Returns who signed in.
 */
export async function completeSignIn(callbackUrl: URL, config: Config, issuer: string, tx: LoginTransaction): Promise<Identity> {
  const provider = await getProvider(config);
  let parameters: URLSearchParams;
  try {
    parameters = oauth.validateAuthResponse(provider.as, provider.client, callbackUrl.searchParams, tx.state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) throw new AuthError(400, "ERR_PROVIDER_ERROR_RESPONSE");
    const message = error instanceof Error ? error.message : "";
    throw new AuthError(400, /"iss"/.test(message) ? "ERR_ISSUER_MISMATCH" : "ERR_STATE_MISMATCH");
  }

  let claims: oauth.IDToken;
  let idToken: string;
  try {
    const response = await oauth.authorizationCodeGrantRequest(provider.as, provider.client, provider.clientAuth, parameters, redirectUri(config, issuer), tx.codeVerifier, {
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
  await verifyIdTokenSignature(provider, config, idToken, tx.nonce);

  // Google sends a JSON boolean; a string "true" is not a verification (nor is "false" falsy).
  if (claims.email_verified !== true) throw new AuthError(403, "ERR_EMAIL_NOT_VERIFIED");
  const email = typeof claims.email === "string" ? claims.email.toLowerCase() : "";
  if (!EMAIL.test(email) || email.length > 254) throw new AuthError(403, "ERR_EMAIL_NOT_VERIFIED", "no usable email");
  if (typeof claims.sub !== "string" || claims.sub.length === 0 || claims.sub.length > 255) throw new AuthError(400, "ERR_ID_TOKEN_INVALID", "sub");
  const identity: Identity = { sub: claims.sub, email, ...(typeof claims.hd === "string" ? { hd: claims.hd.toLowerCase() } : {}) };
  if (!isAllowed(config, identity)) throw new AuthError(403, "ERR_ACCOUNT_NOT_ALLOWED", `sub ${identity.sub}`, identity.email);
  return identity;
}
