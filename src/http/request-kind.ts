/** A top-level browser navigation: it gets a redirect or an HTML page, not JSON (contract 4.5). */
export function isNavigation(request: Request): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  // The contract's rule, literally: `Accept: text/html` counts even when Sec-Fetch-Mode says
  // otherwise (Node's fetch always sends `cors`). A page's fetch() that wants a 401 should
  // not ask for text/html (htmx/Turbo users: see README).
  if (request.headers.get("sec-fetch-mode") === "navigate") return true;
  return (request.headers.get("accept") ?? "").toLowerCase().includes("text/html");
}

/**
 * Cross-site per the contract: an `Origin` that is present and not ours, or a `Sec-Fetch-Site`
 * that is present and neither `same-origin` nor `none`. Requests with neither header are not
 * from a browser, so they cannot carry a victim's cookies cross-site.
 */
export function isCrossSite(request: Request, publicOrigin: string): boolean {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== publicOrigin) return true;
  const site = request.headers.get("sec-fetch-site");
  return site !== null && site !== "same-origin" && site !== "none";
}
