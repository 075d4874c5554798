// A real, local OpenID provider (oidc-provider) configured to look like Google from a
// relying party's point of view: RS256 ID tokens, confidential clients with
// client_secret_basic/post, the authorization-code flow with PKCE, and Google's claims
// (`sub`, `email`, `email_verified`, `name`, `hd`) inside the ID token itself.
// It is for the local demo (`npm start`) and for end-to-end tests; it is not hardened
// for anything else (in-memory storage, any e-mail signs in without a password).
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { CompactSign, decodeProtectedHeader, importJWK } from "jose";
// A memory adapter per provider (so several providers in one test process do not share
// state); the default one is the same code but prints a "MUST change" warning.
import { createMemoryAdapter } from "oidc-provider/lib/adapters/memory_adapter.js";
import { closeServer, listen } from "./listen.mjs";
import { generateRsaJwk, PRIVATE_MEMBERS } from "./rsa-keys.mjs";

// oidc-provider 9 warns on import that Node 20 is not its supported runtime; it works on
// Node 20 (the project's pinned runtime), so that one line is filtered out of the output.
const { default: Provider, interactionPolicy } = await (async () => {
  const warn = console.warn;
  console.warn = (...args) => {
    if (typeof args[0] === "string" && args[0].includes("Unsupported runtime")) return;
    warn.apply(console, args);
  };
  try {
    return await import("oidc-provider");
  } finally {
    console.warn = warn;
  }
})();

/** Scopes this provider knows, with the claims each releases (Google's set, plus `hd`). */
const CLAIMS_BY_SCOPE = { openid: ["sub"], email: ["email", "email_verified", "hd"], profile: ["name"] };
const GRANTED_SCOPE = Object.keys(CLAIMS_BY_SCOPE).join(" ");

const FORM_BODY_LIMIT = 16 * 1024;

/**
 * The stable subject for an e-mail: a hex SHA-256 prefix of the lowercased address.
 * Like Google's numeric `sub`, it is not the address itself, so a relying party that
 * keys users on the e-mail instead of `sub` is caught by tests.
 * @param {string} email
 * @returns {string}
 */
export function subjectFor(email) {
  return createHash("sha256").update(String(email).trim().toLowerCase()).digest("hex").slice(0, 24);
}

/**
 * The claims the provider releases for an e-mail, as they appear in the ID token.
 * `hd` is set for every domain except gmail.com, as Google sends it only for Workspace accounts.
 * @param {string} email
 * @returns {{sub: string, email: string, email_verified: true, name: string, hd?: string}}
 */
export function claimsFor(email) {
  const address = String(email).trim().toLowerCase();
  const [local, domain] = address.split("@");
  const name = (local ?? "")
    .split(/[._+-]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join(" ");
  const claims = { sub: subjectFor(address), email: address, email_verified: true, name: name || address };
  if (domain && domain !== "gmail.com") claims.hd = domain;
  return claims;
}

/** Loose e-mail check for the login form: one `@`, both sides non-empty, no spaces or controls. */
function isPlausibleEmail(value) {
  if (typeof value !== "string" || value.length === 0 || value.length > 254) return false;
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return false;
  const parts = value.split("@");
  return parts.length === 2 && parts[0].length > 0 && parts[1].length > 0;
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function publicJwk(jwk) {
  const copy = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy;
}

/** A private RS256 JWK Set of one fresh key, as startProvider() makes when given no `keys`. */
export async function generateRsaKeySet() {
  return { keys: [await generateRsaJwk()] };
}

// The pages' one stylesheet, allowed by its hash in the Content-Security-Policy below.
const PAGE_CSS = `:root{color-scheme:light;--bg:#eef1f5;--card:#fff;--text:#1b1e23;--muted:#4a5260;--line:#c9ced6;--accent:#0b57d0;--bad:#b3261e;--bad-bg:#fbeaea}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;padding:10vh 1rem 2rem;background:var(--bg);color:var(--text);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:27rem;margin:0 auto;padding:2rem;background:var(--card);border:1px solid var(--line);border-radius:.75rem}
.brand{margin:0 0 1.25rem;color:var(--muted);font-size:.875rem;font-weight:600;letter-spacing:.02em}
h1{margin:0 0 .5rem;font-size:1.5rem;line-height:1.25}
p{margin:0 0 1rem}
.note{color:var(--muted);font-size:.9375rem}
.error{padding:.5rem .75rem;border-radius:.375rem;background:var(--bad-bg);color:var(--bad);font-weight:600}
label{display:block;margin:1.25rem 0 .375rem;font-weight:600}
input{display:block;width:100%;padding:.625rem .75rem;border:1px solid #6b7280;border-radius:.375rem;font:inherit}
button{margin-top:1.25rem;padding:.625rem 1.5rem;border:2px solid var(--accent);border-radius:.375rem;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--text);outline-offset:2px}
a{color:var(--accent);font-weight:600}
ul{margin:1.25rem 0;padding:0;list-style:none}
li{margin:0 0 .5rem}
button.account{display:block;width:100%;margin:0;padding:.625rem .75rem;border:1px solid var(--line);background:var(--card);color:var(--text);font-weight:400;text-align:left}
button.account strong{display:block}
.current{display:block;color:var(--muted);font-size:.875rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem .75rem;margin:0;font-size:.875rem}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}`;

// Security headers for the provider's own HTML pages. No `form-action`: browsers apply
// it to the redirect chain after a form post, which ends at the client's redirect_uri.
const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash("sha256").update(PAGE_CSS).digest("base64")}'; base-uri 'none'; frame-ancestors 'none'`;

/** The provider's own security headers on a page oidc-provider renders (it sets none). */
function setPageHeaders(ctx) {
  ctx.type = "html";
  for (const [name, value] of Object.entries({
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
  }))
    ctx.set(name, value);
}

/**
 * oidc-provider's prompts (login, consent) plus Google's `select_account`: asked for, it shows
 * the account chooser even when this browser is signed in here (oidc-provider alone refuses it).
 */
function interactionsLikeGoogle() {
  const policy = interactionPolicy.base();
  policy.add(new interactionPolicy.Prompt({ name: "select_account", requestable: true }), 0);
  return policy;
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  });
  res.end(html);
}

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
<p class="brand">Local test provider (stands in for Google)</p>
${body}
</main>
</body>
</html>
`;
}

/** `continueTo`: the host of the client's (registered, checked) redirect URI, like Google's "to continue to". */
function loginPage(uid, { error, continueTo } = {}) {
  return page(
    "Sign in to the local test provider",
    `<h1>Sign in</h1>
<p>${continueTo ? `to continue to <strong>${escapeHtml(continueTo)}</strong>` : "to continue"}</p>
<p class="note">Any e-mail address works here and there is no password: this provider is for local development and tests only.</p>
${error ? `<p class="error" role="alert" id="email-error">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${escapeHtml(encodeURIComponent(uid))}">
  <label for="email">E-mail address</label>
  <input id="email" name="email" type="email" autocomplete="email" required maxlength="254" autofocus placeholder="name@example.com"${error ? ' aria-invalid="true" aria-describedby="email-error"' : ""}>
  <button type="submit">Sign in</button>
</form>
`,
  );
}

/**
 * Google's account chooser, for `prompt=select_account`: the demo accounts and the one this
 * browser is signed in with here, each a button; "Use another account" asks for an address.
 */
function chooserPage(uid, { accounts, current, continueTo }) {
  const action = `/interaction/${escapeHtml(encodeURIComponent(uid))}`;
  const items = accounts
    .map((email) => {
      const { name } = claimsFor(email);
      const note = email === current ? `<span class="current">Signed in</span>` : "";
      return `<li><button class="account" type="submit" name="email" value="${escapeHtml(email)}"><strong>${escapeHtml(name)}</strong>${escapeHtml(email)}${note}</button></li>`;
    })
    .join("\n");
  return page(
    "Choose an account",
    `<h1>Choose an account</h1>
<p>${continueTo ? `to continue to <strong>${escapeHtml(continueTo)}</strong>` : "to continue"}</p>
<form method="post" action="${action}">
<ul>
${items}
</ul>
</form>
<p><a href="${action}?account=other">Use another account</a></p>
`,
  );
}

/** RP-Initiated Logout's question (features.rpInitiatedLogout): `form` is the provider's own, with its xsrf value. */
function signOutQuestionPage(form) {
  return page(
    "Sign out of the local test provider",
    `<h1>Sign out of the local test provider?</h1>
<p>This browser stays signed in at the provider until you do, and the next sign-in may use the same account without asking.</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
`,
  );
}

function signedOutOfProviderPage(backTo) {
  return page(
    "Signed out of the local test provider",
    `<h1>Signed out</h1>
<p>This browser is no longer signed in at the local test provider: the next sign-in asks which account to use.</p>
${backTo ? `<p><a href="${escapeHtml(backTo)}">Back to ${escapeHtml(new URL(backTo).host)}</a></p>` : ""}
`,
  );
}

function errorPage(message) {
  return page("Sign-in problem", `<h1>Sign-in problem</h1>\n<p>${escapeHtml(message)}</p>\n`);
}

async function readFormBody(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > FORM_BODY_LIMIT) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** A grant for the fixed openid/email/profile scopes, so the consent prompt never shows. */
async function createGrant(provider, clientId, accountId) {
  const grant = new provider.Grant({ clientId, accountId });
  grant.addOIDCScope(GRANTED_SCOPE);
  grant.addOIDCClaims(Object.values(CLAIMS_BY_SCOPE).flat());
  await grant.save();
  return grant;
}

function base64urlJson(value) {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/**
 * Re-issue an ID token after the hook changed it. `sign` picks how:
 *   undefined / "rs256": a valid signature with the provider's key (same kid),
 *   "bad-signature":     the valid signature with bits flipped,
 *   "wrong-key":         signed by a fresh RSA key that the JWKS does not contain (same kid),
 *   "none":              `alg: none` and an empty signature,
 *   "hs256":             HS256 keyed with `secret` (e.g. the client secret): algorithm confusion.
 * With `key` (a private JWK), signed with that key and its kid instead: another provider's, say.
 */
async function reissueIdToken(original, { claims, sign, header: headerOverride, secret, key: otherKey }, privateKeys) {
  if (![undefined, "rs256", "bad-signature", "wrong-key", "none", "hs256"].includes(sign)) {
    throw new Error(`idTokenHook: unknown sign mode ${JSON.stringify(sign)}`);
  }
  const header = { ...decodeProtectedHeader(original), ...(headerOverride ?? {}) };
  const payload = new TextEncoder().encode(JSON.stringify(claims));
  if (sign === "hs256") {
    // Algorithm confusion: HMAC with a shared secret (the client secret, or the public key).
    const hsHeader = { ...header, alg: "HS256" };
    return new CompactSign(payload).setProtectedHeader(hsHeader).sign(new TextEncoder().encode(secret ?? ""));
  }
  if (sign === "none") {
    const noneHeader = { ...header, alg: "none" };
    delete noneHeader.kid;
    return `${base64urlJson(noneHeader)}.${Buffer.from(payload).toString("base64url")}.`;
  }
  let jwk;
  if (otherKey) {
    jwk = otherKey;
    header.kid = otherKey.kid;
  } else if (sign === "wrong-key") {
    jwk = (await generateRsaKeySet()).keys[0];
  } else {
    jwk = privateKeys.find((key) => key.kid === header.kid) ?? privateKeys[0];
  }
  const key = await importJWK(jwk, header.alg ?? "RS256");
  const token = await new CompactSign(payload).setProtectedHeader(header).sign(key);
  if (sign === "bad-signature") {
    const [h, p, s] = token.split(".");
    const signature = Buffer.from(s, "base64url");
    signature[signature.length >> 1] ^= 0xff;
    return `${h}.${p}.${signature.toString("base64url")}`;
  }
  return token;
}

// A hook may return the claims themselves or a wrapper { claims, sign?, header? }.
function normalizeHookResult(result) {
  const keys = Object.keys(result);
  const isWrapper = "claims" in result && keys.every((k) => ["claims", "sign", "header", "secret", "key"].includes(k));
  return isWrapper ? result : { claims: result };
}

/**
 * Start a local OpenID provider that behaves like Google for the authorization-code flow.
 *
 * @param {object} options
 * @param {string} [options.host="127.0.0.1"]
 * @param {number} [options.port=0] 0 picks a free port.
 * @param {{client_id: string, client_secret: string, redirect_uris: string[]}[]} options.clients
 * @param {{keys: object[]}} [options.keys] private RS256 JWK Set; generated when absent.
 * @param {(claims: object, account: object|undefined) => (object|{claims: object, sign?: "rs256"|"bad-signature"|"wrong-key"|"none", header?: object, key?: object}|undefined|null)} [options.idTokenHook]
 *   Called with the ID token's decoded payload on every successful token response; whatever
 *   it returns replaces the ID token (see README.md). Returning nothing leaves it untouched.
 * @param {(req: import("node:http").IncomingMessage) => void} [options.onRequest] called first for every request.
 * @param {(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse, issuer: string) => boolean} [options.routes]
 *   more routes at the provider's origin (e.g. the RISC transmitter's): return true when handled.
 * @param {string[]} [options.accounts] e-mail addresses the account chooser (`prompt=select_account`)
 *   lists, besides the account this browser is signed in with here, like Google's chooser.
 * @param {boolean} [options.verbose=false] also log client errors (bad code, PKCE mismatch...).
 * @returns {Promise<{issuer: string, url: string, jwks: {keys: object[]}, privateJwks: {keys: object[]}, provider: Provider, close(): Promise<void>}>}
 */
export async function startProvider(options = {}) {
  const {
    host = "127.0.0.1",
    port = 0,
    clients = [],
    keys,
    idTokenHook,
    onRequest,
    routes,
    accounts = [],
    verbose = false,
  } = options;
  const privateJwks = keys ?? (await generateRsaKeySet());
  const jwks = { keys: privateJwks.keys.map(publicJwk) };
  // oidc-provider always uses the account id as `sub`, so the account id is the opaque
  // subject and this map gives the e-mail back (filled when someone signs in).
  const emailBySubject = new Map();

  // Listen first so that the issuer carries the real port (port 0 = any free port).
  let handle = (_req, res) => {
    res.writeHead(503, { "Content-Type": "text/plain" });
    res.end("starting\n");
  };
  // onRequest lets tests count what the worker asks of the provider (e.g. JWKS fetches).
  const server = createServer((req, res) => {
    onRequest?.(req);
    handle(req, res);
  });
  const issuer = await listen(server, port, host);

  let provider;
  try {
    provider = new Provider(issuer, {
      clients: clients.map((client) => ({
        client_id: client.client_id,
        client_secret: client.client_secret,
        redirect_uris: client.redirect_uris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: client.token_endpoint_auth_method ?? "client_secret_basic",
        id_token_signed_response_alg: "RS256",
      })),
      jwks: privateJwks,
      adapter: createMemoryAdapter(),
      // Google's discovery lists exactly these two.
      clientAuthMethods: ["client_secret_basic", "client_secret_post"],
      enabledJWA: { idTokenSigningAlgValues: ["RS256"] },
      responseTypes: ["code"],
      scopes: Object.keys(CLAIMS_BY_SCOPE),
      claims: CLAIMS_BY_SCOPE,
      // Google puts email/email_verified/hd in the ID token even when an access token is
      // issued; oidc-provider's default (true) would move them to userinfo only.
      conformIdTokenClaims: false,
      // PKCE for every client, confidential ones too (oidc-provider only forces it for public
      // clients by default). oidc-provider 9 accepts only S256.
      pkce: { required: () => true },
      interactions: { policy: interactionsLikeGoogle() },
      features: {
        devInteractions: { enabled: false },
        // A way out of the provider's own session (its end_session_endpoint), which otherwise
        // signs the browser straight back in with the same account, as Google does.
        rpInitiatedLogout: {
          enabled: true,
          async logoutSource(ctx, form) {
            setPageHeaders(ctx);
            ctx.body = signOutQuestionPage(form);
          },
          async postLogoutSuccessSource(ctx) {
            setPageHeaders(ctx);
            // oidc-provider forgets the client once the person said yes: with one client, it is that one.
            const registered =
              ctx.oidc.client?.redirectUris?.[0] ?? (clients.length === 1 ? clients[0].redirect_uris[0] : undefined);
            ctx.body = signedOutOfProviderPage(registered ? new URL("/", registered).href : undefined);
          },
        },
        revocation: { enabled: true },
        userinfo: { enabled: true },
      },
      cookies: {
        // Random per run: the storage is in memory, so nothing outlives the process anyway.
        // `secure` follows the request's protocol (plain http here), so no Secure flag.
        keys: [randomBytes(32).toString("base64url")],
      },
      ttl: {
        AccessToken: 3600,
        AuthorizationCode: 60,
        BackchannelAuthenticationRequest: 600,
        ClientCredentials: 600,
        DeviceCode: 600,
        Grant: 86400,
        IdToken: 3600,
        Interaction: 600,
        RefreshToken: 86400,
        Session: 86400,
      },
      // Never offer the calling site to read tokens cross-origin.
      clientBasedCORS: () => false,
      async findAccount(_ctx, id) {
        const email = emailBySubject.get(id);
        if (email === undefined) return undefined;
        const claims = claimsFor(email);
        return {
          accountId: claims.sub,
          email: claims.email,
          async claims() {
            return { ...claims };
          },
        };
      },
      // Consent is never asked: the demo client is first-party. A grant from this browser
      // session is reused if it belongs to the same account; otherwise a fresh one is made.
      async loadExistingGrant(ctx) {
        const { client, session } = ctx.oidc;
        const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
        if (grantId) {
          const grant = await ctx.oidc.provider.Grant.find(grantId);
          if (grant && grant.accountId === session.accountId) return grant;
        }
        return createGrant(ctx.oidc.provider, client.clientId, session.accountId);
      },
      async renderError(ctx, out) {
        setPageHeaders(ctx);
        const details = Object.entries(out)
          .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`)
          .join("");
        ctx.body = page(
          "Sign-in problem",
          `<h1>Sign-in problem</h1>\n<p>The provider could not handle this sign-in request. Go back to the application and sign in again.</p>\n<dl>${details}</dl>\n`,
        );
      },
    });
  } catch (error) {
    // A bad client or key set: don't leave the port held by a server with no provider.
    server.close();
    throw error;
  }

  // Server errors are real bugs: print them, one line plus the stack. Client errors
  // (expired code, PKCE mismatch, ...) are what tests provoke on purpose: quiet unless verbose.
  provider.on("server_error", (_ctx, error) => console.error("local provider: server error:", error));
  if (verbose) {
    for (const event of [
      "authorization.error",
      "grant.error",
      "userinfo.error",
      "introspection.error",
      "revocation.error",
      "discovery.error",
      "jwks.error",
    ]) {
      provider.on(event, (_ctx, error) =>
        console.error(
          `local provider: ${event}: ${error.message}${error.error_description ? ` (${error.error_description})` : ""}`,
        ),
      );
    }
  }

  if (idTokenHook) {
    // Runs around oidc-provider's routes: after a successful token response, hand the
    // ID token's claims to the hook and replace the token with whatever it asks for.
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.path !== "/token" || ctx.status !== 200 || typeof ctx.body?.id_token !== "string") return;
      const original = ctx.body.id_token;
      const claims = JSON.parse(Buffer.from(original.split(".")[1], "base64url").toString("utf8"));
      const account = ctx.oidc?.account ?? (claims.email ? { accountId: claims.sub, email: claims.email } : undefined);
      try {
        const result = await idTokenHook(claims, account);
        if (result === undefined || result === null) return;
        ctx.body = {
          ...ctx.body,
          id_token: await reissueIdToken(original, normalizeHookResult(result), privateJwks.keys),
        };
      } catch (error) {
        // A broken hook is a bug in the test, not a provider outage: say so plainly.
        console.error("local provider: idTokenHook failed:", error);
        ctx.status = 500;
        ctx.body = { error: "server_error", error_description: "idTokenHook failed" };
      }
    });
  }

  const providerCallback = provider.callback();

  async function interaction(req, res, uid) {
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      // Expired interaction, missing cookie, another browser: nothing to resume.
      return sendHtml(
        res,
        400,
        errorPage(
          "This sign-in request has expired or was started in another browser. Go back to the application and sign in again.",
        ),
      );
    }
    if (details.uid !== uid) {
      return sendHtml(
        res,
        400,
        errorPage("This sign-in request does not match this browser. Go back to the application and sign in again."),
      );
    }
    const choosing = details.prompt.name === "select_account";
    if (!choosing && details.prompt.name !== "login") {
      // Consent is granted automatically (loadExistingGrant); this path only covers an
      // unexpected consent prompt, e.g. a grant that expired during the interaction.
      const grant = await createGrant(provider, details.params.client_id, details.session?.accountId);
      return provider.interactionFinished(
        req,
        res,
        { consent: { grantId: grant.jti } },
        { mergeWithLastSubmission: true },
      );
    }
    const continueTo = (() => {
      try {
        return new URL(details.params.redirect_uri).host;
      } catch {
        return undefined;
      }
    })();
    if (req.method === "GET" || req.method === "HEAD") {
      const other = new URL(req.url ?? "/", issuer).searchParams.get("account") === "other";
      if (!choosing || other) return sendHtml(res, 200, loginPage(uid, { continueTo }));
      const current = emailBySubject.get(details.session?.accountId ?? "");
      const listed = [...new Set([...(current ? [current] : []), ...accounts.map((email) => claimsFor(email).email)])];
      return sendHtml(res, 200, chooserPage(uid, { accounts: listed, current, continueTo }));
    }
    if (req.method !== "POST") {
      res.writeHead(405, { Allow: "GET, POST", "Content-Type": "text/plain" });
      return res.end("method not allowed\n");
    }
    const form = await readFormBody(req);
    const email = form?.get("email")?.trim() ?? "";
    if (!isPlausibleEmail(email)) {
      return sendHtml(
        res,
        400,
        loginPage(uid, { error: "Enter an e-mail address such as name@example.com.", continueTo }),
      );
    }
    const { sub, email: address } = claimsFor(email);
    emailBySubject.set(sub, address);
    // Picking another account than the signed-in one ends the provider's session first (oidc-provider does that).
    const result = { login: { accountId: sub }, ...(choosing ? { select_account: {} } : {}) };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }

  handle = (req, res) => {
    if (routes?.(req, res, issuer)) return;
    const path = (req.url ?? "/").split("?")[0];
    const match = /^\/interaction\/([^/]+)$/.exec(path);
    if (!match) return providerCallback(req, res);
    let uid;
    try {
      uid = decodeURIComponent(match[1]);
    } catch {
      return sendHtml(res, 400, errorPage("Bad sign-in request."));
    }
    interaction(req, res, uid).catch((error) => {
      console.error("local provider: interaction error:", error);
      if (!res.headersSent) sendHtml(res, 500, errorPage("Something went wrong."));
      else res.destroy();
    });
  };

  return {
    issuer,
    url: issuer,
    jwks,
    privateJwks,
    provider,
    close: () => closeServer(server),
  };
}
