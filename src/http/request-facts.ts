import { ACCESS_COOKIE, parseCookies, REFRESH_COOKIE, type CookieJar } from "./cookies";
import { HTTP_METHOD } from "../config/access-policy";

/**
 * What the worker needs to know about a request, read once at its start: the rest of the
 * request's handling reads this value, never the headers again.
 */
export interface RequestFacts {
  url: URL;
  method: string;
  cookies: CookieJar;
  accessCookie: string | undefined;
  refreshCookie: string | undefined;
  /** `Authorization: Bearer <jwt-shaped token>`, or undefined. */
  bearer: string | undefined;
  /** A top-level browser navigation: it gets a redirect to sign in, not a 401 (docs/reference.md, "The gate"). */
  navigation: boolean;
  /** The browser will show the answer as a page: navigations and form posts. Else JSON. */
  wantsPage: boolean;
  /** Sent by a browser from another site (docs/reference.md, "Routes"). */
  crossSite: boolean;
  webSocketUpgrade: boolean;
  /**
   * A browser's CORS preflight: the method its Access-Control-Request-Method asks about, upper
   * case. Only an OPTIONS with `Origin` and neither `Cookie` nor `Authorization`, nor a body or
   * `Content-Type`, is one: the Fetch standard sends preflights without credentials and without
   * a body, so a request carrying any of them is something else and needs a session.
   * @see https://fetch.spec.whatwg.org/#cors-preflight-fetch
   */
  preflightMethod: string | undefined;
  /** CF-Connecting-IP: the client's address as Cloudflare saw it. */
  clientIp: string | undefined;
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9\-_.]+)\s*$/i;

/**
 * A body announced by its headers: Content-Type, Transfer-Encoding, a non-zero Content-Length
 * (RFC 9112 6.3). Not `request.body`: the runtime gives a bodiless request an empty stream too.
 * A preflight's body, if any, is never sent on (proxy/proxy.ts).
 */
function carriesBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  if (headers.has("content-type") || headers.has("transfer-encoding")) return true;
  return length !== null && length.trim() !== "0";
}

function preflightMethodOf(request: Request, headers: Headers): string | undefined {
  if (request.method !== "OPTIONS" || !headers.has("origin") || headers.has("cookie") || headers.has("authorization"))
    return undefined;
  if (carriesBody(headers)) return undefined;
  const requested = headers.get("access-control-request-method");
  return requested !== null && HTTP_METHOD.test(requested) ? requested.toUpperCase() : undefined;
}

/** `url`: `request.url` parsed, when the caller has already done it. */
export function readRequest(request: Request, publicOrigin: string, url = new URL(request.url)): RequestFacts {
  const headers = request.headers;
  const cookies = parseCookies(headers.get("cookie"));
  const fetchMode = headers.get("sec-fetch-mode");
  const getOrHead = request.method === "GET" || request.method === "HEAD";
  // The documented rule, literally: `Accept: text/html` counts even when Sec-Fetch-Mode says
  // otherwise (Node's fetch always sends `cors`). A page's fetch() that wants a 401 should
  // not ask for text/html (htmx/Turbo users: see docs/security.md).
  const navigation =
    getOrHead && (fetchMode === "navigate" || (headers.get("accept") ?? "").toLowerCase().includes("text/html"));
  const authorization = headers.get("authorization");
  return {
    url,
    method: request.method,
    cookies,
    accessCookie: cookies.get(ACCESS_COOKIE),
    refreshCookie: cookies.get(REFRESH_COOKIE),
    bearer: authorization ? BEARER.exec(authorization)?.[1] : undefined,
    navigation,
    wantsPage: navigation || fetchMode === "navigate",
    crossSite: isCrossSite(headers, publicOrigin),
    webSocketUpgrade: (headers.get("upgrade") ?? "").toLowerCase() === "websocket",
    preflightMethod: preflightMethodOf(request, headers),
    clientIp: headers.get("cf-connecting-ip") ?? undefined,
  };
}

/**
 * Cross-site, as docs/reference.md defines it: an `Origin` that is present and not ours, or a `Sec-Fetch-Site`
 * that is present and neither `same-origin` nor `none`. Requests with neither header are not
 * from a browser, so they cannot carry a victim's cookies cross-site.
 */
function isCrossSite(headers: Headers, publicOrigin: string): boolean {
  const origin = headers.get("origin");
  if (origin !== null && origin !== publicOrigin) return true;
  const site = headers.get("sec-fetch-site");
  return site !== null && site !== "same-origin" && site !== "none";
}
