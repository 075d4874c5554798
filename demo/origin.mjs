// A small demo origin (the app behind the worker). It records every request it receives
// so tests can assert on exactly what the worker forwarded, and it verifies the worker's
// X-Auth-Assertion the way a real origin should: against the worker's published JWKS.
import { createServer } from "node:http";
import { createRemoteJWKSet, jwtVerify } from "jose";

const BODY_LIMIT = 1024 * 1024;
const PUBLIC_PATH = /^\/(public(\/.*)?|healthz)$/;

function escapeHtml(value) {
  return String(value).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The worker's identity headers arrive as single values; anything else (missing, a list
// joined by Node) is shown as-is but never trusted.
function header(req, name) {
  const value = req.headers[name];
  return typeof value === "string" ? value : undefined;
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_LIMIT) {
      truncated = true;
      continue; // drain the rest so the connection stays usable
    }
    chunks.push(chunk);
  }
  return { body: Buffer.concat(chunks).toString("utf8"), truncated };
}

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

function send(res, status, contentType, body, extra = {}) {
  res.writeHead(status, { "Content-Type": contentType, ...SECURITY_HEADERS, ...extra });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function homePage({ email, sub, headers, assertion }) {
  const rows = Object.entries(headers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `<tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(Array.isArray(value) ? value.join(", ") : value)}</td></tr>`)
    .join("\n");
  const who = email || sub
    ? `<p class="who">Signed in as <strong id="email">${escapeHtml(email ?? "(no e-mail header)")}</strong><br>
<span class="muted">sub (X-Auth-User-Sub):</span> <code id="sub">${escapeHtml(sub ?? "(none)")}</code></p>`
    : `<p class="who">No identity headers: this request did not pass the worker's gate.</p>`;
  const verdict = assertion.valid
    ? `<p class="ok" id="assertion">X-Auth-Assertion: assertion verified against the worker's JWKS.</p>
<pre>${escapeHtml(JSON.stringify(assertion.claims, null, 2))}</pre>`
    : `<p class="bad" id="assertion">X-Auth-Assertion: not verified (<code>${escapeHtml(assertion.error)}</code>${assertion.claim ? `, claim <code>${escapeHtml(assertion.claim)}</code>` : ""}).</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signed in through edge-auth-worker</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
  table { border-collapse: collapse; width: 100%; font-size: .85rem; }
  th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; word-break: break-all; }
  pre { background: #f4f4f4; padding: .75rem; overflow-x: auto; }
  .ok { color: #065f06; font-weight: 600; } .bad { color: #a00; font-weight: 600; } .muted { color: #555; }
  form { display: inline; } button { padding: .4rem 1rem; font-size: 1rem; }
</style>
</head>
<body>
<h1>Signed in through edge-auth-worker</h1>
${who}
${verdict}
<p><form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>
&nbsp; <a href="/auth/me">/auth/me</a> (the worker's view of the session) &nbsp; <a href="/api/whoami">/api/whoami</a></p>
<h2>Request headers received by the origin</h2>
<table>
${rows}
</table>
</body>
</html>
`;
}

/**
 * Start the demo origin server.
 *
 * @param {object} options
 * @param {string} [options.host="127.0.0.1"]
 * @param {number} [options.port=0] 0 picks a free port.
 * @param {string} [options.jwksUrl] the worker's `/.well-known/jwks.json`; can also be given later with `configure()`.
 * @param {string} [options.issuer] expected `iss` of the assertion (the worker's public origin); default: the origin of `jwksUrl`.
 * @param {string} [options.audience] expected `aud`; default: this server's own origin (`http://127.0.0.1:<port>`).
 * @param {(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse, record: object) => (boolean|void|Promise<boolean|void>)} [options.onRequest]
 *   optional test hook, called after recording and before routing; return true (or end the response) to take over.
 * @returns {Promise<{url: string, requests: {method: string, url: string, headers: Record<string, string|string[]>, rawHeaders: string[], body: string}[], configure(options: {jwksUrl?: string, issuer?: string, audience?: string}): void, close(): Promise<void>}>}
 */
export async function startOrigin(options = {}) {
  const { host = "127.0.0.1", port = 0, onRequest } = options;
  const requests = [];
  let verification = {};
  let jwks;

  // The key set is fetched lazily and cached by jose; tests that start the worker after
  // the origin pass its JWKS URL later through configure().
  function configure(next = {}) {
    const jwksUrl = next.jwksUrl ?? verification.jwksUrl;
    const issuer = next.issuer ?? verification.issuer ?? (jwksUrl ? new URL(jwksUrl).origin : undefined);
    verification = { jwksUrl, issuer, audience: next.audience ?? verification.audience };
    jwks = jwksUrl ? createRemoteJWKSet(new URL(jwksUrl)) : undefined;
  }

  async function verifyAssertion(req, selfOrigin) {
    const assertion = req.headers["x-auth-assertion"];
    if (assertion === undefined) return { valid: false, error: "missing" };
    if (typeof assertion !== "string" || assertion.length > 16 * 1024) return { valid: false, error: "malformed" };
    if (!jwks) return { valid: false, error: "no-jwks-url-configured" };
    try {
      const { payload, protectedHeader } = await jwtVerify(assertion, jwks, {
        issuer: verification.issuer,
        audience: verification.audience ?? selfOrigin,
        algorithms: ["ES256", "EdDSA"],
        maxTokenAge: "5m",
      });
      return { valid: true, claims: payload, header: protectedHeader };
    } catch (error) {
      // jose errors carry a stable `code` (ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ...);
      // a network failure fetching the JWKS does not, so fall back to its name.
      return { valid: false, error: error?.code ?? error?.name ?? "error", ...(error?.claim ? { claim: error.claim } : {}) };
    }
  }

  async function route(req, res, record, selfOrigin) {
    let url;
    try {
      // Concatenate rather than resolve: "//x/y" is a path here, not a host.
      url = new URL(`http://origin.invalid${record.url.startsWith("/") ? "" : "/"}${record.url}`);
    } catch {
      return send(res, 400, "text/plain; charset=utf-8", "bad request\n");
    }
    const path = url.pathname;

    if (PUBLIC_PATH.test(path)) {
      return send(res, 200, "text/plain; charset=utf-8", `public: ${path}\n`);
    }

    if (path === "/api/whoami" || (req.method !== "GET" && req.method !== "HEAD")) {
      // JSON for tests and SPAs; any non-GET request is echoed here as well.
      const assertion = await verifyAssertion(req, selfOrigin);
      const body = { method: req.method, path, query: url.search, headers: req.headers, assertion };
      if (req.method !== "GET" && req.method !== "HEAD") body.body = record.body;
      return send(res, 200, "application/json; charset=utf-8", JSON.stringify(body, null, 2) + "\n", {
        // Two cookies in one response: the worker must pass both through untouched.
        "Set-Cookie": ["origin_pref=1; Path=/", "origin_other=2; Path=/"],
      });
    }

    const assertion = await verifyAssertion(req, selfOrigin);
    const html = homePage({ email: header(req, "x-auth-user-email"), sub: header(req, "x-auth-user-sub"), headers: req.headers, assertion });
    return send(res, 200, "text/html; charset=utf-8", html, {
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    });
  }

  const server = createServer(async (req, res) => {
    try {
      const record = {
        method: req.method,
        url: req.url,
        headers: { ...req.headers },
        rawHeaders: [...req.rawHeaders],
        body: "",
      };
      requests.push(record);
      const { body, truncated } = await readBody(req);
      record.body = body;
      if (truncated) return send(res, 413, "text/plain; charset=utf-8", "body too large\n");
      const selfOrigin = `http://${req.socket.localAddress?.includes(":") ? `[${req.socket.localAddress}]` : req.socket.localAddress}:${req.socket.localPort}`;
      if (onRequest && ((await onRequest(req, res, record)) === true || res.writableEnded)) return;
      await route(req, res, record, selfOrigin);
    } catch (error) {
      console.error("demo origin: error:", error);
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "origin error\n");
      else res.destroy();
    }
  });
  // Malformed HTTP never takes the server down.
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const url = `http://${address.address.includes(":") ? `[${address.address}]` : address.address}:${address.port}`;
  configure({ jwksUrl: options.jwksUrl, issuer: options.issuer, audience: options.audience ?? url });

  return {
    url,
    requests,
    configure,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
