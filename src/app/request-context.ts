import type { Config } from "../config/parse-config";
import type { SessionKeys } from "../config/session-keys";
import type { Env } from "../env";
import type { AuthErrorCode } from "../errors";
import { readRequest, type RequestFacts } from "../http/request-facts";
import type { AccessDecision } from "../policy/access-decision";
import { isPreviewOrigin } from "../policy/preview-origin";
import { sessionStoreFor } from "../session/store-for";
import { clientKeyOf } from "./rate-limit";
import type { SessionStore } from "../session/store";

/**
 * Everything a request's handling reads, made once at its start (the first middleware,
 * middleware/request-context.ts) and passed whole as `c.var.ctx`:
 * no handler re-reads headers or the clock, and none threads config, origin, store and time
 * through its calls one by one.
 */
export interface RequestContext {
  config: Config;
  env: Env;
  /**
   * Our public origin: PUBLIC_URL, else the request's own origin; on a preview deployment's host
   * (PREVIEW_HOSTS), that host's origin. Issuer of our tokens, so a preview's are its own.
   */
  publicOrigin: string;
  /** Served on a preview deployment's host: its sign-ins go through the registered host (PUBLIC_URL). */
  preview: boolean;
  /**
   * Served on a host that is neither PUBLIC_URL's nor a preview's (a workers.dev name next to a
   * custom domain, 127.0.0.1 next to localhost): a sign-in here could never finish, since the
   * login cookie is this host's and the provider returns to PUBLIC_URL's (docs/host-names.md).
   */
  otherHost: boolean;
  store: SessionStore;
  /**
   * The keys our tokens are signed and verified with: SESSION_KEYS, or with KEY_ROTATION = "auto"
   * the isolate's current keys, which the first middleware sets before anything reads them. When they could
   * not be had (`keysFailure`, the store's error), reading them throws it: a public path needs none.
   */
  keys: SessionKeys;
  keysFailure?: Error;
  /** The request's clock, one reading: the seam tests move (vi.setSystemTime) instead of sleeping. */
  nowMs: number;
  nowSeconds: number;
  /** `cf-ray` or a random id: in every log line and sent to the origin as X-Request-Id. */
  requestId: string;
  request: RequestFacts;
  raw: Request;
  /**
   * Set-Cookie values this request has earned (a rotation, a sign-in, a cleared session).
   * The first middleware adds them to whatever response goes out, error responses included, so nothing
   * earned is lost when something fails afterwards.
   */
  cookies: string[];
  /** Where "Try again" leads on this request's 429, 502 or 503 page: set by a sign-in being completed; default: reload. */
  retryHref?: string;
  /** For the decision's data point (app/decision-metrics.ts): a refresh token was rotated. */
  refreshed: boolean;
  /** For the decision's data point: whose request it was (`sub`), once known. Hashed there. */
  subject?: string;
  /**
   * Why the request has no session: jose's rejection of its access token, or the refused refresh
   * token's AuthError (which ends the session). The 401 it leads to is that refusal, or carries it
   * as its cause (app/resolve-session.ts, `noSession`).
   */
  sessionRefusal?: unknown;
  /** The access decision for the request's path, made once by the gate (metrics read it too). */
  decision?: AccessDecision;
  /**
   * For the decision's data point, of an answer that is not a refusal: a held rotation, or a
   * navigation sent to sign in (the refusal that sent it). A refusal is thrown, and its code is the outcome.
   */
  outcome?: AuthErrorCode | "OK_ROTATION_HELD";
  /** Milliseconds spent waiting for the origin: the origin's time, not the worker's. */
  originWaitMs: number;
}

/** Hono's types for the worker: the Worker's env as bindings, and the request context as a variable. */
export interface AppEnv {
  Bindings: Env;
  Variables: { ctx: RequestContext };
}

export function createRequestContext(config: Config, env: Env, raw: Request, requestId: string): RequestContext {
  const url = new URL(raw.url);
  // Only a host PREVIEW_HOSTS names is served as itself; any other is served as PUBLIC_URL.
  const requestOrigin =
    config.publicOrigin === undefined || config.previewHosts.length > 0 ? url.origin : config.publicOrigin;
  const preview = requestOrigin !== config.publicOrigin && isPreviewOrigin(requestOrigin, config.previewHosts);
  const publicOrigin = preview ? requestOrigin : (config.publicOrigin ?? requestOrigin);
  const nowMs = Date.now();
  const request = readRequest(raw, publicOrigin, url);
  // Host, not origin: TLS may end in front of the worker, so PUBLIC_URL's host may arrive as http.
  const otherHost = !preview && config.publicHost !== undefined && request.url.host !== config.publicHost;
  let store: SessionStore | undefined;
  let keys = config.sessionKeys;
  const ctx: RequestContext = {
    config,
    // Made when first used: a request that a valid access token answers never touches the store.
    get store() {
      return (store ??= sessionStoreFor(config, env, clientKeyOf(request.clientIp)));
    },
    get keys() {
      if (!keys) throw ctx.keysFailure ?? new Error("signing keys read before index.ts set them");
      return keys;
    },
    set keys(value) {
      keys = value;
    },
    env,
    publicOrigin,
    preview,
    otherHost,
    nowMs,
    nowSeconds: Math.floor(nowMs / 1000),
    requestId,
    request,
    raw,
    cookies: [],
    refreshed: false,
    originWaitMs: 0,
  };
  return ctx;
}
