import { decodeJwt } from "jose";
import { AuthError } from "../errors";
import { clearCookie, LOGIN_COOKIE_PREFIX, serializeCookie } from "../http/cookies";
import {
  LOGIN_TTL_SECONDS,
  signLoginTransaction,
  verifyLoginTransaction,
  type LoginTransaction,
} from "../tokens/login-token";
import { callbackUrl, type SignInScope } from "./sign-in-scope";

/**
 * A login in progress lives in its own cookie, `__Host-login-<first 16 chars of state>`, so
 * several tabs can sign in at once without a storage write per attempt. The value is a JWT
 * signed with our session key (integrity: nobody can swap the nonce, verifier or return_to);
 * it is HttpOnly and bound to this browser, which is what PKCE and `state` need.
 */

/** Logins in progress per browser; starting another drops the oldest. */
const MAX_PENDING_LOGINS = 5;
/** The `state` we issue: oauth4webapi's 32 random bytes, base64url. Nothing else names a cookie. */
const STATE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function isIssuedStateShape(state: string): boolean {
  return STATE_SHAPE.test(state);
}

/** The login cookie's name for a `state` of the shape we issue (check isIssuedStateShape first). */
export function loginCookieName(state: string): string {
  return `${LOGIN_COOKIE_PREFIX}${state.slice(0, 16)}`;
}

/** The Set-Cookie values that store `tx` and drop the oldest pending logins beyond the bound. */
export async function saveLoginTransaction(scope: SignInScope, tx: LoginTransaction): Promise<string[]> {
  const value = await signLoginTransaction(scope.keys, scope.publicOrigin, callbackUrl(scope), tx, scope.nowSeconds);
  const pending = scope.request.cookies
    .withPrefix(LOGIN_COOKIE_PREFIX)
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

/**
 * The transaction this callback's `state` belongs to, when this browser started it and it is
 * intact; else ERR_LOGIN_TRANSACTION_MISSING, with jose's reason as the cause (expired, forged).
 */
export async function readLoginTransaction(scope: SignInScope, state: string): Promise<LoginTransaction> {
  const value = scope.request.cookies.get(loginCookieName(state));
  if (!value) throw new AuthError("ERR_LOGIN_TRANSACTION_MISSING", { detail: "no login cookie for this state" });
  let tx: LoginTransaction;
  const keys = scope.keys; // keys the store could not give are its outage (503), not a bad cookie
  try {
    tx = await verifyLoginTransaction(keys, scope.publicOrigin, callbackUrl(scope), value, scope.nowSeconds);
  } catch (error) {
    throw new AuthError("ERR_LOGIN_TRANSACTION_MISSING", { detail: "login cookie refused", cause: error });
  }
  if (tx.state !== state)
    throw new AuthError("ERR_LOGIN_TRANSACTION_MISSING", { detail: "login cookie for another state" });
  return tx;
}
