import * as oauth from "oauth4webapi";
import type { GroupDirectory } from "../config/google-groups";
import { AuthError } from "../errors";
import { tokenEndpointFailure } from "../log";
import { BoundedCache } from "../util/bounded-cache";
import { signJwt } from "../tokens/our-jwt";

/** Read-only membership checks (members.hasMember), and nothing else. */
export const DIRECTORY_SCOPE = "https://www.googleapis.com/auth/admin.directory.group.member.readonly";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/** Google accepts service-account assertions that live at most an hour. */
const ASSERTION_TTL_SECONDS = 3600;
/** A cached token is renewed this long before it expires, so none expires on its way to Google. */
const RENEW_BEFORE_SECONDS = 60;
/** How long one call to Google's token endpoint or directory may take. */
export const DIRECTORY_TIMEOUT_MS = 5_000;

/** Access tokens per isolate: one per service account (more only in tests that vary it). Never a failure. */
const tokens = new BoundedCache<Promise<string>>(4);

const keyOf = (directory: GroupDirectory) =>
  `${directory.clientEmail}\n${directory.adminEmail ?? ""}\n${directory.tokenUrl}`;

/** The directory's failure: fail closed (503 page), and the log says which call and why. */
export const directoryUnavailable = (detail: string, cause?: unknown) =>
  new AuthError("ERR_DIRECTORY_UNAVAILABLE", { detail, cause });

/**
 * RFC 7523 2.1: the service account proves itself with the JWT it signs (no client secret), so
 * nothing else goes into the request; oauth4webapi sends the grant and checks the answer.
 */
const assertionOnly: oauth.ClientAuth = () => {};

async function requestToken(
  directory: GroupDirectory,
  nowMs: number,
): Promise<{ token: string; expiresInSeconds: number }> {
  const nowSeconds = Math.floor(nowMs / 1000);
  const header = { alg: "RS256", typ: "JWT", ...(directory.keyId ? { kid: directory.keyId } : {}) };
  const claims = {
    scope: DIRECTORY_SCOPE,
    iss: directory.clientEmail,
    aud: directory.tokenUrl,
    iat: nowSeconds,
    exp: nowSeconds + ASSERTION_TTL_SECONDS,
    // Domain-wide delegation: `sub` is the administrator to act as. Without it, no `sub`: the
    // service account acts as itself, with the admin role assigned to it.
    ...(directory.adminEmail ? { sub: directory.adminEmail } : {}),
  };
  const assertion = await signJwt(header, claims, directory.privateKey);
  const tokenUrl = new URL(directory.tokenUrl);
  const as: oauth.AuthorizationServer = { issuer: tokenUrl.origin, token_endpoint: tokenUrl.href };
  const client: oauth.Client = { client_id: directory.clientEmail };
  const http = tokenUrl.protocol === "http:" ? { [oauth.allowInsecureRequests]: true } : {};
  try {
    const response = await oauth.genericTokenEndpointRequest(
      as,
      client,
      assertionOnly,
      JWT_BEARER,
      { assertion },
      { ...http, signal: AbortSignal.timeout(DIRECTORY_TIMEOUT_MS) },
    );
    const result = await oauth.processGenericTokenEndpointResponse(as, client, response);
    return { token: result.access_token, expiresInSeconds: result.expires_in ?? ASSERTION_TTL_SECONDS };
  } catch (error) {
    throw directoryUnavailable(tokenEndpointFailure(error), error);
  }
}

/**
 * An access token for the directory, from the service account's signed JWT (jose) exchanged at
 * GOOGLE_OAUTH_TOKEN_URL (oauth4webapi). Cached per isolate until a minute before it expires;
 * concurrent requests share one exchange; a failure is never kept. `nowMs`: the request's clock.
 */
export function directoryAccessToken(directory: GroupDirectory, nowMs: number): Promise<string> {
  const key = keyOf(directory);
  const cached = tokens.get(key, nowMs);
  if (cached) return cached;
  const pending: Promise<string> = requestToken(directory, nowMs).then(({ token, expiresInSeconds }) => {
    tokens.set(key, pending, nowMs + Math.max(0, expiresInSeconds - RENEW_BEFORE_SECONDS) * 1000);
    return token;
  });
  // While in flight, other requests wait for this exchange rather than start their own.
  tokens.set(key, pending, nowMs + DIRECTORY_TIMEOUT_MS);
  pending.catch(() => tokens.deleteIf(key, pending));
  return pending;
}

/** Drops the cached token (Google said 401: revoked or the key was rotated), so the next call gets a new one. */
export function forgetDirectoryToken(
  directory: GroupDirectory,
  token: Promise<string> | undefined = tokens.get(keyOf(directory), 0),
): void {
  if (token) tokens.deleteIf(keyOf(directory), token);
}
