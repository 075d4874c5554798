import { AuthError } from "../errors";
import { isNavigation } from "./request-kind";

const TEXT: Record<number, { title: string; message: string; error: string }> = {
  400: { title: "Sign-in failed", message: "The sign-in could not be completed or has expired. Go back to the page you wanted and try again.", error: "invalid_request" },
  401: { title: "Sign-in required", message: "You need to sign in to see this page.", error: "unauthorized" },
  403: { title: "Access denied", message: "This request is not allowed. If you signed in with the wrong account, sign out and use another one.", error: "forbidden" },
  404: { title: "Not found", message: "There is nothing here.", error: "not_found" },
  405: { title: "Method not allowed", message: "This address does not accept that kind of request.", error: "method_not_allowed" },
  500: { title: "Service misconfigured", message: "This service is not configured correctly. The operator has been told in the logs.", error: "server_error" },
  502: { title: "Service unavailable", message: "A service this page depends on did not answer. Try again in a moment.", error: "bad_gateway" },
};

export const PAGE_SECURITY_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
} as const;

/** A small self-contained HTML page; `body` must already be trusted HTML (nothing from the request). */
export function htmlPage(status: number, title: string, body: string, headers: HeadersInit = {}): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}h1{font-size:1.5rem}button{font:inherit;padding:.4rem 1rem}</style></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
  const response = new Response(html, { status, headers: { "Content-Type": "text/html; charset=utf-8", ...PAGE_SECURITY_HEADERS } });
  for (const [name, value] of new Headers(headers)) response.headers.append(name, value);
  return response;
}

/**
 * The one place a refusal becomes a response: an HTML page for navigations, JSON otherwise.
 * The body is fixed per status: no code, token or reflected input.
 */
export function errorResponse(request: Request, status: number, setCookies: readonly string[] = []): Response {
  const text = TEXT[status] ?? TEXT[400]!;
  const headers = new Headers();
  for (const cookie of setCookies) headers.append("Set-Cookie", cookie);
  if (status === 401) headers.set("WWW-Authenticate", 'Bearer realm="edge-auth"');
  if (!isNavigation(request)) {
    headers.set("Content-Type", "application/json; charset=utf-8");
    headers.set("Cache-Control", "no-store");
    return new Response(JSON.stringify({ error: text.error, message: text.message }), { status, headers });
  }
  return htmlPage(status, text.title, `<p>${text.message}</p>`, headers);
}

/** Maps any thrown value to a response; unknown errors are bugs, logged by the caller. */
export function statusOf(error: unknown): number {
  return error instanceof AuthError ? error.status : 500;
}
