// A small demo origin (the app behind the worker). It records every request it receives
// so tests can assert on exactly what the worker forwarded, and it verifies the worker's
// X-Auth-Assertion the way a real origin should: against the worker's published JWKS.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { verifyAssertion as verifyWorkerAssertion } from "../verifier/verify-assertion.mjs";
import { closeServer, listen } from "./listen.mjs";

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

// The page's one stylesheet, allowed by its hash in the page's Content-Security-Policy.
const PAGE_CSS = `:root{color-scheme:light;--bg:#f3f4f6;--card:#fff;--text:#1b1e23;--muted:#4a5260;--line:#d3d7de;--accent:#0b57d0;--ok:#146c2e;--ok-bg:#e7f4ea;--bad:#b3261e;--bad-bg:#fbeaea}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
header,main{max-width:60rem;margin:0 auto;padding:0 1.25rem}
header{padding-top:1.5rem}
main{padding-bottom:2rem}
.kicker{margin:0;color:var(--muted);font-size:.875rem;font-weight:600;letter-spacing:.02em}
h1{margin:.25rem 0 1.25rem;font-size:1.625rem;line-height:1.25}
h2{margin:0 0 .75rem;font-size:1.125rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem;margin-bottom:1rem}
section{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem 1.25rem}
p{margin:0 0 .5rem}
.who{font-size:1.25rem;font-weight:700;overflow-wrap:anywhere}
.muted{color:var(--muted);font-size:.875rem}
code,pre{font:.8125rem/1.45 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
.verdict{margin:0 0 .75rem;padding:.5rem .75rem;border-radius:.375rem;font-weight:700}
.ok{color:var(--ok);background:var(--ok-bg)}.bad{color:var(--bad);background:var(--bad-bg)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.125rem .75rem;margin:0}
dt{color:var(--muted);font-size:.875rem}dd{margin:0;overflow-wrap:anywhere}
.actions{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem 1.25rem;margin:0 0 1rem}
form{margin:0}
button{padding:.5rem 1.125rem;border:2px solid var(--accent);border-radius:.375rem;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}
a{color:var(--accent);text-underline-offset:.2em}
a:focus-visible,button:focus-visible{outline:3px solid var(--text);outline-offset:3px}
table{width:100%;border-collapse:collapse;font-size:.8125rem}
th,td{padding:.375rem .5rem;border-top:1px solid var(--line);text-align:left;vertical-align:top}
th{width:13rem;font-weight:600;white-space:nowrap}
td{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;word-break:break-all}
tr.identity th,tr.identity td{background:#eef3fd}`;
// No `form-action`: browsers apply it to the redirects after the sign-out post as well, and
// those go on to the provider (another origin), so `form-action 'self'` would block signing out.
const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash("sha256").update(PAGE_CSS).digest("base64")}'; base-uri 'none'; frame-ancestors 'none'`;

const IDENTITY_HEADERS = [
  "x-auth-workload",
  "x-auth-user-email",
  "x-auth-user-sub",
  "x-auth-user-provider",
  "x-auth-assertion",
];

function when(seconds) {
  return typeof seconds === "number"
    ? `${seconds} (${new Date(seconds * 1000).toISOString().replace(".000", "")})`
    : String(seconds);
}

function homePage({ email, sub, workload, headers, assertion }) {
  const names = Object.keys(headers).sort((a, b) => {
    const rank = (name) => (IDENTITY_HEADERS.includes(name) ? IDENTITY_HEADERS.indexOf(name) : IDENTITY_HEADERS.length);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const rows = names
    .map((name) => {
      const value = headers[name];
      const shown = Array.isArray(value) ? value.join(", ") : value;
      return `<tr${IDENTITY_HEADERS.includes(name) ? ' class="identity"' : ""}><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(shown)}</td></tr>`;
    })
    .join("\n");
  const signedIn = Boolean(email || sub);
  const who = workload
    ? `<p class="muted">A workload (a machine, not a person)</p>
<p class="who" id="workload">${escapeHtml(workload)}</p>
<dl><dt>sub</dt><dd><code id="sub">${escapeHtml(sub ?? "(none)")}</code></dd>${email ? `<dt>email</dt><dd>${escapeHtml(email)}</dd>` : ""}</dl>
<p class="muted">From the <code>X-Auth-Workload</code> and <code>X-Auth-User-Sub</code> headers the worker set after verifying the workload's own OIDC token.</p>`
    : signedIn
      ? `<p class="muted">Signed in as</p>
<p class="who" id="email">${escapeHtml(email ?? "(no e-mail header)")}</p>
<dl><dt>sub</dt><dd><code id="sub">${escapeHtml(sub ?? "(none)")}</code></dd></dl>
<p class="muted">From the <code>X-Auth-User-Email</code> and <code>X-Auth-User-Sub</code> headers the worker set.</p>`
      : `<p class="who">Nobody</p><p class="muted">No identity headers: this request did not come through the worker's gate.</p>`;
  const claims = assertion.valid
    ? `<dl>${["iss", "aud", "sub", "idp", "workload", "email", "hd", "iat", "exp"]
        .filter((name) => assertion.claims[name] !== undefined)
        .map(
          (name) =>
            `<dt>${name}</dt><dd>${escapeHtml(name === "iat" || name === "exp" ? when(assertion.claims[name]) : String(assertion.claims[name]))}</dd>`,
        )
        .join("")}<dt>kid</dt><dd>${escapeHtml(String(assertion.header?.kid ?? ""))}</dd></dl>`
    : "";
  const verdict = assertion.valid
    ? `<p class="verdict ok" id="assertion">&#10003; X-Auth-Assertion: assertion verified against the worker's JWKS</p>${claims}`
    : `<p class="verdict bad" id="assertion">&#10007; X-Auth-Assertion: not verified (<code>${escapeHtml(assertion.error)}</code>${assertion.claim ? `, claim <code>${escapeHtml(assertion.claim)}</code>` : ""})</p>
<p class="muted">The origin checks the signature against the worker's <code>/.well-known/jwks.json</code>, the issuer, the audience and the age.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo origin: ${workload ? `workload ${escapeHtml(workload)}` : signedIn ? `signed in as ${escapeHtml(email ?? sub)}` : "not signed in"}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<header>
<p class="kicker">edge-auth-worker demo: the origin (the app behind the worker)</p>
<h1>${workload ? "A workload is calling" : signedIn ? "You are signed in" : "Not signed in"}</h1>
</header>
<main>
<div class="cards">
<section aria-labelledby="who-title"><h2 id="who-title">Who is signed in</h2>
${who}
</section>
<section aria-labelledby="assertion-title"><h2 id="assertion-title">Signed assertion</h2>
${verdict}
</section>
</div>
<div class="actions">
<form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>
<a href="/auth/sessions">Your sessions</a>
<span class="muted">where you are signed in; end the ones you do not use</span>
<a href="/auth/me">/auth/me</a><span class="muted">the worker's view of the session</span>
<a href="/api/whoami">/api/whoami</a><span class="muted">this page as JSON</span>
</div>
<section aria-labelledby="headers-title"><h2 id="headers-title">Request headers received by the origin</h2>
<table>
${rows}
</table>
</section>
</main>
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
 * @returns {Promise<{url: string, requests: {method: string, url: string, headers: Record<string, string|string[]>, rawHeaders: string[], body: string}[], socketCloses: {url: string, code: number, reason: string}[], configure(options: {jwksUrl?: string, issuer?: string, audience?: string}): void, close(): Promise<void>}>}
 */
export async function startOrigin(options = {}) {
  const { host = "127.0.0.1", port = 0, onRequest } = options;
  const requests = [];
  let verification = {};

  // The key set is fetched lazily and cached by jose; tests that start the worker after
  // the origin pass its JWKS URL later through configure().
  function configure(next = {}) {
    const jwksUrl = next.jwksUrl ?? verification.jwksUrl;
    const issuer = next.issuer ?? verification.issuer ?? (jwksUrl ? new URL(jwksUrl).origin : undefined);
    verification = { jwksUrl, issuer, audience: next.audience ?? verification.audience };
  }

  async function verifyAssertion(req, selfOrigin) {
    const assertion = req.headers["x-auth-assertion"];
    if (assertion === undefined) return { valid: false, error: "missing" };
    if (typeof assertion !== "string" || assertion.length > 16 * 1024) return { valid: false, error: "malformed" };
    if (!verification.jwksUrl) return { valid: false, error: "no-jwks-url-configured" };
    try {
      // The same check every origin should make: verifier/verify-assertion.mjs.
      // This origin serves people and workloads (a CI job in `npm start`) alike.
      const { claims, header } = await verifyWorkerAssertion(req, {
        jwksUrl: verification.jwksUrl,
        issuer: verification.issuer,
        audience: verification.audience ?? selfOrigin,
        workloads: true,
      });
      return { valid: true, claims, header };
    } catch (error) {
      // jose errors carry a stable `code` (ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ...);
      // a network failure fetching the JWKS does not, so fall back to its name.
      return {
        valid: false,
        error: error?.code ?? error?.name ?? "error",
        ...(error?.claim ? { claim: error.claim } : {}),
      };
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
    const html = homePage({
      email: header(req, "x-auth-user-email"),
      sub: header(req, "x-auth-user-sub"),
      workload: header(req, "x-auth-workload"),
      headers: req.headers,
      assertion,
    });
    return send(res, 200, "text/html; charset=utf-8", html, {
      "Content-Security-Policy": PAGE_CSP,
      // Not `no-referrer` on this page: with it, browsers send `Origin: null` on the sign-out
      // form's POST, and the worker refuses that as cross-site (403).
      "Referrer-Policy": "same-origin",
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
  // WebSocket handshakes are recorded like any request and accepted; the socket echoes each
  // message, answers `who` with the X-Auth-User-Email it was opened with, closes with code N on
  // `close N`, and keeps every close it sees (code, reason) in `socketCloses`, so tests can see
  // what reached the origin and how the worker ended it.
  const sockets = new WebSocketServer({ noServer: true });
  const socketCloses = [];
  server.on("upgrade", (req, socket, head) => {
    requests.push({
      method: req.method,
      url: req.url,
      headers: { ...req.headers },
      rawHeaders: [...req.rawHeaders],
      body: "",
    });
    socket.on("error", () => socket.destroy());
    sockets.handleUpgrade(req, socket, head, (ws) => {
      ws.on("message", (data, isBinary) => {
        const text = isBinary ? undefined : data.toString();
        if (text === "who") ws.send(header(req, "x-auth-user-email") ?? "");
        else if (text?.startsWith("close ")) ws.close(Number(text.slice(6)), "origin closed");
        else ws.send(data, { binary: isBinary });
      });
      ws.on("close", (code, reason) => socketCloses.push({ url: req.url, code, reason: reason.toString() }));
      ws.on("error", () => ws.terminate());
    });
  });

  // Malformed HTTP never takes the server down.
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  const url = await listen(server, port, host);
  configure({ jwksUrl: options.jwksUrl, issuer: options.issuer, audience: options.audience ?? url });

  return {
    url,
    requests,
    socketCloses,
    configure,
    close: () => {
      for (const ws of sockets.clients) ws.terminate();
      return closeServer(server);
    },
  };
}
