import type { JWTPayload } from "jose";
import type { SessionKeys } from "../config/session-keys";
import { claimRefused, requireStrings, sign, TOKEN_TYPES, verify } from "./our-jwt";

export interface LoginTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  /**
   * The provider (its OIDC_PROVIDERS id) this sign-in was sent to: the callback completes it
   * there and nowhere else, whatever the response claims. Absent on a preview's waiting login,
   * which signs in nowhere itself (routes/relay.ts).
   */
  provider?: string;
  /** `max_age` sent to the provider, seconds: the callback then requires an `auth_time` that recent. */
  maxAge?: number;
  /**
   * On the registered host, a sign-in for a preview deployment: the preview's origin (checked
   * against PREVIEW_HOSTS) and the `state` of the login waiting in that browser's preview cookie.
   */
  relay?: { to: string; state: string };
}

/** How long a person may spend at the provider's sign-in page, seconds. */
export const LOGIN_TTL_SECONDS = 600;

export function signLoginTransaction(
  keys: SessionKeys,
  publicOrigin: string,
  callbackUrl: string,
  tx: LoginTransaction,
  nowSeconds: number,
): Promise<string> {
  const claims = {
    st: tx.state,
    nonce: tx.nonce,
    cv: tx.codeVerifier,
    rt: tx.returnTo,
    ...(tx.provider === undefined ? {} : { idp: tx.provider }),
    ...(tx.maxAge === undefined ? {} : { ma: tx.maxAge }),
    ...(tx.relay ? { rl: tx.relay } : {}),
  };
  return sign(keys, TOKEN_TYPES.login, claims, {
    issuer: publicOrigin,
    audience: callbackUrl,
    issuedAtSeconds: nowSeconds,
    expiresAtSeconds: nowSeconds + LOGIN_TTL_SECONDS,
  });
}

/** The login transaction in a login cookie; throws jose's error (with its code) for anything else. */
export async function verifyLoginTransaction(
  keys: SessionKeys,
  publicOrigin: string,
  callbackUrl: string,
  token: string,
  nowSeconds: number,
): Promise<LoginTransaction> {
  const payload = await verify(keys, TOKEN_TYPES.login, token, {
    issuer: publicOrigin,
    audience: callbackUrl,
    nowSeconds,
    requiredClaims: [],
  });
  requireStrings(payload, ["st", "nonce", "cv", "rt"]);
  const { st, nonce, cv, rt, rl, idp, ma } = payload as JWTPayload & {
    st: string;
    nonce: string;
    cv: string;
    rt: string;
  };
  if (idp !== undefined && typeof idp !== "string") claimRefused("idp", "is not a string", payload);
  if (ma !== undefined && !Number.isSafeInteger(ma)) claimRefused("ma", "is not a whole number", payload);
  const relay = rl as { to?: unknown; state?: unknown } | undefined;
  const tx: LoginTransaction = {
    state: st,
    nonce,
    codeVerifier: cv,
    returnTo: rt,
    ...(idp === undefined ? {} : { provider: idp }),
    ...(ma === undefined ? {} : { maxAge: ma as number }),
  };
  if (relay === undefined) return tx;
  if (typeof relay.to !== "string" || typeof relay.state !== "string") claimRefused("rl", "is not a relay", payload);
  return { ...tx, relay: { to: relay.to, state: relay.state } };
}
