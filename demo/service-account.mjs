// A Google service account as the local fakes see it: a key like the Cloud console's JSON
// download, and the check Google makes of the JWTs the account signs.
import { randomBytes } from "node:crypto";
import { exportPKCS8, jwtVerify } from "jose";
import { rsaKeyPair } from "./rsa-keys.mjs";

/**
 * A service account: `credentials` is the JSON key (what GOOGLE_GROUPS_CREDENTIALS and
 * `npm run google` take), `publicKey` checks what it signs. Its key is `key` (a private RS256
 * JWK), or a fresh one.
 * @param {{clientEmail?: string, tokenUri?: string, key?: import("jose").JWK}} [options]
 * @returns {Promise<{credentials: string, clientEmail: string, keyId: string, publicKey: CryptoKey}>}
 */
export async function createServiceAccount({
  clientEmail = "groups-reader@demo-project.iam.gserviceaccount.com",
  tokenUri = "https://oauth2.googleapis.com/token",
  key,
} = {}) {
  const { privateKey, publicKey } = await rsaKeyPair(key);
  const keyId = randomBytes(20).toString("hex");
  const credentials = JSON.stringify({
    type: "service_account",
    project_id: "demo-project",
    private_key_id: keyId,
    private_key: await exportPKCS8(privateKey),
    client_email: clientEmail,
    client_id: "100000000000000000001",
    token_uri: tokenUri,
  });
  return { credentials, clientEmail, keyId, publicKey };
}

/**
 * Google's checks of a service account's JWT: RS256 by the account's key, `iss` the account,
 * `aud` as given, no more than an hour of lifetime. Returns the claims or throws.
 * @param {string} jwt
 * @param {{publicKey: CryptoKey, clientEmail: string}} account
 * @param {string} audience
 */
export async function verifyServiceAccountJwt(jwt, account, audience) {
  const { payload } = await jwtVerify(jwt, account.publicKey, {
    algorithms: ["RS256"],
    issuer: account.clientEmail,
    audience,
    requiredClaims: ["iat", "exp"],
  });
  if (payload.exp - payload.iat > 3600) throw new Error("lifetime over an hour");
  return payload;
}
