/**
 * The worker's own routes, listed once. The router (routes/route-table.ts), the check that sends
 * every other path straight to the gate (index.ts), the metrics' route kinds and the policy check
 * that refuses rules for these paths are all derived from this list. Paths are under
 * AUTH_PREFIX, except the key set, which lives where JWKS consumers look for it.
 */
export const OWN_ROUTES = [
  { kind: "jwks", path: "/.well-known/jwks.json", underPrefix: false, methods: ["GET"] },
  { kind: "login", path: "/login", underPrefix: true, methods: ["GET"] },
  { kind: "callback", path: "/callback", underPrefix: true, methods: ["GET"] },
  { kind: "relay", path: "/relay", underPrefix: true, methods: ["GET"] },
  { kind: "me", path: "/me", underPrefix: true, methods: ["GET"] },
  { kind: "health", path: "/health", underPrefix: true, methods: ["GET"] },
  { kind: "logout", path: "/logout", underPrefix: true, methods: ["GET", "POST"] },
  { kind: "refresh", path: "/refresh", underPrefix: true, methods: ["POST"] },
  { kind: "sessions", path: "/sessions", underPrefix: true, methods: ["GET"] },
  { kind: "sessions-revoke", path: "/sessions/revoke", underPrefix: true, methods: ["POST"] },
  { kind: "risc", path: "/risc", underPrefix: true, methods: ["POST"] },
] as const;

export type OwnRoute = (typeof OWN_ROUTES)[number];
export type OwnRouteKind = OwnRoute["kind"];
export type OwnRouteMethod = OwnRoute["methods"][number];

export const JWKS_PATH = OWN_ROUTES[0].path;

/** The full path of one of our routes, for this AUTH_PREFIX. */
export const ownRoutePath = (route: OwnRoute, authPrefix: string) =>
  route.underPrefix ? `${authPrefix}${route.path}` : route.path;

/** True for a path the worker answers itself: the key set, and everything under AUTH_PREFIX. */
export function isOwnPath(authPrefix: string, pathname: string): boolean {
  return pathname === JWKS_PATH || pathname === authPrefix || pathname.startsWith(`${authPrefix}/`);
}

/** The route at exactly this path, if any (one under AUTH_PREFIX that none names is still ours: a 404). */
export function ownRouteAt(authPrefix: string, pathname: string): OwnRoute | undefined {
  return OWN_ROUTES.find((route) => ownRoutePath(route, authPrefix) === pathname);
}
