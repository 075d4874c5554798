import { withoutWorkerCookies } from "../http/cookies";
import type { Identity } from "../session/identity";

/** The identity headers we set; every client header that isIdentityHeader() matches is stripped first. */
export const IDENTITY_HEADERS = {
  sub: "X-Auth-User-Sub",
  email: "X-Auth-User-Email",
  assertion: "X-Auth-Assertion",
} as const;

/** Set on every proxied request (replacing a client's), so origin logs line up with ours. */
export const REQUEST_ID_HEADER = "X-Request-Id";

/** `x-auth-*` in any case, with `_` or `-` (some servers turn `X_Auth_User` into `X-Auth-User`). */
function isIdentityHeader(name: string): boolean {
  return name.toLowerCase().replace(/_/g, "-").startsWith("x-auth-");
}

/**
 * Headers some origins honour to route a request elsewhere than its path (IIS, Symfony, Zend:
 * `X-Original-URL: /admin` on a public path), or to learn the public host. A client never gets
 * to set them; the forwarding ones are set by us from PUBLIC_URL.
 */
const ROUTING_HEADERS = ["x-original-url", "x-rewrite-url", "x-override-url", "x-original-uri", "forwarded", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-prefix"];

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "expect"];

// Parsing the public origin once, not per request; bounded since, without PUBLIC_URL, it
// comes from the request's Host.
const forwarded = new Map<string, { host: string; proto: string }>();

function forwardedFor(publicOrigin: string): { host: string; proto: string } {
  let value = forwarded.get(publicOrigin);
  if (!value) {
    const { host, protocol } = new URL(publicOrigin);
    if (forwarded.size >= 16) forwarded.clear();
    forwarded.set(publicOrigin, (value = { host, proto: protocol.slice(0, -1) }));
  }
  return value;
}

export function isWebSocketUpgrade(headers: Headers): boolean {
  return (headers.get("upgrade") ?? "").toLowerCase() === "websocket";
}

/** Removes every client-supplied identity header, on every path (contract 4.1). Returns a copy. */
export function stripIdentityHeaders(headers: Headers): Headers {
  const copy = new Headers(headers);
  for (const name of [...copy.keys()]) if (isIdentityHeader(name)) copy.delete(name);
  return copy;
}

/**
 * The headers the origin receives: hop-by-hop and routing headers (and whatever `Connection`
 * names) gone, X-Forwarded-Host/-Proto from our public origin, X-Request-Id,
 * our cookies gone, and for a signed-in user the identity headers, each removed before set.
 * `Expect` goes too: forwarding `100-continue` makes fetch() see a 100 and fail.
 */
export function upstreamHeaders(
  incoming: Headers,
  { requestId, publicOrigin, identity }: { requestId: string; publicOrigin: string; identity?: { user: Identity; assertion: string; dropAuthorization: boolean } },
): Headers {
  const headers = stripIdentityHeaders(incoming);
  for (const name of ROUTING_HEADERS) headers.delete(name);
  const { host, proto } = forwardedFor(publicOrigin);
  headers.set("X-Forwarded-Host", host);
  headers.set("X-Forwarded-Proto", proto);
  headers.set(REQUEST_ID_HEADER, requestId);
  const webSocket = isWebSocketUpgrade(headers);
  const named = (headers.get("connection") ?? "").split(",").map((token) => token.trim().toLowerCase()).filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...named]) {
    if (webSocket && (name === "upgrade" || name === "connection")) continue;
    headers.delete(name);
  }
  const cookie = withoutWorkerCookies(headers.get("cookie"));
  if (cookie === null) headers.delete("cookie");
  else headers.set("cookie", cookie);
  if (identity) {
    // The origin gets the assertion instead of our session token.
    if (identity.dropAuthorization) headers.delete("authorization");
    headers.set(IDENTITY_HEADERS.sub, identity.user.sub);
    headers.set(IDENTITY_HEADERS.email, identity.user.email);
    headers.set(IDENTITY_HEADERS.assertion, identity.assertion);
  }
  return headers;
}
