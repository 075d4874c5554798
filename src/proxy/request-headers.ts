import { decodeProtectedHeader } from "jose";
import type { CookieJar } from "../http/cookies";
import { TOKEN_TYPES } from "../tokens/our-jwt";

/** The identity headers we set; every client header that isIdentityHeader() matches is stripped first. */
export const IDENTITY_HEADERS = {
  sub: "X-Auth-User-Sub",
  email: "X-Auth-User-Email",
  /** The id of the provider the person signed in at (docs/providers.md): `sub` is unique only there. */
  provider: "X-Auth-User-Provider",
  assertion: "X-Auth-Assertion",
  /** Comma-separated: the person's groups that ACCESS_POLICY names (docs/access-policies.md); only when there are any. */
  groups: "X-Auth-User-Groups",
  /** The TRUSTED_WORKLOADS name, on requests a workload token authenticated (docs/access-policies.md, "Machines as callers"). */
  workload: "X-Auth-Workload",
} as const;

/** Set on every proxied request (replacing a client's), so origin logs line up with ours. */
const REQUEST_ID_HEADER = "X-Request-Id";

/**
 * Identity headers other proxies set (oauth2-proxy, Apache/nginx auth, Cloudflare Access, IAP):
 * origins written for them trust them, so a client never gets to send them (docs/security.md).
 */
const FOREIGN_IDENTITY_HEADERS = new Set([
  "x-forwarded-user",
  "x-forwarded-email",
  "x-forwarded-preferred-username",
  "x-forwarded-groups",
  "x-forwarded-access-token",
  "remote-user",
  "x-remote-user",
  "x-webauth-user",
  "cf-access-jwt-assertion",
  "cf-access-authenticated-user-email",
  "x-goog-iap-jwt-assertion",
]);

/**
 * A header name as an origin may read it: lower case, `_` as `-` (CGI, PHP and some frameworks
 * turn both `X-Forwarded-For` and `X_Forwarded_For` into `HTTP_X_FORWARDED_FOR`).
 */
function dashed(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes("_") ? lower.replace(/_/g, "-") : lower;
}

/** `x-auth-*` and the foreign ones; `name` as dashed() spells it. */
function isIdentityHeader(name: string): boolean {
  return (
    name.startsWith("x-auth-") || name.startsWith("x-goog-authenticated-user-") || FOREIGN_IDENTITY_HEADERS.has(name)
  );
}

/**
 * Headers some origins honour to route a request elsewhere than its path (IIS, Symfony, Zend:
 * `X-Original-URL: /admin` on a public path), or to learn the public host or the client's
 * address. A client never gets to set them; the forwarding ones are set by us.
 */
const ROUTING_HEADERS = [
  "x-original-url",
  "x-rewrite-url",
  "x-override-url",
  "x-original-uri",
  "forwarded",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-forwarded-prefix",
  "x-forwarded-for",
  "x-real-ip",
  // Other spellings of the client's address that origins and their frameworks read.
  "true-client-ip",
  "x-client-ip",
  "client-ip",
  "x-cluster-client-ip",
  "fastly-client-ip",
];

/**
 * Headers that make frameworks (Rails' and Laravel's method spoofing, Express's method-override,
 * Symfony, ASP.NET) treat a request as another method than the one the policy decided: a GET a
 * public rule let through would arrive as a DELETE.
 */
const METHOD_OVERRIDE_HEADERS = ["x-http-method-override", "x-http-method", "x-method-override"];

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "expect",
];

/** The lists, for one lookup per header. */
const NOT_FORWARDED: ReadonlySet<string> = new Set([...ROUTING_HEADERS, ...METHOD_OVERRIDE_HEADERS, ...HOP_BY_HOP]);

function isOurAccessToken(token: string): boolean {
  try {
    return decodeProtectedHeader(token).typ === TOKEN_TYPES.access;
  } catch {
    return false;
  }
}

/**
 * True when `Authorization` carries one of our access tokens, valid, expired or beaten by the
 * cookie, under any scheme (`Bearer`, `bearer`, `DPoP`, a list): it never goes to the origin.
 */
function carriesOurAccessToken(authorization: string | null, bearer: string | undefined): boolean {
  if (authorization === null) return false;
  if (bearer && isOurAccessToken(bearer)) return true;
  return authorization.split(/[\s,]+/).some((part) => part.split(".").length === 3 && isOurAccessToken(part));
}

/** Who the origin is told about: a signed-in person, or a workload (with its name). */
export interface ForwardedIdentity {
  user: { provider?: string; sub: string; email?: string; groups?: readonly string[] };
  /** Set when a workload token authenticated the request: that token is not forwarded. */
  workload?: string;
  assertion: string;
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
  /** The bearer token is a TRUSTED_WORKLOADS issuer's: meant for us, so never the origin's, on any path. */
  workloadBearer?: boolean;
}

/**
 * The headers the origin receives: identity, hop-by-hop, routing and method-override headers (and whatever
 * `Connection` names) gone; X-Forwarded-Host/-Proto from our public origin, X-Forwarded-For and
 * X-Real-IP from Cloudflare's client address, X-Request-Id; our cookies and our access token
 * gone (and a workload's token, on every path: it was meant for us); for a signed-in user or a workload the
 * identity headers. `Expect` goes too: forwarding `100-continue` makes fetch() see a 100 and fail.
 */
export function upstreamHeaders(incoming: Headers, facts: UpstreamFacts, identity?: ForwardedIdentity): Headers {
  // A copy made by the runtime, then the few headers that must not pass deleted: several times
  // cheaper than appending every header from JavaScript (bench/README.md, "Where the microseconds go").
  const headers = new Headers(incoming);
  const connection = incoming.get("connection");
  const named = connection
    ? new Set(
        connection
          .split(",")
          .map((token) => token.trim().toLowerCase())
          .filter(Boolean),
      )
    : undefined;
  for (const name of incoming.keys()) {
    const canonical = dashed(name);
    if (isIdentityHeader(canonical) || NOT_FORWARDED.has(canonical) || named?.has(name.toLowerCase()))
      headers.delete(name);
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
  if (
    facts.workloadBearer ||
    identity?.workload !== undefined ||
    carriesOurAccessToken(incoming.get("authorization"), facts.bearer)
  )
    headers.delete("authorization");
  if (identity) {
    headers.set(IDENTITY_HEADERS.sub, identity.user.sub);
    if (identity.user.email) headers.set(IDENTITY_HEADERS.email, identity.user.email);
    if (identity.user.provider) headers.set(IDENTITY_HEADERS.provider, identity.user.provider);
    headers.set(IDENTITY_HEADERS.assertion, identity.assertion);
    if (identity.user.groups?.length) headers.set(IDENTITY_HEADERS.groups, identity.user.groups.join(","));
    if (identity.workload !== undefined) headers.set(IDENTITY_HEADERS.workload, identity.workload);
  }
  return headers;
}
