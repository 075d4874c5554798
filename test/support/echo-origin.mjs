// The origin of the route tests (test/unit), written once as plain Fetch code so that it runs
// both ways the worker can reach an origin: behind ORIGIN_URL (miniflare's outboundService,
// vitest.config.ts) and behind the ORIGIN service binding (a second worker in workerd).

// Every named export of a Worker's module must be a handler, so no constants are exported here.

/**
 * Echoes what it received as JSON ({method, path, url, headers, body}), and tries to set the
 * worker's cookies between two of its own. `/cached...` answers are publicly cacheable; on a path
 * ending in `/origin-throws` it throws.
 */
export async function echoOrigin(request) {
  const url = new URL(request.url);
  // Inside workerd (the service binding), a WebSocket upgrade is accepted and spoken (echoSocket).
  const upgrade = (request.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
  if (upgrade && typeof WebSocketPair === "function") return echoSocket(request);
  // An origin in trouble: its fetch handler throws (an origin Worker's uncaught exception).
  if (url.pathname.endsWith("/origin-throws")) throw new Error("the origin crashed");
  const headers = {};
  request.headers.forEach((value, name) => (headers[name] = value));
  const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
  const response = new Response(
    JSON.stringify({ method: request.method, path: url.pathname + url.search, url: request.url, headers, body }),
    {
      headers: {
        "Content-Type": "application/json",
        "Cache-Control": url.pathname.startsWith("/cached") ? "public, max-age=60" : "no-cache",
      },
    },
  );
  response.headers.append("Set-Cookie", "origin_a=1; Path=/");
  response.headers.append("Set-Cookie", "__Host-access=forged; Path=/; Secure");
  response.headers.append("Set-Cookie", "origin_b=2; Path=/");
  return response;
}

/**
 * A WebSocket that echoes each message back; `who` answers with the X-Auth-User-Email it was
 * opened with, `headers` with every header of the upgrade request it was opened with (JSON, by
 * lower-case name), `close <code>` makes the origin close with that code.
 */
function echoSocket(request) {
  const [client, server] = Object.values(new WebSocketPair());
  server.binaryType = "arraybuffer";
  server.accept();
  server.addEventListener("message", (event) => {
    if (event.data === "who") server.send(request.headers.get("x-auth-user-email") ?? "");
    else if (event.data === "headers") server.send(JSON.stringify(Object.fromEntries(request.headers)));
    else if (String(event.data).startsWith("close ")) server.close(Number(event.data.slice(6)), "origin closed");
    else server.send(event.data);
  });
  const protocol = request.headers.get("sec-websocket-protocol")?.split(",")[0]?.trim();
  const headers = protocol ? { "Sec-WebSocket-Protocol": protocol } : {};
  return new Response(null, { status: 101, headers, webSocket: client });
}

export default { fetch: echoOrigin };
