import { decodeJwt, jwtVerify, SignJWT } from "jose";
import type { Config } from "../config/parse-config";
import { clearCookie, LOGIN_COOKIE_PREFIX, readCookie, readCookiesWithPrefix, serializeCookie } from "../http/cookies";

/**
 * A login in progress lives in its own cookie, `__Host-login-<first 16 chars of state>`, so
 * several tabs can sign in at once without a KV write per attempt. The value is a JWT signed
 * with our session key (integrity: nobody can swap the nonce, verifier or return_to); it is
 * HttpOnly and bound to this browser, which is what PKCE and `state` need.
 */
export interface LoginTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

const LOGIN_TOKEN_TYPE = "login+jwt";
/** How long a user may spend at the provider's login page, seconds. */
export const LOGIN_TTL_SECONDS = 600;
/** Logins in progress per browser; starting another drops the oldest. */
export const MAX_PENDING_LOGINS = 5;

export function loginCookieName(state: string): string {
  return `${LOGIN_COOKIE_PREFIX}${state.slice(0, 16)}`;
}

function audience(issuer: string, config: Config) {
  return `${issuer}${config.authPrefix}/callback`;
}

/** The Set-Cookie values that store `tx` and drop the oldest pending logins beyond the bound. */
export async function saveLoginTransaction(request: Request, config: Config, issuer: string, tx: LoginTransaction, nowSeconds: number): Promise<string[]> {
  const { kid, alg, key } = config.sessionKeys.signing;
  const value = await new SignJWT({ st: tx.state, nonce: tx.nonce, cv: tx.codeVerifier, rt: tx.returnTo })
    .setProtectedHeader({ alg, kid, typ: LOGIN_TOKEN_TYPE })
    .setIssuer(issuer)
    .setAudience(audience(issuer, config))
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + LOGIN_TTL_SECONDS)
    .sign(key);
  const pending = readCookiesWithPrefix(request.headers.get("cookie"), LOGIN_COOKIE_PREFIX)
    .map(({ name, value }) => {
      try {
        return { name, iat: Number(decodeJwt(value).iat) || 0 };
      } catch {
        return { name, iat: 0 };
      }
    })
    .sort((a, b) => b.iat - a.iat);
  const dropped = pending.slice(MAX_PENDING_LOGINS - 1).map(({ name }) => clearCookie(name));
  return [...dropped, serializeCookie(loginCookieName(tx.state), value, LOGIN_TTL_SECONDS)];
}

/** The transaction this callback's `state` belongs to, if this browser started it and it is intact. */
export async function readLoginTransaction(request: Request, config: Config, issuer: string, state: string, nowSeconds: number): Promise<LoginTransaction | undefined> {
  const value = readCookie(request.headers.get("cookie"), loginCookieName(state));
  if (!value) return undefined;
  try {
    const { payload } = await jwtVerify(value, config.sessionKeys.verificationKeys, {
      algorithms: config.sessionKeys.algorithms,
      typ: LOGIN_TOKEN_TYPE,
      issuer,
      audience: audience(issuer, config),
      requiredClaims: ["exp", "iat"],
      currentDate: new Date(nowSeconds * 1000),
    });
    const { st, nonce, cv, rt } = payload;
    if (typeof st !== "string" || typeof nonce !== "string" || typeof cv !== "string" || typeof rt !== "string") return undefined;
    return { state: st, nonce, codeVerifier: cv, returnTo: rt };
  } catch {
    return undefined;
  }
}
