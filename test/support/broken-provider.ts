import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/**
 * A tiny OpenID provider whose token endpoint misbehaves on demand (demo/provider.mjs only
 * rewrites ID tokens). Discovery is honest, and so is the JWKS unless `keySet` says how it
 * fails; POST /token reads the `code`, which the
 * test chooses as `<mode>.<nonce>`, and answers as `mode` says. The worker under test is pointed
 * at it through OIDC_ISSUER or an OIDC_PROVIDERS entry; the authorization endpoint is never visited (the test calls the
 * callback itself with the state from the login redirect).
 */
export type TokenMode = keyof typeof MODES;

/** How the JWKS endpoint answers: the key set, a 500, or JSON that is no key set. */
export type KeySetMode = "ok" | "http-500" | "not-a-key-set";

export interface BrokenProvider {
  issuer: string;
  /** Changeable between requests. */
  keySet: KeySetMode;
  close(): Promise<void>;
}

type Answer = { status?: number; type?: string; body: string; delayMs?: number };
type Make = (ctx: { idToken: (claims?: Record<string, unknown>) => Promise<string> }) => Promise<Answer> | Answer;

const json = (body: unknown, status = 200): Answer => ({
  status,
  type: "application/json",
  body: JSON.stringify(body),
});
const tokens = async (idToken: string) => ({
  access_token: "at-123",
  token_type: "Bearer",
  expires_in: 3600,
  id_token: idToken,
});

const MODES = {
  ok: async ({ idToken }) => json(await tokens(await idToken())),
  // The provider misbehaving: each is a 502 (sign-in service unavailable).
  "no-id-token": () => json({ access_token: "at-123", token_type: "Bearer", expires_in: 3600 }),
  "no-access-token": async ({ idToken }) => json({ token_type: "Bearer", id_token: await idToken() }),
  "id-token-not-string": () => json({ access_token: "at-123", token_type: "Bearer", id_token: 42 }),
  "unknown-token-type": async ({ idToken }) => json({ ...(await tokens(await idToken())), token_type: "mac" }),
  "json-array": () => json([]),
  "not-json": () => ({ type: "application/json", body: "<html>Bad Gateway</html>" }),
  "html-page": () => ({ type: "text/html", body: "<html>Maintenance</html>" }),
  "json-as-text-plain": async ({ idToken }) => ({
    type: "text/plain",
    body: JSON.stringify(await tokens(await idToken())),
  }),
  "no-content-type": async ({ idToken }) => ({ type: "", body: JSON.stringify(await tokens(await idToken())) }),
  "http-500-json": () => json({ error: "server_error" }, 500),
  "http-503-html": () => ({ status: 503, type: "text/html", body: "<html>Service Unavailable</html>" }),
  "http-400-html": () => ({ status: 400, type: "text/html", body: "<html>Bad Request</html>" }),
  "http-404-empty": () => ({ status: 404, type: "text/plain", body: "" }),
  "invalid-client": () => json({ error: "invalid_client" }, 401),
  "unauthorized-client": () => json({ error: "unauthorized_client" }, 400),
  "too-slow": async ({ idToken }) => ({ ...json(await tokens(await idToken())), delayMs: 8_000 }),
  // The request's fault: each stays a 400.
  "invalid-grant": () => json({ error: "invalid_grant", error_description: "code already used" }, 400),
  "claims-wrong-aud": async ({ idToken }) => json(await tokens(await idToken({ aud: "someone-else" }))),
  "claims-no-sub": async ({ idToken }) => json(await tokens(await idToken({ sub: undefined }))),
  "claims-expired": async ({ idToken }) => json(await tokens(await idToken({ iat: now() - 7200, exp: now() - 3600 }))),
} satisfies Record<string, Make>;

const now = () => Math.floor(Date.now() / 1000);

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => resolve(body));
    request.on("error", reject);
  });
}

export async function startBrokenProvider(clientId: string, keySet: KeySetMode = "ok"): Promise<BrokenProvider> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const timers = new Set<NodeJS.Timeout>();

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const path = new URL(request.url ?? "/", issuer).pathname;
    const send = ({ status = 200, type, body }: Answer) => {
      response.writeHead(status, type ? { "Content-Type": type } : {});
      response.end(body);
    };
    if (path === "/.well-known/openid-configuration") {
      return send(
        json({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          token_endpoint_auth_methods_supported: ["client_secret_basic"],
        }),
      );
    }
    if (path === "/jwks") {
      if (provider.keySet === "http-500") return send({ status: 500, type: "text/plain", body: "down" });
      return send(json(provider.keySet === "ok" ? { keys: [jwk] } : { keys: "none" }));
    }
    if (path !== "/token" || request.method !== "POST")
      return send({ status: 404, type: "text/plain", body: "not found" });
    const code = new URLSearchParams(await readBody(request)).get("code") ?? "";
    const [mode, nonce] = code.split(".") as [string, string | undefined];
    const make = (MODES as Record<string, Make>)[mode];
    if (!make) return send(json({ error: "invalid_grant" }, 400));
    const idToken = (overrides: Record<string, unknown> = {}) => {
      const claims: Record<string, unknown> = {
        sub: "2002",
        email: "grace@example.com",
        email_verified: true,
        nonce,
        aud: clientId,
        ...overrides,
      };
      for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
      const iat = typeof overrides.iat === "number" ? overrides.iat : now();
      const exp = typeof overrides.exp === "number" ? overrides.exp : now() + 600;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer(issuer)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(privateKey);
    };
    const answer = await make({ idToken });
    if (!answer.delayMs) return send(answer);
    const timer = setTimeout(() => (timers.delete(timer), send(answer)), answer.delayMs);
    timers.add(timer);
  }

  server.on("request", (request, response) => {
    handle(request, response).catch(() => send500(response));
  });
  const provider: BrokenProvider = {
    issuer,
    keySet,
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return provider;
}

function send500(response: ServerResponse) {
  if (!response.headersSent) response.writeHead(500);
  response.end();
}
