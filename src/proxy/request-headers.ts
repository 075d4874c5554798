import { decodeProtectedHeader } from "jose";
import type { CookieJar } from "../http/cookies";
import type { Identity } from "../identity";
import { TOKEN_TYPES } from "../tokens/our-tokens";

/** The identity headers we set; every client header that isIdentityHeader() matches is stripped first. */
export const IDENTITY_HEADERS = {
  sub: "X-Auth-User-Sub",
  email: "X-Auth-User-Email",
  assertion: "X-Auth-Assertion",
} as const;

/** Set on every proxied request (replacing a client's), so origin logs line up with ours. */
export const REQUEST_ID_HEADER = "X-Request-Id";

/**
 * Identity headers other proxies set (oauth2-proxy, Apache/nginx auth, Cloudflare Access, IAP):
 * origins written for them trust them, so a client never gets to send them (contract 7).
 */
const FOREIGN_IDENTITY_HEADERS = new Set([
  "x-forwarded-user", "x-forwarded-email", "x-forwarded-preferred-username", "x-forwarded-groups", "x-forwarded-access-token",
  "remote-user", "x-remote-user", "x-webauth-user", "cf-access-jwt-assertion", "cf-access-authenticated-user-email", "x-goog-iap-jwt-assertion",
]);

/** `x-auth-*` in any case, with `_` or `-` (some servers turn `X_Auth_User` into `X-Auth-User`), and the foreign ones. */
function isIdentityHeader(name: string): boolean {
  const dashed = name.toLowerCase().replace(/_/g, "-");
  return dashed.startsWith("x-auth-") || dashed.startsWith("x-goog-authenticated-user-") || FOREIGN_IDENTITY_HEADERS.has(dashed);
}

/**
 * Headers some origins honour to route a request elsewhere than its path (IIS, Symfony, Zend:
 * `X-Original-URL: /admin` on a public path), or to learn the public host or the client's
 * address. A client never gets to set them; the forwarding ones are set by us.
 */
const ROUTING_HEADERS = ["x-original-url", "x-rewrite-url", "x-override-url", "x-original-uri", "forwarded", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-prefix", "x-forwarded-for", "x-real-ip"];

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "expect"];

/** True when `Authorization` carries one of our access tokens: it never goes to the origin. */
function carriesOurAccessToken(bearer: string | undefined): boolean {
  if (!bearer) return false;
  try {
    return decodeProtectedHeader(bearer).typ === TOKEN_TYPES.access;
  } catch {
    return false;
  }
}

export interface UpstreamFacts {
  requestId: string;
  /** Our public origin's host and scheme, for X-Forwarded-Host/-Proto. */
  publicHost: string;
  publicProto: string;
  cookies: CookieJar;
  bearer: string | undefined;
  webSocketUpgrade: boolean;
  clientIp: string | undefined;
}

/**
 * The headers the origin receives: identity, hop-by-hop and routing headers (and whatever
 * `Connection` names) gone; X-Forwarded-Host/-Proto from our public origin, X-Forwarded-For and
 * X-Real-IP from Cloudflare's client address, X-Request-Id; our cookies and our access token
 * gone; for a signed-in user the identity headers. `Expect` goes too: forwarding
 * `100-continue` makes fetch() see a 100 and fail.
 */
export function upstreamHeaders(incoming: Headers, facts: UpstreamFacts, identity?: { user: Identity; assertion: string }): Headers {
  const headers = new Headers();
  const named = new Set((incoming.get("connection") ?? "").split(",").map((token) => token.trim().toLowerCase()).filter(Boolean));
  for (const [name, value] of incoming) {
    if (isIdentityHeader(name) || ROUTING_HEADERS.includes(name) || HOP_BY_HOP.includes(name) || named.has(name)) continue;
    headers.append(name, value);
  }
  if (facts.webSocketUpgrade) {
    // Only the upgrade itself passes, never the client's other Connection tokens.
    headers.set("Connection", "Upgrade");
    headers.set("Upgrade", "websocket");
  }
  headers.set("X-Forwarded-Host", facts.publicHost);
  headers.set("X-Forwarded-Proto", facts.publicProto);
  if (facts.clientIp) {
    headers.set("X-Forwarded-For", facts.clientIp);
    headers.set("X-Real-IP", facts.clientIp);
  }
  headers.set(REQUEST_ID_HEADER, facts.requestId);
  const cookie = facts.cookies.forOrigin();
  if (cookie === null) headers.delete("cookie");
  else headers.set("cookie", cookie);
  if (carriesOurAccessToken(facts.bearer)) headers.delete("authorization");
  if (identity) {
    headers.set(IDENTITY_HEADERS.sub, identity.user.sub);
    headers.set(IDENTITY_HEADERS.email, identity.user.email);
    headers.set(IDENTITY_HEADERS.assertion, identity.assertion);
  }
  return headers;
}
