import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { errorResponse, htmlPage } from "../http/error-response";

/** GET {AUTH_PREFIX}/logout: a page with a sign-out button, since GET never changes state. */
export function logoutPage(c: Context<AppEnv>) {
  const action = `${c.get("config").authPrefix}/logout`;
  return htmlPage(200, "Sign out", `<p>Sign out of this site on this browser?</p><form method="post" action="${action}"><button type="submit">Sign out</button></form>`);
}

export function methodNotAllowed(allow: string) {
  return (c: Context<AppEnv>) => {
    const response = errorResponse(c.req.raw, 405);
    response.headers.set("Allow", allow);
    return response;
  };
}

export function notFound(c: Context<AppEnv>) {
  return errorResponse(c.req.raw, 404);
}
