import type { Handler, MiddlewareHandler } from "hono";
import { HonoBase } from "hono/hono-base";
import { PatternRouter } from "hono/router/pattern-router";
import type { AppEnv } from "../app/request-context";
import type { Config } from "../config/parse-config";
import { OWN_ROUTES, ownRoutePath, type OwnRouteKind, type OwnRouteMethod } from "../config/own-routes";
import { rateLimit } from "../middleware/rate-limit";
import { requestContext } from "../middleware/request-context";
import { rejectCrossSite } from "../middleware/same-origin";
import { callbackRoute } from "./callback";
import { gate } from "./gate";
import { healthRoute } from "./health";
import { jwksRoute } from "./jwks";
import { loginRoute } from "./login";
import { logoutPage, methodNotAllowed, notFound } from "./pages";
import { refusal } from "./refusal";
import { relayRoute } from "./relay";
import { riscRoute } from "./risc";
import { logoutRoute, meRoute, refreshRoute } from "./session-routes";
import { revokeSessionsRoute, sessionsRoute } from "./sessions";

type Chain = [...MiddlewareHandler<AppEnv>[], Handler<AppEnv>];

/**
 * What answers each of our routes (config/own-routes.ts lists them, with their methods), by
 * method: middleware first, the handler last. The type makes every listed route and method have
 * exactly one chain here.
 */
const HANDLERS: {
  [K in OwnRouteKind]: { [M in Extract<(typeof OWN_ROUTES)[number], { kind: K }>["methods"][number]]: Chain };
} = {
  jwks: { GET: [jwksRoute] },
  login: { GET: [rateLimit("login"), loginRoute] },
  callback: { GET: [rateLimit("callback"), callbackRoute] },
  relay: { GET: [rateLimit("callback"), relayRoute] },
  me: { GET: [meRoute] },
  health: { GET: [healthRoute] },
  // A logout reads the store and may write or delete (sign out everywhere): limited like a refresh.
  logout: { GET: [logoutPage], POST: [rejectCrossSite, rateLimit("logout"), logoutRoute] },
  refresh: { POST: [rejectCrossSite, refreshRoute] },
  // A listing costs a store list and reads: limited per client like sign-in and refresh.
  sessions: { GET: [rateLimit("sessions"), sessionsRoute] },
  "sessions-revoke": { POST: [rejectCrossSite, rateLimit("sessions"), revokeSessionsRoute] },
  // Server to server (the provider's RISC transmitter): no cookies, no cross-site question.
  risc: { POST: [rateLimit("risc"), riscRoute] },
};

/**
 * The worker, as one Hono app: the request context first (`c.var.ctx`), then our own routes
 * (config/own-routes.ts lists their paths and methods, for the layers below that need them), the
 * prefix kept from the origin, and the gate for every other request; one error handler answers
 * every refusal. AUTH_PREFIX is configuration, so there is one app per parsed config. HonoBase with
 * the PatternRouter alone is `Hono` without the routers it would otherwise carry: the smallest
 * router, and a dozen routes need no faster one. Hono routes on the percent-decoded path, so
 * `/auth/%6Cogin` is the login route, and answers HEAD with GET's handler and no body.
 */
export function createApp(config: Config): HonoBase<AppEnv> {
  const auth = config.authPrefix;
  const app = new HonoBase<AppEnv>({ router: new PatternRouter() });
  app.use(requestContext(config));
  for (const route of OWN_ROUTES) {
    const path = ownRoutePath(route, auth);
    const chains = HANDLERS[route.kind] as Partial<Record<OwnRouteMethod, Chain>>;
    for (const method of route.methods) app.on(method, path, ...(chains[method] as [Handler<AppEnv>]));
    app.all(path, methodNotAllowed(route.methods.join(", ")));
  }
  // The prefix belongs to the worker: nothing under it ever reaches the origin.
  app.all(auth, notFound);
  app.all(`${auth}/*`, notFound);
  // Every other request.
  app.all("*", gate);
  app.onError(refusal);
  return app;
}
