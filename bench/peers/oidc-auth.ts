// Peer (f1): @hono/oidc-auth protecting the origin, the way its README sets it up: the
// middleware on every path, configured by its env vars (OIDC_AUTH_SECRET, OIDC_ISSUER,
// OIDC_CLIENT_ID, OIDC_CLIENT_SECRET), then a plain fetch() to the origin with the user's
// identity. Its session is an HS256 JWT in the `oidc-auth` cookie ({sub, email, rtk, rtkexp,
// ssnexp}); the benchmark mints ones whose refresh time is far ahead, so the middleware never
// contacts the provider and only verifies the cookie on each request.
import { getAuth, oidcAuthMiddleware } from "@hono/oidc-auth";
import { Hono } from "hono";

type Bindings = {
  ORIGIN_URL: string;
  OIDC_AUTH_SECRET: string;
  OIDC_ISSUER: string;
  OIDC_CLIENT_ID: string;
  OIDC_CLIENT_SECRET: string;
};

const app = new Hono<{ Bindings: Bindings }>();

app.use("*", oidcAuthMiddleware());
app.all("*", async (c) => {
  const auth = await getAuth(c);
  const url = new URL(c.req.url);
  const headers = new Headers(c.req.raw.headers);
  headers.delete("cookie");
  headers.set("x-auth-user-sub", String(auth?.sub ?? ""));
  headers.set("x-auth-user-email", String(auth?.email ?? ""));
  const upstream = await fetch(`${c.env.ORIGIN_URL}${url.pathname}${url.search}`, {
    method: c.req.method,
    headers,
    body: c.req.method === "GET" || c.req.method === "HEAD" ? null : c.req.raw.body,
    redirect: "manual",
  });
  // The middleware sets Cache-Control on c.res afterwards: a fetch() response's headers are
  // immutable, so it has to be copied (everyone who writes this finds out the same way).
  return new Response(upstream.body, upstream);
});

export default app;
