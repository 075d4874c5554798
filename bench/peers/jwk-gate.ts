// Peer (f2): the gate people commonly hand-write with Hono: the built-in `hono/jwk`
// middleware verifying an ES256 JWT from a cookie against a JWK Set, then fetch() to the
// origin with the identity in headers. It verifies the same access tokens our worker issues
// (same key, kid, iss, aud, typ), so it is measured with exactly the same cookies as (c)/(d).
// The JWK Set is given as `keys` (parsed once per isolate), the peer's best case: with
// `jwks_uri` the middleware would fetch the set again on every request.
import { Hono } from "hono";
import { jwk } from "hono/jwk";

type Bindings = { ORIGIN_URL: string; JWKS: string; ISSUER: string; AUDIENCE: string };
type Variables = { jwtPayload: { sub: string; email: string } };

let keys: { keys: JsonWebKey[] } | undefined;

const app = new Hono<{ Bindings: Bindings; Variables: Variables }>();

app.use("*", (c, next) =>
  jwk({
    keys: () => (keys ??= JSON.parse(c.env.JWKS)).keys as never,
    cookie: "__Host-access",
    alg: ["ES256"],
    verification: { iss: c.env.ISSUER, aud: c.env.AUDIENCE, typ: "session+jwt" },
  })(c, next),
);

app.all("*", async (c) => {
  const payload = c.get("jwtPayload");
  const url = new URL(c.req.url);
  const headers = new Headers(c.req.raw.headers);
  headers.delete("cookie");
  headers.set("x-auth-user-sub", payload.sub);
  headers.set("x-auth-user-email", payload.email);
  return fetch(`${c.env.ORIGIN_URL}${url.pathname}${url.search}`, {
    method: c.req.method,
    headers,
    body: c.req.method === "GET" || c.req.method === "HEAD" ? null : c.req.raw.body,
    redirect: "manual",
  });
});

export default app;
