// Bench-only stand-in for the OpenID provider, inside bench/latency-worker.ts: the worker's own
// outbound fetch() to its OIDC_ISSUER (bench/run.mjs sets one no network knows) is answered here (discovery, JWKS, token endpoint), so a
// sign-in's callback can be timed with every provider call counted, and no network is needed.
//
// The authorization step (a person at the provider's page) is skipped: the bench reads `nonce`
// from the authorization URL the worker redirected to and sends, as the authorization code,
// base64url(JSON {nonce, sub, email}); the token endpoint turns that code into an ID token
// (ES256, this stub's key) for the worker's client id. PKCE's verifier and the client secret
// are not checked here: the worker's side of the flow is what is measured.
import { SignJWT, exportJWK, type JWK } from "jose";

let keys: Promise<{ privateKey: CryptoKey; jwk: JWK }> | undefined;

function providerKeys() {
  keys ??= (async () => {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    return {
      privateKey: pair.privateKey,
      jwk: { ...(await exportJWK(pair.publicKey)), kid: "bench-provider", alg: "ES256", use: "sig" },
    };
  })();
  return keys;
}

const json = (body: unknown) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });

/** The provider's answer to one of the worker's requests to `issuer`. */
export async function providerAnswer(
  request: Request,
  { issuer, clientId }: { issuer: string; clientId: string },
): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/.well-known/openid-configuration") {
    return json({
      issuer: issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["ES256"],
      code_challenge_methods_supported: ["S256"],
    });
  }
  if (url.pathname === "/jwks") return json({ keys: [(await providerKeys()).jwk] });
  // Its RISC transmitter (Google's shape): the same keys sign the Security Event Tokens.
  if (url.pathname === "/.well-known/risc-configuration") return json({ issuer, jwks_uri: `${issuer}/jwks` });
  if (url.pathname === "/token" && request.method === "POST") {
    const code = new URLSearchParams(await request.text()).get("code") ?? "";
    const { nonce, sub, email } = JSON.parse(atob(code.replace(/-/g, "+").replace(/_/g, "/"))) as {
      nonce: string;
      sub: string;
      email: string;
    };
    const nowSeconds = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({ email, email_verified: true, nonce })
      .setProtectedHeader({ alg: "ES256", kid: "bench-provider", typ: "JWT" })
      .setIssuer(issuer)
      .setAudience(clientId)
      .setSubject(sub)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 300)
      .sign((await providerKeys()).privateKey);
    return json({ access_token: "bench-access-token", token_type: "Bearer", expires_in: 300, id_token: idToken });
  }
  return new Response("not found", { status: 404 });
}

/** A RISC `sessions-revoked` Security Event Token about `sub`, as the transmitter pushes it (RFC 8417). */
export async function signSecurityEvent(sub: string, provider: { issuer: string; clientId: string }): Promise<string> {
  const { issuer, clientId } = provider;
  const subject = { subject_type: "iss-sub", iss: issuer, sub };
  const events = { "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked": { subject } };
  return new SignJWT({ jti: crypto.randomUUID(), events })
    .setProtectedHeader({ alg: "ES256", kid: "bench-provider", typ: "secevent+jwt" })
    .setIssuer(issuer)
    .setAudience(clientId)
    .setIssuedAt()
    .sign((await providerKeys()).privateKey);
}
