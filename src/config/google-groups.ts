import type { Env } from "../env";
import { isEmailAddress } from "../identity";
import { httpsUrlVar, text } from "./env-values";
import { fix } from "./fixes";
import { isObject } from "./json-shapes";

export const GOOGLE_API_BASE_URL = "https://admin.googleapis.com";
export const GOOGLE_OAUTH_TOKEN_URL = "https://oauth2.googleapis.com/token";

/** How the worker reaches the Workspace directory: a service account and where to call. */
export interface GroupDirectory {
  /** The service account's `client_email`: the `iss` of the JWT it signs. */
  clientEmail: string;
  /** The key's `private_key_id`, sent as `kid`. */
  keyId?: string;
  /** RS256 private key from `private_key`. */
  privateKey: CryptoKey;
  /**
   * GOOGLE_GROUPS_ADMIN: the admin the service account acts as through domain-wide delegation
   * (the JWT's `sub`). Undefined: the service account holds a groups-reading admin role itself.
   */
  adminEmail?: string;
  /** GOOGLE_OAUTH_TOKEN_URL: where the JWT is exchanged for an access token (and its `aud`). */
  tokenUrl: string;
  /** GOOGLE_API_BASE_URL without a trailing slash: the Admin SDK Directory API's origin. */
  apiBaseUrl: string;
}

/**
 * The RS256 signing key of a PKCS#8 PEM, imported by WebCrypto itself (Google's keys are always
 * "-----BEGIN PRIVATE KEY-----"); jose's own importer would add an ASN.1 parser to the bundle.
 */
async function importRsaPrivateKey(pem: string): Promise<CryptoKey> {
  const body = /^-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----\s*$/.exec(pem.trim())?.[1];
  if (!body) throw new Error("not a PKCS#8 PEM");
  const der = Uint8Array.from(atob(body.replace(/\s/g, "")), (char) => char.charCodeAt(0));
  return crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
}

/**
 * GOOGLE_GROUPS_CREDENTIALS (a service-account key, JSON) and the variables around it. Undefined
 * when it is not set; every problem is pushed, and none ever quotes the key.
 */
export async function parseGroupDirectory(env: Env, problems: string[]): Promise<GroupDirectory | undefined> {
  const apiBaseUrl = httpsUrlVar(env, "GOOGLE_API_BASE_URL", GOOGLE_API_BASE_URL, problems);
  const tokenUrl = httpsUrlVar(env, "GOOGLE_OAUTH_TOKEN_URL", GOOGLE_OAUTH_TOKEN_URL, problems);
  const adminEmail = text(env, "GOOGLE_GROUPS_ADMIN", problems)?.toLowerCase();
  if (adminEmail !== undefined && !isEmailAddress(adminEmail))
    problems.push("GOOGLE_GROUPS_ADMIN: must be an administrator's e-mail address, or empty");

  const raw = text(env, "GOOGLE_GROUPS_CREDENTIALS", problems);
  if (raw === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(raw);
  } catch {
    problems.push(`GOOGLE_GROUPS_CREDENTIALS: not valid JSON${fix("serviceAccountKey")}`);
    return undefined;
  }
  if (!isObject(key) || key.type !== "service_account") {
    problems.push(
      `GOOGLE_GROUPS_CREDENTIALS: not a service-account key ("type": "service_account")${fix("serviceAccountKey")}`,
    );
    return undefined;
  }
  const clientEmail = typeof key.client_email === "string" ? key.client_email : "";
  if (!isEmailAddress(clientEmail))
    problems.push(`GOOGLE_GROUPS_CREDENTIALS: "client_email" missing${fix("serviceAccountKey")}`);
  let privateKey: CryptoKey | undefined;
  try {
    privateKey = await importRsaPrivateKey(typeof key.private_key === "string" ? key.private_key : "");
  } catch {
    problems.push(
      `GOOGLE_GROUPS_CREDENTIALS: "private_key" is not an RSA private key (PKCS#8 PEM)${fix("serviceAccountKey")}`,
    );
  }
  if (!privateKey || !apiBaseUrl || !tokenUrl || !isEmailAddress(clientEmail)) return undefined;
  return {
    clientEmail,
    ...(typeof key.private_key_id === "string" ? { keyId: key.private_key_id } : {}),
    privateKey,
    ...(adminEmail ? { adminEmail } : {}),
    tokenUrl: tokenUrl.href,
    apiBaseUrl: apiBaseUrl.href.replace(/\/$/, ""),
  };
}
