import type { Context, Handler, MiddlewareHandler } from "hono";
import { HonoBase } from "hono/hono-base";
import type { Params, Result, Router } from "hono/router";
import { PatternRouter } from "hono/router/pattern-router";
import type { RouteKind } from "../app/decision-metrics";
import { rateLimit } from "../app/rate-limit";
import type { AppEnv } from "../app/request-context";
import { JWKS_PATH, type Config } from "../config/parse-config";
import { AuthError } from "../errors";
import { requestContext } from "../middleware/request-context";
import { callbackRoute } from "./callback";
import { gate } from "./gate";
import { healthRoute } from "./health";
import { loginRoute } from "./login";
import { logoutPage, methodNotAllowed, notFound } from "./pages";
import { refusal } from "./refusal";
import { relayRoute } from "./relay";
import { riscRoute } from "./risc";
import { logoutRoute, meRoute, refreshRoute } from "./session-routes";
import { revokeSessionsRoute, sessionsRoute } from "./your-sessions";

/** Refuses state-changing requests that a browser sent from another site (403; docs/reference.md, "Routes"). */
const rejectCrossSite: MiddlewareHandler<AppEnv> = async function rejectCrossSite(c, next) {
  if (c.get("ctx").request.crossSite) throw new AuthError("ERR_CROSS_SITE");
  await next();
};

/**
 * GET /.well-known/jwks.json: the public halves of every key that verifies (SESSION_KEYS, and with
 * KEY_ROTATION = "auto" the worker's own, a day before they sign), for origins and anyone else.
 */
function jwksRoute(c: Context<AppEnv>) {
  return c.json(c.var.ctx.keys.publicJwks, 200, {
    // Short enough that a rotated-in key is seen well before tokens signed with it expire.
    "Cache-Control": "public, max-age=300",
    "Access-Control-Allow-Origin": "*",
  });
}

type Chain = [...MiddlewareHandler<AppEnv>[], Handler<AppEnv>];
type Method = "GET" | "POST";

/**
 * Every route the worker answers itself, with its methods: middleware first, the handler last.
 * Paths are under AUTH_PREFIX, except the key set, which lives where JWKS consumers look for it.
 * `kind` names the route in the metrics (app/decision-metrics.ts).
 */
const ROUTES: { kind: RouteKind; path: string; methods: Partial<Record<Method, Chain>> }[] = [
  { kind: "jwks", path: JWKS_PATH, methods: { GET: [jwksRoute] } },
  { kind: "login", path: "/login", methods: { GET: [rateLimit("login"), loginRoute] } },
  { kind: "callback", path: "/callback", methods: { GET: [rateLimit("callback"), callbackRoute] } },
  { kind: "relay", path: "/relay", methods: { GET: [rateLimit("callback"), relayRoute] } },
  { kind: "me", path: "/me", methods: { GET: [meRoute] } },
  { kind: "health", path: "/health", methods: { GET: [healthRoute] } },
  // A logout reads the store and may write or delete (sign out everywhere): limited like a refresh.
  {
    kind: "logout",
    path: "/logout",
    methods: { GET: [logoutPage], POST: [rejectCrossSite, rateLimit("logout"), logoutRoute] },
  },
  { kind: "refresh", path: "/refresh", methods: { POST: [rejectCrossSite, refreshRoute] } },
  // A listing costs a store list and reads: limited per client like sign-in and refresh.
  { kind: "sessions", path: "/sessions", methods: { GET: [rateLimit("sessions"), sessionsRoute] } },
  {
    kind: "sessions-revoke",
    path: "/sessions/revoke",
    methods: { POST: [rejectCrossSite, rateLimit("sessions"), revokeSessionsRoute] },
  },
  // Server to server (the provider's RISC transmitter): no cookies, no cross-site question.
  { kind: "risc", path: "/risc", methods: { POST: [rateLimit("risc"), riscRoute] } },
];

/**
 * PatternRouter tries every route's regular expression in turn: some 25 for each request to the
 * origin, the most frequent kind, and a visible share of its CPU time. Only a path that starts
 * with AUTH_PREFIX or the key set's path can match one of our own routes (each pattern is
 * anchored there, and case-sensitive), so those are asked of PatternRouter; any other path
 * gets what is registered for every path (`/*`: the request context's middleware, the gate),
 * in registration order, as PatternRouter would have answered.
 */
export class OwnPathsRouter<T> implements Router<T> {
  readonly name = "OwnPathsRouter";
  readonly #routes = new PatternRouter<T>();
  readonly #everyPath: [T, Params][] = [];

  constructor(private readonly ownPrefixes: readonly string[]) {}

  add(method: string, path: string, handler: T): void {
    this.#routes.add(method, path, handler);
    if (path === "/*" && method === "ALL") this.#everyPath.push([handler, Object.create(null) as Params]);
  }

  match(method: string, path: string): Result<T> {
    for (const prefix of this.ownPrefixes) if (path.startsWith(prefix)) return this.#routes.match(method, path);
    return [this.#everyPath];
  }
}

/**
 * The worker, as one Hono app: the request context first (`c.var.ctx`), then the routes above,
 * the rest of AUTH_PREFIX kept from the origin (a 404), and the gate for every other request;
 * one error handler answers every refusal. AUTH_PREFIX is configuration, so there is one app per
 * parsed config. HonoBase with the PatternRouter alone is `Hono` without the routers it would
 * otherwise carry: the smallest router, and a dozen routes need no faster one once the gate's
 * requests skip it (OwnPathsRouter). Hono routes on the
 * percent-decoded path, so `/auth/%6Cogin` is the login route, and answers HEAD with GET's
 * handler and no body.
 */
export function createApp(config: Config): HonoBase<AppEnv> {
  const auth = config.authPrefix;
  const app = new HonoBase<AppEnv>({ router: new OwnPathsRouter([auth, JWKS_PATH]) });
  const kinds = new Map<string, RouteKind>();
  app.use(requestContext(config, (pathname) => kinds.get(pathname)));
  for (const { kind, path, methods } of ROUTES) {
    const fullPath = path === JWKS_PATH ? path : `${auth}${path}`;
    kinds.set(fullPath, kind);
    for (const [method, chain] of Object.entries(methods)) app.on(method, fullPath, ...(chain as [Handler<AppEnv>]));
    app.all(fullPath, methodNotAllowed(Object.keys(methods).join(", ")));
  }
  // The prefix belongs to the worker: nothing under it ever reaches the origin.
  app.all(auth, notFound);
  app.all(`${auth}/*`, notFound);
  // Every other request.
  app.all("*", gate);
  app.onError(refusal);
  return app;
}
