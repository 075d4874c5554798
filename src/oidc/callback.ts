import { jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import type { OidcProvider } from "../config/oidc-providers";
import { AuthError } from "../errors";
import { identityOf, isEmailAddress, PRINTABLE_SUB, type Identity } from "../identity";
import { tokenEndpointFailure } from "../log";
import type { LoginTransaction } from "../tokens/login-token";
import { ASYMMETRIC_ALGORITHMS } from "../util/issuer-rules";
import { keySetUnavailable } from "../util/jose-codes";
import { getProvider, type Provider } from "./provider-metadata";
import { ISSUER_TIMEOUT_MS } from "./remote-issuer";
import { callbackUrl, type SignInScope } from "./sign-in-scope";

const CLOCK_TOLERANCE_SECONDS = 60;

/** True when oauth4webapi refused the token response's body itself (not the ID token's claims in it). */
function isResponseBodyProblem(error: oauth.OperationProcessingError | oauth.UnsupportedOperationError): boolean {
  const cause = error.cause;
  return typeof cause === "object" && cause !== null && "body" in cause;
}

/**
 * Whose fault a failed code exchange is. The request's (400): `invalid_grant` (RFC 6749 5.2: the
 * code is spent, expired or another client's, e.g. a replayed callback) and an ID token whose
 * claims do not fit this sign-in. Everything else is the provider misbehaving (502, the
 * sign-in-service page): no answer, a 5xx, an error that is not OAuth JSON, any other OAuth
 * error (invalid_client and the like are the deployment's, not the person's), a body that is
 * not JSON or lacks the tokens.
 */
function providerFailure(error: unknown, issuerOwner: (iss: unknown) => string): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof oauth.OperationProcessingError && error.code === oauth.JWT_CLAIM_COMPARISON) {
    const cause = error.cause as { claim?: unknown; claims?: { iss?: unknown } } | undefined;
    // An ID token of another issuer through this provider's token endpoint: a mix-up (RFC 9700 4.4).
    if (cause?.claim === "iss")
      return new AuthError("ERR_ISSUER_MISMATCH", { detail: `id_token iss is ${issuerOwner(cause.claims?.iss)}` });
  }
  if (error instanceof oauth.ResponseBodyError && error.status < 500 && error.error === "invalid_grant") {
    return new AuthError("ERR_BAD_REQUEST", { detail: "token endpoint: invalid_grant" });
  }
  if (error instanceof oauth.OperationProcessingError || error instanceof oauth.UnsupportedOperationError) {
    const claimCheck = error.code === oauth.JWT_CLAIM_COMPARISON || error.code === oauth.JWT_TIMESTAMP_CHECK;
    const tokenProblem =
      (error.code === oauth.INVALID_RESPONSE || error.code === oauth.UNSUPPORTED_OPERATION) &&
      !isResponseBodyProblem(error);
    if (claimCheck || tokenProblem) return new AuthError("ERR_ID_TOKEN_INVALID", { cause: error });
  }
  return new AuthError("ERR_PROVIDER_UNAVAILABLE", { detail: tokenEndpointFailure(error), cause: error });
}

/** RFC 6749 5.1: a token response is `application/json`; anything else is not one, whatever it parses as. */
function assertJsonTokenResponse(response: Response): void {
  const type = (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (response.ok && type !== "application/json")
    throw new AuthError("ERR_PROVIDER_UNAVAILABLE", {
      detail: `token endpoint: content-type ${type.slice(0, 40) || "missing"}`,
    });
}

/**
 * OpenID Connect Core 3.1.3.7 step 6, which oauth4webapi leaves to TLS: the signature itself; and
 * with it the claims this sign-in binds the token to (`aud` exactly, `azp`, `nonce`, `iat`).
 */
async function verifyIdTokenSignature(
  provider: Provider,
  config: OidcProvider,
  idToken: string,
  nonce: string,
  nowSeconds: number,
) {
  try {
    const algorithms = (provider.as.id_token_signing_alg_values_supported ?? ["RS256"]).filter((alg) =>
      ASYMMETRIC_ALGORITHMS.includes(alg),
    );
    const { payload } = await jwtVerify(idToken, provider.jwks, {
      algorithms,
      issuer: provider.issuers,
      audience: config.clientId,
      requiredClaims: ["sub", "iat", "exp", "nonce"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowSeconds * 1000),
    });
    // `aud` must be exactly our client id, no extra audiences (OpenID Connect Core 3.1.3.7, step 3).
    const aud = payload.aud;
    if (!(aud === config.clientId || (Array.isArray(aud) && aud.length === 1 && aud[0] === config.clientId)))
      throw new AuthError("ERR_ID_TOKEN_INVALID", { detail: "aud is not exactly our client id" });
    // Core 3.1.3.7 step 5: an `azp`, when present, must be us.
    if (payload.azp !== undefined && payload.azp !== config.clientId)
      throw new AuthError("ERR_ID_TOKEN_INVALID", { detail: "azp is not our client id" });
    if (payload.nonce !== nonce) throw new AuthError("ERR_ID_TOKEN_INVALID", { detail: "nonce is not this sign-in's" });
    if ((payload.iat ?? 0) > nowSeconds + CLOCK_TOLERANCE_SECONDS)
      throw new AuthError("ERR_ID_TOKEN_INVALID", { detail: "iat is in the future" });
    return payload;
  } catch (error) {
    if (error instanceof AuthError) throw error;
    if (keySetUnavailable(error))
      throw new AuthError("ERR_PROVIDER_UNAVAILABLE", { detail: "jwks fetch failed", cause: error });
    throw new AuthError("ERR_ID_TOKEN_INVALID", { cause: error });
  }
}

/**
 * The sign-in's `auth_time`. With `maxAge` (the `max_age` this sign-in sent), it must be there and
 * at most `maxAge` seconds old, with the clock tolerance (OpenID Connect Core 3.1.3.7 step 13);
 * accepted, it counts as that recent from now on, so a provider's clock a little behind ours never
 * sends the person straight back to sign in again (docs/access-policies.md, "A fresh sign-in for sensitive paths").
 */
function recentEnough(authTime: unknown, maxAge: number | undefined, nowSeconds: number): number | undefined {
  const known = typeof authTime === "number" && Number.isSafeInteger(authTime) ? authTime : undefined;
  if (maxAge === undefined) return known;
  if (known === undefined) throw new AuthError("ERR_ID_TOKEN_INVALID", { detail: "no auth_time for max_age" });
  if (known < nowSeconds - maxAge - CLOCK_TOLERANCE_SECONDS)
    throw new AuthError("ERR_ID_TOKEN_INVALID", { detail: `auth_time older than max_age ${maxAge}` });
  return Math.min(nowSeconds, Math.max(known, nowSeconds - maxAge));
}

/**
 * Completes the flow at `at`, the provider the login transaction was sent to (docs/reference.md,
 * "Routes"; OpenID Connect Core 3.1.3.7): `state`, the code exchange with the PKCE verifier at
 * that provider's token endpoint, full ID-token validation against that provider's issuer and
 * keys, `email_verified === true`. Returns who signed in; the caller applies the policy.
 */
export async function completeSignIn(
  scope: SignInScope,
  at: OidcProvider,
  callbackRequestUrl: URL,
  tx: LoginTransaction,
): Promise<Identity> {
  const { config, nowSeconds } = scope;
  const provider = await getProvider(at, nowSeconds * 1000);
  /** Who an issuer is, for the log: a configured provider's id, never the value itself. */
  const issuerOwner = (value: unknown) => {
    const owner = config.providers.find((each) => each.issuer === value);
    return owner ? `provider "${owner.id}"'s, not "${at.id}"'s` : `not provider "${at.id}"'s`;
  };
  // RFC 9207: an `iss` parameter naming another provider (or missing where the provider
  // promises one) is a mix-up attack (RFC 9700 4.4), not a stale state.
  const iss = callbackRequestUrl.searchParams.get("iss");
  if (iss === null && provider.as.authorization_response_iss_parameter_supported === true)
    throw new AuthError("ERR_ISSUER_MISMATCH", { detail: `authorization response without iss from "${at.id}"` });
  if (iss !== null && iss !== provider.as.issuer)
    throw new AuthError("ERR_ISSUER_MISMATCH", { detail: `authorization response iss is ${issuerOwner(iss)}` });
  let parameters: URLSearchParams;
  try {
    parameters = oauth.validateAuthResponse(provider.as, provider.client, callbackRequestUrl.searchParams, tx.state);
  } catch (error) {
    throw new AuthError(
      error instanceof oauth.AuthorizationResponseError ? "ERR_PROVIDER_ERROR_RESPONSE" : "ERR_STATE_MISMATCH",
      { cause: error },
    );
  }

  let idToken: string;
  try {
    const response = await oauth.authorizationCodeGrantRequest(
      provider.as,
      provider.client,
      provider.clientAuth,
      parameters,
      callbackUrl(scope),
      tx.codeVerifier,
      {
        ...provider.httpOptions,
        signal: AbortSignal.timeout(ISSUER_TIMEOUT_MS),
      },
    );
    assertJsonTokenResponse(response);
    // oauth4webapi's processing for any grant: the ID token's claims as processAuthorizationCodeResponse
    // checks them, but for the nonce (verifyIdTokenSignature checks it, with the signature) and
    // auth_time against max_age (recentEnough checks it, with the clock tolerance). The code grant's own function, 0.4 KiB gzipped, would
    // only check the nonce a second time.
    const result = await oauth.processGenericTokenEndpointResponse(provider.as, provider.client, response);
    if (typeof result.id_token !== "string")
      throw new AuthError("ERR_PROVIDER_UNAVAILABLE", { detail: "token endpoint: no id_token" });
    idToken = result.id_token;
  } catch (error) {
    throw providerFailure(error, issuerOwner);
  }
  // Who signed in, read from the claims whose signature was checked.
  const claims = await verifyIdTokenSignature(provider, at, idToken, tx.nonce, nowSeconds);

  // Google sends a JSON boolean; a string "true" is not a verification (nor is "false" falsy).
  if (claims.email_verified !== true) throw new AuthError("ERR_EMAIL_NOT_VERIFIED");
  const email = typeof claims.email === "string" ? claims.email.toLowerCase() : "";
  if (!isEmailAddress(email)) throw new AuthError("ERR_EMAIL_NOT_VERIFIED", { detail: "no usable email" });
  if (typeof claims.sub !== "string" || !PRINTABLE_SUB.test(claims.sub))
    throw new AuthError("ERR_ID_TOKEN_INVALID", { detail: "sub" });
  return identityOf({
    authTime: recentEnough(claims.auth_time, tx.maxAge, nowSeconds),
    provider: at.id,
    sub: claims.sub,
    email,
    // `hd` is Google's statement about a Workspace account: from anyone else it proves nothing.
    hd: at.google && typeof claims.hd === "string" ? claims.hd.toLowerCase() : undefined,
  });
}
