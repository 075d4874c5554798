import type { Config } from "../config/parse-config";
import type { Env } from "../env";
import { AuthError } from "../errors";
import type { RequestFacts } from "../http/request-facts";
import { BoundedCache } from "../util/bounded-cache";
import { toClientResponse } from "./origin-response";
import { upstreamHeaders, type ForwardedIdentity, type UpstreamFacts } from "./request-headers";
import { relayWebSocket, type SocketWatch } from "./websocket-relay";

/** What decides where a request goes: the configuration and its bindings, never the request. */
export interface OriginRoute {
  config: Config;
  env: Env;
  /** Our public origin: the URL an ORIGIN service binding sees when ORIGIN_URL is unset. */
  publicOrigin: string;
}

/**
 * The one place that chooses how the origin is reached: the ORIGIN service binding when
 * configured (the origin then has no public address at all), else the network to ORIGIN_URL.
 * Both get the same URL and init; everything around the call is shared. The runtime builds the
 * Request once, from these, instead of copying one we built.
 */
function sendToOrigin(route: OriginRoute, target: string, init: RequestInit): Promise<Response> {
  if (route.config.originVia === "service-binding") {
    const binding = route.env.ORIGIN;
    if (!binding) throw new TypeError("ORIGIN service binding missing");
    return binding.fetch(target, init);
  }
  return fetch(target, init);
}

/**
 * Sends the request to ORIGIN_URL (or, with the ORIGIN service binding and no ORIGIN_URL, our
 * public origin) + path + query. Where it goes depends on the configuration alone: never on
 * `Host`, `X-Forwarded-Host` or any other request header. With `preflight`, a CORS preflight
 * passed without a session, it goes as a bare OPTIONS; with `body`, that body goes in place of the
 * request's stream (which the gate has read). An origin that cannot be reached, or
 * an origin Worker that throws, is ERR_ORIGIN_UNAVAILABLE (502).
 *
 * An authenticated request bypasses Cloudflare's cache both ways, `cache: "no-store"`: an answer
 * meant for one person is never stored for, nor served from, the cache that another person's
 * request would hit (the cache key is the URL; the identity headers are not part of it).
 */
export async function forwardToOrigin(
  route: OriginRoute,
  request: Request,
  url: URL,
  headers: Headers,
  authenticated: boolean,
  sent: Pick<ProxyOptions, "preflight" | "body"> = {},
): Promise<Response> {
  const { preflight = false } = sent;
  const target = `${route.config.originBase ?? route.publicOrigin}${url.pathname}${url.search}`;
  // A preflight let through without a session is an OPTIONS and nothing more: whatever body or
  // body headers came with it never reach the origin unauthenticated.
  if (preflight) for (const name of ["content-type", "content-length", "transfer-encoding"]) headers.delete(name);
  const hasBody = !preflight && request.method !== "GET" && request.method !== "HEAD";
  const init: RequestInit = {
    method: request.method,
    headers,
    body: hasBody ? (sent.body ?? request.body) : null,
    redirect: "manual",
  };
  if (authenticated) init.cache = "no-store";
  try {
    return await sendToOrigin(route, target, init);
  } catch (error) {
    throw new AuthError("ERR_ORIGIN_UNAVAILABLE", { cause: error });
  }
}

/** What proxying a request reads of it (the request context has all of it). */
export interface ProxiedRequest extends OriginRoute {
  raw: Request;
  request: RequestFacts;
  requestId: string;
  /** Milliseconds spent waiting for the origin, added to: the origin's time, not the worker's. */
  originWaitMs: number;
}

/** Host and scheme of public origins, parsed once (more than one only without PUBLIC_URL). */
const publicOrigins = new BoundedCache<{ host: string; proto: string }>(16);

function publicHostOf(publicOrigin: string) {
  let parsed = publicOrigins.get(publicOrigin, 0);
  if (!parsed) {
    const { host, protocol } = new URL(publicOrigin);
    publicOrigins.set(publicOrigin, (parsed = { host, proto: protocol.slice(0, -1) }), Infinity);
  }
  return parsed;
}

/** How a request is sent on, beyond whose it is. */
export interface ProxyOptions {
  /** The Authorization header holds a token meant for us (a trusted workload's): the origin never sees it. */
  workloadBearer: boolean;
  /** A CORS preflight let through without a session: sent as a bare OPTIONS, no body, no body headers. */
  preflight?: boolean;
  /** A WebSocket the origin accepts is relayed, and kept only while the watch allows (docs/websockets.md). */
  watch?: SocketWatch;
  /** The request's body, read by the gate to find a method override: sent in place of the spent stream. */
  body?: ArrayBuffer | ReadableStream;
}

/**
 * Sends the request on to the origin and hands back its answer: with `identity`, as that person's
 * or workload's (identity headers and assertion); without, as anyone's (a public path, a preflight).
 */
export async function proxy(
  scope: ProxiedRequest,
  identity: ForwardedIdentity | undefined,
  options: ProxyOptions,
): Promise<Response> {
  const { workloadBearer, watch } = options;
  const { request } = scope;
  const { host, proto } = publicHostOf(scope.publicOrigin);
  const facts: UpstreamFacts = {
    requestId: scope.requestId,
    publicHost: host,
    publicProto: proto,
    cookies: request.cookies,
    bearer: request.bearer,
    webSocketUpgrade: request.webSocketUpgrade,
    clientIp: request.clientIp,
    workloadBearer,
  };
  const headers = upstreamHeaders(scope.raw.headers, facts, identity);
  const authenticated = identity !== undefined;
  const sentMs = Date.now();
  try {
    const upstream = await forwardToOrigin(scope, scope.raw, request.url, headers, authenticated, options);
    const response = toClientResponse(upstream, authenticated);
    return watch && response.status === 101 && response.webSocket ? relayWebSocket(response, watch) : response;
  } finally {
    scope.originWaitMs += Date.now() - sentMs;
  }
}
