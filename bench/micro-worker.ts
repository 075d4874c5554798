// Micro-benchmark worker: runs one piece of the gate K times inside a single request, so the
// benchmark can read its cost from workerd's own CPU accounting (bench/workerd-process.mjs).
//
// Why not time it here: in workerd, performance.now()/Date.now() stand still while code runs
// and only move on I/O, so an in-worker stopwatch reads 0. Instead bench/micro.mjs sends R
// requests of K operations each, reads the workerd process CPU before and after, subtracts the
// same requests in mode "noop" (same body, same JSON parsing, no work), and divides by R*K.
//
// POST / {"mode": "...", "tokens": ["<jwt>", ...]} -> {"ok": <operations that succeeded>}
//   noop      walk the tokens, nothing else (the baseline)
//   ours      verifiedAccessToken() from src/tokens/access-token.ts: the gate's verification
//   jose-key  jose jwtVerify with the same checks against the CryptoKey directly (no JWK Set)
//   jose-jwks jose jwtVerify with the same checks against the worker's key resolver (by kid)
//   raw       the least a JWT signature check needs: split, base64url-decode the signature,
//             encode the signing input, crypto.subtle.verify (ECDSA P-256 SHA-256), nothing more
//   assert    signOriginAssertion() from src/tokens/origin-assertion.ts: the ES256 signature of X-Auth-Assertion
//   assert-cached  originAssertionFor(), the gate's call, same user each time (a cache, if any)
//   headers   upstreamHeaders(): the header copies and filters the gate makes for every request
//   config    loadConfig(env): the per-request lookup of the parsed configuration
//   kv-put    SESSIONS.put of a token record under a new tokenKey() (src/session/kv-keys.ts);
//             kv-get reads it back: what Miniflare's local KV simulator (running inside the
//             same workerd) charges, which scenario (e) includes and Cloudflare's edge would
//             not bill to the isolate
// The same token repeated K times is "seen before"; K distinct tokens are "first time".
import { jwtVerify, type JWTVerifyGetKey } from "jose";
import { loadConfig } from "../src/config/load-config";
import type { Env } from "../src/env";
import { parseCookies } from "../src/http/cookies";
import * as requestHeaders from "../src/proxy/request-headers";
import type { TokenRecord } from "../src/session/family-model";
import { tokenKey } from "../src/session/kv-keys";
import { TOKEN_TYPES } from "../src/tokens/our-jwt";
import { verifiedAccessToken } from "../src/tokens/access-token";
import * as originAssertion from "../src/tokens/origin-assertion";

interface MicroEnv extends Env {
  BENCH_ISSUER: string;
}

const encoder = new TextEncoder();
let rawKey: Promise<CryptoKey> | undefined;
const BENCH_FAMILY = "AAAAAAAAAAAAAAAAAAAAAA";
const TOKEN_RECORD = JSON.stringify({ familyId: BENCH_FAMILY, issuedAtMs: 1700000000000 } satisfies TokenRecord);

function base64urlDecode(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function publicJwk(env: MicroEnv): JsonWebKey {
  const { kty, crv, x, y } = JSON.parse(env.SESSION_KEYS).keys[0];
  return { kty, crv, x, y };
}

async function rawVerify(key: CryptoKey, token: string): Promise<boolean> {
  const dot = token.lastIndexOf(".");
  const signature = base64urlDecode(token.slice(dot + 1));
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, encoder.encode(token.slice(0, dot)));
}

export default {
  async fetch(request: Request, env: MicroEnv): Promise<Response> {
    const { mode, tokens } = (await request.json()) as { mode: string; tokens: string[] };
    try {
      return await run(mode, tokens, env);
    } catch (error) {
      return Response.json({
        error: `${mode}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      });
    }
  },
};

async function run(mode: string, tokens: string[], env: MicroEnv): Promise<Response> {
  const loaded = await loadConfig(env);
  if (!loaded.ok) return Response.json({ error: "config", problems: loaded.problems }, { status: 500 });
  const config = loaded.config;
  const issuer = env.BENCH_ISSUER;
  const nowSeconds = Math.floor(Date.now() / 1000);
  let ok = 0;

  switch (mode) {
    case "noop":
      for (const token of tokens) if (token.length > 0) ok++;
      break;
    case "ours":
      for (const token of tokens)
        if (await verifiedAccessToken(config, config.sessionKeys!, issuer, token, nowSeconds)) ok++;
      break;
    case "jose-key": {
      rawKey ??= crypto.subtle.importKey("jwk", publicJwk(env), { name: "ECDSA", namedCurve: "P-256" }, false, [
        "verify",
      ]);
      ok += await countJoseVerified(tokens, await rawKey, issuer, config.authPrefix);
      break;
    }
    case "jose-jwks": {
      // jose jwtVerify against the worker's own key resolver (a Map by kid over
      // SESSION_KEYS, as config.sessionKeys holds it), same checks, no token cache.
      const keys = (config as unknown as { sessionKeys?: { verificationKeys?: JWTVerifyGetKey } }).sessionKeys
        ?.verificationKeys;
      if (typeof keys !== "function") return Response.json({ missing: "config.sessionKeys.verificationKeys" });
      ok += await countJoseVerified(tokens, keys, issuer, config.authPrefix);
      break;
    }
    case "raw": {
      rawKey ??= crypto.subtle.importKey("jwk", publicJwk(env), { name: "ECDSA", namedCurve: "P-256" }, false, [
        "verify",
      ]);
      const key = await rawKey;
      for (const token of tokens) if (await rawVerify(key, token)) ok++;
      break;
    }
    case "assert": {
      // The ES256 signature itself (what a cache miss costs).
      if (typeof originAssertion.signOriginAssertion !== "function")
        return Response.json({ missing: "signOriginAssertion" });
      const identity = { provider: "default", sub: "bench-user", email: "bench@example.com" };
      for (const token of tokens)
        if (
          token &&
          (
            await originAssertion.signOriginAssertion(
              config.sessionKeys!,
              issuer,
              config.originAudience,
              identity,
              nowSeconds,
            )
          ).length > 0
        )
          ok++;
      break;
    }
    case "assert-cached": {
      // What the gate calls per request; same user every time, so after the first call this
      // is the per-isolate cache's lookup (where the source has such a cache).
      const assertionFor = (originAssertion as Record<string, unknown>).originAssertionFor as
        typeof originAssertion.originAssertionFor | undefined;
      if (typeof assertionFor !== "function") return Response.json({ missing: "originAssertionFor" });
      const identity = { provider: "default", sub: "bench-user", email: "bench@example.com" };
      for (const token of tokens)
        if (token && (await assertionFor(config, config.sessionKeys!, issuer, identity, nowSeconds)).length > 0) ok++;
      break;
    }
    case "headers": {
      // upstreamHeaders() as src/proxy/proxy.ts calls it for a signed-in user. Tied to its
      // current signature: if that changes, this mode reports an error instead of a figure.
      if (typeof requestHeaders.upstreamHeaders !== "function") return Response.json({ missing: "upstreamHeaders" });
      // The cookie jar is parsed in the loop: filtering our cookies out is part of the copy.
      const upstreamHeaders = requestHeaders.upstreamHeaders;
      const user = { provider: "default", sub: "bench-user", email: "bench@example.com" };
      const { host, protocol } = new URL(issuer);
      const facts = {
        requestId: "bench-request",
        publicHost: host,
        publicProto: protocol.slice(0, -1),
        bearer: undefined,
        webSocketUpgrade: false,
        clientIp: undefined,
      };
      const identity = { user, assertion: tokens[0]! };
      // What a browser sends, with the access cookie; upstreamHeaders() copies, never mutates.
      const incoming = new Headers({
        host: "127.0.0.1",
        "user-agent": "bench",
        accept: "*/*",
        "accept-encoding": "gzip",
        cookie: `__Host-access=${tokens[0]}; theme=dark`,
      });
      for (const token of tokens)
        if (
          token &&
          upstreamHeaders(incoming, { ...facts, cookies: parseCookies(incoming.get("cookie")) }, identity).has(
            "x-auth-assertion",
          )
        )
          ok++;
      break;
    }
    case "kv-put":
      // New keys, as a refresh writes its successor's record.
      for (const key of tokens) {
        await env.SESSIONS.put(tokenKey(BENCH_FAMILY, key), TOKEN_RECORD, { expirationTtl: 86_400 });
        ok++;
      }
      break;
    case "kv-get":
      for (const key of tokens) if (await env.SESSIONS.get(tokenKey(BENCH_FAMILY, key))) ok++;
      break;
    case "config":
      for (const token of tokens) if ((await loadConfig(env)).ok && token) ok++;
      break;
    default:
      return Response.json({ error: `unknown mode ${mode}` }, { status: 400 });
  }
  return Response.json({ ok });
}

/** jose's jwtVerify with the gate's checks, no token cache; how many of `tokens` pass. */
async function countJoseVerified(
  tokens: string[],
  key: CryptoKey | JWTVerifyGetKey,
  issuer: string,
  authPrefix: string,
): Promise<number> {
  const options = {
    algorithms: ["ES256"],
    typ: TOKEN_TYPES.access,
    issuer,
    audience: `${issuer}${authPrefix}`,
    requiredClaims: ["sub", "iat", "exp", "sid", "email"],
  };
  let ok = 0;
  for (const token of tokens) {
    try {
      await (typeof key === "function" ? jwtVerify(token, key, options) : jwtVerify(token, key, options));
      ok++;
    } catch {
      // counted as a failure
    }
  }
  return ok;
}
