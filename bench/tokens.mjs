// Credentials for the scenarios, made in Node before any round starts, so that minting them
// costs nothing while the worker is being measured.
//
//   - access JWTs exactly as src/tokens/access-token.ts signs them: header {alg, kid,
//     typ: "session+jwt"}, iss = PUBLIC_URL, aud = PUBLIC_URL + AUTH_PREFIX, sub, email, sid,
//     iat, exp = iat + ACCESS_TOKEN_TTL; one for (c), a pool of distinct ones for (d);
//   - refresh credentials `<familyId>.<token>` with their KV records, under the keys of
//     src/session/kv-keys.ts (imported from the source, below) and in the record shapes of
//     src/session/family-model.ts, written straight into Miniflare's KV (signing in for real
//     through a provider would take far longer than the benchmark itself);
//   - refresh credentials on the Durable Object store, `<sha256(sub)>.<familyId>.<token>`: made by
//     the worker's own store code (createDurableObjectSessionStore(...).create(...)) inside
//     workerd, through the seed route of bench/latency-worker.ts, one person (object) each;
//   - @hono/oidc-auth's own session cookie: an HS256 JWT over {sub, email, rtk, rtkexp, ssnexp}
//     keyed with OIDC_AUTH_SECRET, as its updateAuth() makes it with hono/jwt's sign().
import { createHash, randomBytes } from "node:crypto";
import { build } from "esbuild";
import { importJWK, SignJWT } from "jose";

/**
 * The KV key builders and the credential format, from the source itself (Node cannot import
 * TypeScript, so esbuild bundles them in memory): the bench has no copy of the layout. Bundled
 * for Node, since the credential format's module imports the log, which uses node:async_hooks.
 */
const fromSource = await (async () => {
  const { outputFiles } = await build({
    stdin: {
      contents:
        'export { familyKey, tokenKey, kvExpirationTtl } from "./src/session/kv-keys.ts"; export { formatCredential } from "./src/session/family-model.ts";',
      resolveDir: new URL("..", import.meta.url).pathname,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    write: false,
    logLevel: "warning",
  });
  return import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].contents).toString("base64")}`);
})();
const { familyKey, tokenKey, kvExpirationTtl, formatCredential } = fromSource;

export const ACCESS_TTL_SECONDS = 900;
export const AUTH_PREFIX = "/auth";

const base64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** The first key of SESSION_KEYS, ready to sign in Node. */
export async function signerFor(keySet) {
  const jwk = keySet.keys[0];
  return { kid: jwk.kid, alg: jwk.alg, key: await importJWK(jwk, jwk.alg) };
}

/** The public halves, as the worker publishes them at /.well-known/jwks.json. */
export function publicJwks(keySet) {
  return {
    keys: keySet.keys.map(({ kty, crv, x, y, kid, alg }) => ({
      kty,
      crv,
      x,
      ...(y ? { y } : {}),
      kid,
      alg,
      use: "sig",
    })),
  };
}

/** One access JWT, as signAccessToken() makes it. */
export function mintAccessToken(signer, issuer, { sub, email, sid }, nowSeconds = Math.floor(Date.now() / 1000)) {
  return new SignJWT({ email, sid })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "session+jwt" })
    .setIssuer(issuer)
    .setAudience(`${issuer}${AUTH_PREFIX}`)
    .setSubject(sub)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + ACCESS_TTL_SECONDS)
    .sign(signer.key);
}

/**
 * `count` distinct access JWTs, each for a new user and session (so that nothing the worker
 * keeps per token or per user helps: the worst case), minted in small parallel batches.
 */
export async function mintAccessTokens(signer, issuer, count) {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const tokens = new Array(count);
  for (let start = 0; start < count; start += 256) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 256); i++) {
      const user = randomBytes(6).toString("hex");
      batch.push(
        mintAccessToken(
          signer,
          issuer,
          { sub: `user-${user}`, email: `user-${user}@example.com`, sid: base64url(randomBytes(16)) },
          nowSeconds,
        ).then((t) => (tokens[i] = t)),
      );
    }
    await Promise.all(batch);
  }
  return tokens;
}

/** SHA-256 of the token string, base64url without padding: src/util/hash.ts sha256(). */
export const refreshTokenHash = (token) => createHash("sha256").update(token, "utf8").digest("base64url");

/**
 * `count` unused refresh credentials, written into KV as a sign-in would leave them (family and
 * token records, FamilyRecord and TokenRecord of src/session/family-model.ts): one family per
 * `perFamily` credentials. The default is a family each, as for a new session per request: the
 * KV store keeps family records per isolate, so a shared family would skip its read. Returns
 * the cookie values, `<familyId>.<token>`.
 */
export async function seedRefreshTokens(
  kv,
  count,
  { perFamily = 1, concurrency = 64, sessionTtlSeconds = 2_592_000 } = {},
) {
  const now = Date.now();
  const expiresAtMs = now + sessionTtlSeconds * 1000;
  const expirationTtl = kvExpirationTtl(expiresAtMs, now);
  const credentials = [];
  const writes = [];
  let familyId;
  for (let i = 0; i < count; i++) {
    if (i % perFamily === 0) {
      familyId = base64url(randomBytes(16));
      const family = {
        sub: `refresh-user-${i}`,
        email: `refresh-user-${i}@example.com`,
        createdAtMs: now,
        expiresAtMs,
        secret: base64url(randomBytes(32)),
      };
      writes.push([familyKey(familyId), JSON.stringify(family)]);
    }
    const token = base64url(randomBytes(32));
    credentials.push(formatCredential(familyId, token));
    writes.push([tokenKey(familyId, refreshTokenHash(token)), JSON.stringify({ familyId, issuedAtMs: now })]);
  }
  let next = 0;
  async function writer() {
    while (next < writes.length) {
      const [key, value] = writes[next++];
      await kv.put(key, value, { expirationTtl });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, writer));
  return credentials;
}

/**
 * `count` Durable Object sessions, `perPerson` to a person (one object each), created through
 * the worker's own store code by `seedUrl` (bench/latency-worker.ts, POST /__bench/seed-do) in
 * the namespace its SESSION_FAMILIES binding names. Returns the `__Host-refresh` values.
 */
export async function seedDurableObjectSessions(seedUrl, count, { chunk = 100, perPerson = 1 } = {}) {
  const credentials = [];
  const seed = async (n) => {
    const response = await fetch(`${seedUrl}/__bench/seed-do`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: n, perPerson }),
    });
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`seeding Durable Object sessions: HTTP ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text).credentials;
  };
  for (let done = 0; done < count; done += chunk) {
    const n = Math.min(chunk, count - done);
    // Once seen here: a kept-alive socket closed under a request ("other side closed"). One
    // retry; a chunk made twice only leaves unused sessions behind.
    credentials.push(
      ...(await seed(n).catch(() => new Promise((resolve) => setTimeout(resolve, 500)).then(() => seed(n)))),
    );
  }
  return credentials;
}

/** @hono/oidc-auth session cookie values, distinct per user; valid for `hours`, no refresh due. */
export async function mintOidcAuthSessions(secret, count, hours = 2) {
  const key = new TextEncoder().encode(secret);
  const now = Math.floor(Date.now() / 1000);
  const sessions = new Array(count);
  for (let start = 0; start < count; start += 256) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 256); i++) {
      const user = `${start}-${i}-${randomBytes(4).toString("hex")}`;
      batch.push(
        new SignJWT({
          sub: `user-${user}`,
          email: `user-${user}@example.com`,
          rtk: "",
          rtkexp: now + hours * 3600,
          ssnexp: now + hours * 3600,
        })
          .setProtectedHeader({ alg: "HS256", typ: "JWT" })
          .sign(key)
          .then((jwt) => (sessions[i] = jwt)),
      );
    }
    await Promise.all(batch);
  }
  return sessions;
}
