import type { RequestFacts } from "../http/request-facts";
import { BoundedCache } from "../util/bounded-cache";
import { forwardToOrigin, type OriginRoute } from "./forward";
import { toClientResponse } from "./origin-response";
import { upstreamHeaders, type ForwardedIdentity } from "./request-headers";
import { relayWebSocket, type SocketWatch } from "./websocket-relay";

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
  const { workloadBearer, preflight = false, watch } = options;
  const { request } = scope;
  const { host, proto } = publicHostOf(scope.publicOrigin);
  const facts = { ...request, requestId: scope.requestId, publicHost: host, publicProto: proto, workloadBearer };
  const headers = upstreamHeaders(scope.raw.headers, facts, identity);
  const authenticated = identity !== undefined;
  const sentMs = Date.now();
  try {
    const upstream = await forwardToOrigin(scope, scope.raw, request.url, headers, authenticated, preflight);
    const response = toClientResponse(upstream, authenticated);
    return watch && response.status === 101 && response.webSocket ? relayWebSocket(response, watch) : response;
  } finally {
    scope.originWaitMs += Date.now() - sentMs;
  }
}
