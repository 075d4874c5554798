// A local stand-in for GitHub Actions' OIDC token service (a workload issuer): the discovery
// document and key set at the paths GitHub serves them, and the endpoint a job calls for its
// token (what $ACTIONS_ID_TOKEN_REQUEST_URL points at), signing tokens with GitHub's claims.
// The worker sees it as it would see https://token.actions.githubusercontent.com.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { closeServer, listen } from "./listen.mjs";
import { rsaKeyPair } from "./rsa-keys.mjs";

/** How GitHub dates its tokens: valid from 10 minutes before issue, for 5 minutes after. */
const NOT_BEFORE_SKEW_SECONDS = 600;
const LIFETIME_SECONDS = 300;

/**
 * The claims GitHub puts in a job's token (docs.github.com, "About security hardening with
 * OpenID Connect"), for a job of `repository` on `ref`, optionally in an `environment`.
 */
export function githubJobClaims({
  repository = "demo-org/demo-app",
  ref = "refs/heads/main",
  environment,
  workflow = "deploy",
  actor = "octocat",
} = {}) {
  const [owner] = repository.split("/");
  return {
    sub: environment ? `repo:${repository}:environment:${environment}` : `repo:${repository}:ref:${ref}`,
    ...(environment ? { environment } : {}),
    ref,
    ref_type: "branch",
    sha: randomBytes(20).toString("hex"),
    repository,
    repository_id: "74",
    repository_owner: owner,
    repository_owner_id: "65",
    repository_visibility: "private",
    actor,
    actor_id: "12",
    workflow,
    event_name: "push",
    run_id: "1",
    run_number: "1",
    run_attempt: "1",
    runner_environment: "github-hosted",
    job_workflow_ref: `${repository}/.github/workflows/${workflow}.yml@${ref}`,
  };
}

function sendJson(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

/**
 * Starts the issuer on host:port (0: any free port).
 *
 * @param {object} [options]
 * @param {string} [options.host="127.0.0.1"]
 * @param {number} [options.port=0]
 * @param {object} [options.job] what githubJobClaims() takes: the job its /token endpoint speaks for
 * @param {import("jose").JWK} [options.key] the private RS256 JWK it signs with until rotate() (default: a fresh key)
 * @returns {Promise<{
 *   issuer: string,
 *   requestToken: string,
 *   tokenRequestUrl: string,
 *   hits: Map<string, number>,
 *   sign(claims?: object, options?: { header?: object, key?: CryptoKey, lifetimeSeconds?: number, issuedAt?: number }): Promise<string>,
 *   rotate(): Promise<void>,
 *   close(): Promise<void>,
 * }>}
 *   `requestToken` and `tokenRequestUrl` are what GitHub gives a job as $ACTIONS_ID_TOKEN_REQUEST_TOKEN
 *   and $ACTIONS_ID_TOKEN_REQUEST_URL; `hits` counts requests per path.
 */
export async function startWorkloadIssuer({ host = "127.0.0.1", port = 0, job = {}, key: jwk } = {}) {
  let key = await rsaKeyPair(jwk);
  let kid = randomBytes(8).toString("hex");
  const requestToken = randomBytes(24).toString("base64url");
  const hits = new Map();
  let issuer = "";

  async function sign(
    claims = {},
    {
      header = {},
      key: signingKey = key.privateKey,
      lifetimeSeconds = LIFETIME_SECONDS,
      issuedAt = Math.floor(Date.now() / 1000),
    } = {},
  ) {
    return new SignJWT({
      jti: randomUUID(),
      ...githubJobClaims(job),
      iss: issuer,
      nbf: issuedAt - NOT_BEFORE_SKEW_SECONDS,
      iat: issuedAt,
      exp: issuedAt + lifetimeSeconds,
      ...claims,
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid, ...header })
      .sign(signingKey);
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://issuer.invalid");
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    try {
      if (req.method !== "GET") return sendJson(res, 405, { message: "GET only" });
      if (url.pathname === "/.well-known/openid-configuration") {
        return sendJson(res, 200, {
          issuer,
          jwks_uri: `${issuer}/.well-known/jwks`,
          subject_types_supported: ["public", "pairwise"],
          response_types_supported: ["id_token"],
          claims_supported: [
            "sub",
            "aud",
            "exp",
            "iat",
            "iss",
            "jti",
            "nbf",
            "ref",
            "repository",
            "repository_owner",
            "environment",
            "workflow",
            "job_workflow_ref",
          ],
          id_token_signing_alg_values_supported: ["RS256"],
          scopes_supported: ["openid"],
        });
      }
      if (url.pathname === "/.well-known/jwks") {
        return sendJson(res, 200, { keys: [{ ...(await exportJWK(key.publicKey)), kid, alg: "RS256", use: "sig" }] });
      }
      if (url.pathname === "/token") {
        // The job's side: `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, `&audience=...`.
        if (req.headers.authorization?.toLowerCase() !== `bearer ${requestToken}`.toLowerCase())
          return sendJson(res, 401, { message: "Bad credentials" });
        const audience =
          url.searchParams.get("audience") ?? `https://github.com/${githubJobClaims(job).repository_owner}`;
        return sendJson(res, 200, { count: 1, value: await sign({ aud: audience }) });
      }
      return sendJson(res, 404, { message: "Not Found" });
    } catch (error) {
      console.error("workload issuer: error:", error);
      if (!res.headersSent) sendJson(res, 500, { message: "error" });
    }
  });
  issuer = await listen(server, port, host);
  return {
    issuer,
    requestToken,
    // GitHub's URL already carries a query (api-version), so jobs append `&audience=...`.
    tokenRequestUrl: `${issuer}/token?api-version=2.0`,
    hits,
    sign,
    async rotate() {
      key = await generateKeyPair("RS256");
      kid = randomBytes(8).toString("hex");
    },
    close: () => closeServer(server),
  };
}
