import { SignJWT } from "jose";
import type { Config } from "../config/parse-config";
import type { Identity } from "./identity";

/** Lifetime of X-Auth-Assertion; the contract caps it at 5 minutes. */
export const ASSERTION_TTL_SECONDS = 300;

/**
 * The signed statement the origin can check itself against /.well-known/jwks.json:
 * `iss` our public origin, `aud` ORIGIN_AUDIENCE, `sub`, `email`, `iat`, `exp`.
 * The worker never accepts it as a session (different `aud` and `typ`).
 */
export async function signOriginAssertion(config: Config, issuer: string, identity: Identity, nowSeconds: number): Promise<string> {
  const { kid, alg, key } = config.sessionKeys.signing;
  return new SignJWT({ email: identity.email, ...(identity.hd ? { hd: identity.hd } : {}) })
    .setProtectedHeader({ alg, kid, typ: "JWT" })
    .setIssuer(issuer)
    .setAudience(config.originAudience)
    .setSubject(identity.sub)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + ASSERTION_TTL_SECONDS)
    .sign(key);
}
