/**
 * The pages people see from the worker itself: sign-in problems, access denied, a service
 * down, sign out. One small self-contained HTML shell (no scripts, no external assets), one
 * stylesheet allowed by its hash in a strict Content-Security-Policy, and page texts that say
 * what happened and what to do next. Nothing from the request is ever put in a page, except the
 * verified e-mail on the access-denied page, escaped.
 */

/**
 * The only stylesheet. The CSP allows exactly this text by its SHA-256 (PAGE_CSS_HASH), so any
 * edit here needs the new hash: the browser tests compute it and fail with the right value.
 */
export const PAGE_CSS = `:root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;--text:#1b1e23;--muted:#4a5260;--line:#d3d7de;--accent:#0b57d0;--on-accent:#fff;--tone:#0b57d0}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1b1f24;--text:#e8eaed;--muted:#b4bac4;--line:#3a414b;--accent:#8ab4f8;--on-accent:#0b1d3a;--tone:#8ab4f8}}
.tone-problem{--tone:#b3261e}.tone-warning{--tone:#b06000}
@media (prefers-color-scheme:dark){.tone-problem{--tone:#f2b8b5}.tone-warning{--tone:#f5c26b}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;padding:10vh 1rem 2rem;background:var(--bg);color:var(--text);font:1rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:35rem;margin:0 auto;padding:2rem 2rem 1.75rem;background:var(--card);border:1px solid var(--line);border-top:.375rem solid var(--tone);border-radius:.5rem}
h1{margin:0 0 1rem;font-size:1.625rem;line-height:1.25}
p{margin:0 0 1rem}
.lead{font-size:1.125rem}
.account{padding:.75rem 1rem;border:1px solid var(--line);border-radius:.375rem;overflow-wrap:anywhere}
.muted{color:var(--muted);font-size:.9375rem}
.actions{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem 1.5rem;margin:1.5rem 0 0}
form{margin:0}
a{color:var(--accent);text-underline-offset:.2em}
.button{display:inline-block;margin:0;padding:.625rem 1.25rem;border:2px solid var(--accent);border-radius:.375rem;background:var(--accent);color:var(--on-accent);font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
a:focus-visible,.button:focus-visible{outline:3px solid var(--text);outline-offset:3px}`;

/** `sha256-` + base64 of SHA-256(PAGE_CSS), for `style-src`. Checked by test/browser/pages.test.ts. */
export const PAGE_CSS_HASH = "sha256-NV6Kq4wH1KR9NPXypRqOZQ6La54/9ZaLNgRBNRlnJBY=";

/**
 * No scripts, images, fonts, frames or connections at all; the one stylesheet by hash; no
 * forms; never framed; no `<base>`.
 */
export const PAGE_CSP = `default-src 'none'; style-src '${PAGE_CSS_HASH}'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`;

/**
 * The same for a page with a form (sign out), minus `form-action`: browsers apply it to every
 * redirect after the post too, and signing out goes on `/` -> sign-in -> the provider (another
 * origin), so `form-action 'self'` blocks it. Such a page shows nothing from the request, and
 * its one form has a fixed action.
 */
export const FORM_PAGE_CSP = `default-src 'none'; style-src '${PAGE_CSS_HASH}'; frame-ancestors 'none'; base-uri 'none'`;

export const PAGE_SECURITY_HEADERS = {
  "Content-Security-Policy": PAGE_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
} as const;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type Tone = "info" | "warning" | "problem";

/** A link or a button in the row of actions under the text. `href` and `label` are trusted. */
export type Action = { kind: "link"; href: string; label: string; primary?: boolean } | { kind: "post"; action: string; label: string };

export interface Page {
  title: string;
  tone: Tone;
  /** Trusted HTML for the text of the page (escape anything that is not a literal). */
  body: string;
  actions?: readonly Action[];
}

function actionHtml(action: Action): string {
  if (action.kind === "post") {
    return `<form method="post" action="${escapeHtml(action.action)}"><button class="button" type="submit">${escapeHtml(action.label)}</button></form>`;
  }
  return `<a${action.primary ? ' class="button"' : ""} href="${escapeHtml(action.href)}">${escapeHtml(action.label)}</a>`;
}

export function renderPageHtml(page: Page): string {
  const actions = page.actions?.length ? `\n<div class="actions">${page.actions.map(actionHtml).join("")}</div>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(page.title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<main class="tone-${page.tone}">
<h1>${escapeHtml(page.title)}</h1>
${page.body}${actions}
</main>
</body>
</html>
`;
}

/** The response for a page: HTML, the strict CSP, never cached, never a referrer. */
export function pageResponse(status: number, page: Page, headers: HeadersInit = {}): Response {
  const hasForm = page.actions?.some((action) => action.kind === "post") ?? false;
  const response = new Response(renderPageHtml(page), {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", ...PAGE_SECURITY_HEADERS, ...(hasForm ? { "Content-Security-Policy": FORM_PAGE_CSP } : {}) },
  });
  const extra = new Headers(headers);
  for (const [name, value] of extra) if (name !== "set-cookie") response.headers.set(name, value);
  for (const cookie of extra.getSetCookie()) response.headers.append("Set-Cookie", cookie);
  return response;
}

// ---- The pages -------------------------------------------------------------------------

const home: Action = { kind: "link", href: "/", label: "Go to the home page" };

export function signInRequiredPage(authPrefix: string): Page {
  return {
    title: "Sign-in required",
    tone: "info",
    body: `<p class="lead">You need to sign in to see this.</p>`,
    actions: [{ kind: "link", href: `${authPrefix}/login`, label: "Sign in", primary: true }],
  };
}

export function signInFailedPage(authPrefix: string): Page {
  return {
    title: "Sign-in failed or expired",
    tone: "warning",
    body: `<p class="lead">This sign-in did not complete, or it had expired.</p>
<p>This happens when the sign-in page was left open for more than a few minutes, when the sign-in was finished in another tab or browser, or when an old sign-in page was reloaded.</p>
<p>Start again. If it keeps failing, close the other tabs of this site first and check that your browser accepts cookies from this site.</p>`,
    actions: [{ kind: "link", href: `${authPrefix}/login`, label: "Start again", primary: true }, home],
  };
}

export type AccessDeniedReason = "not-allowed" | "email-not-verified" | "request";

/**
 * 403. `email` is the address from the verified ID token (the only request-derived text any
 * page shows); it is escaped here.
 */
export function accessDeniedPage(authPrefix: string, reason: AccessDeniedReason, email?: string): Page {
  // prompt=select_account makes Google show its account chooser instead of the same account.
  const signInAgain: Action = { kind: "link", href: `${authPrefix}/login?prompt=select_account`, label: "Sign in with another account", primary: true };
  const switchNote = `<p class="muted">If you are signed straight back in with the same account, sign out of it at your sign-in provider (for example Google) first, or pick another account there.</p>`;
  if (reason === "not-allowed") {
    const who = email
      ? `<p class="account">You are signed in as <strong>${escapeHtml(email)}</strong>.</p>`
      : "";
    return {
      title: "Access denied",
      tone: "problem",
      body: `${who}
<p class="lead">This account is not allowed to use this site.</p>
<p>If you have another account that is allowed here, sign in with that one. If you think this account should have access, ask the people who run this site${email ? ", and give them the address above" : ""}.</p>
${switchNote}`,
      actions: [signInAgain],
    };
  }
  if (reason === "email-not-verified") {
    return {
      title: "Access denied",
      tone: "problem",
      body: `<p class="lead">The account you signed in with has no verified e-mail address, so this site cannot tell who you are.</p>
<p>Confirm the address with your sign-in provider, or sign in with another account.</p>
${switchNote}`,
      actions: [signInAgain],
    };
  }
  return {
    title: "Request refused",
    tone: "problem",
    body: `<p class="lead">This request was not allowed.</p>
<p>Requests that change your session (such as signing out) are only accepted from this site's own pages. Go back to the site and try again from there.</p>`,
    actions: [home],
  };
}

export function notFoundPage(): Page {
  return { title: "Page not found", tone: "info", body: `<p class="lead">There is nothing at this address.</p>`, actions: [home] };
}

export function methodNotAllowedPage(): Page {
  return { title: "Not allowed here", tone: "info", body: `<p class="lead">This address does not accept that kind of request.</p>`, actions: [home] };
}

/** Every request while the configuration is invalid: names nothing, the log lists the problems. */
export function misconfiguredPage(): Page {
  return {
    title: "Service misconfigured",
    tone: "problem",
    body: "<p>This service is not configured correctly. The operator can find the details in the worker's logs.</p>",
  };
}

export function serverErrorPage(): Page {
  return {
    title: "Something went wrong",
    tone: "problem",
    body: `<p class="lead">This service could not handle the request.</p>
<p>Try again in a moment. If it keeps happening, tell the people who run this site; they can find the details in its logs.</p>`,
    actions: [{ kind: "link", href: "", label: "Try again", primary: true }],
  };
}

export type Unavailable = "provider" | "origin" | "unknown";

/**
 * 502. `retryHref` is where "Try again" goes: "" reloads the page (fine for a GET that can
 * simply be repeated); after a failed callback it must start a new sign-in instead.
 */
export function unavailablePage(which: Unavailable, retryHref = ""): Page {
  const retry: Action = { kind: "link", href: retryHref, label: "Try again", primary: true };
  if (which === "provider") {
    return {
      title: "Sign-in service unavailable",
      tone: "warning",
      body: `<p class="lead">The sign-in service did not answer, so you could not be signed in.</p>
<p>Nothing is wrong with your account. Try again in a few minutes.</p>`,
      actions: [retry],
    };
  }
  if (which === "origin") {
    return {
      title: "Site unavailable",
      tone: "warning",
      body: `<p class="lead">The application behind this page did not answer.</p>
<p>You are still signed in. Try again in a few minutes.</p>`,
      actions: [retry],
    };
  }
  return {
    title: "Service unavailable",
    tone: "warning",
    body: `<p class="lead">A service this page depends on did not answer: the sign-in service or the application itself.</p>
<p>Try again in a few minutes.</p>`,
    actions: [retry],
  };
}

/** GET {AUTH_PREFIX}/logout with a session: asks first, since a GET never changes anything. */
export function signOutPage(authPrefix: string): Page {
  return {
    title: "Sign out",
    tone: "info",
    body: `<p class="lead">Sign out of this site on this browser?</p>
<p class="muted">Your account at the sign-in provider (for example Google) stays signed in; sign out there too on a shared computer.</p>`,
    actions: [{ kind: "post", action: `${authPrefix}/logout`, label: "Sign out" }, { kind: "link", href: "/", label: "Cancel" }],
  };
}

/** GET {AUTH_PREFIX}/logout without a session. */
export function signedOutPage(authPrefix: string): Page {
  return {
    title: "You are signed out",
    tone: "info",
    body: `<p class="lead">This browser is no longer signed in to this site.</p>
<p class="muted">Your account at the sign-in provider (for example Google) may still be signed in, and may sign you straight back in here. On a shared computer, sign out there too.</p>`,
    actions: [{ kind: "link", href: `${authPrefix}/login`, label: "Sign in again", primary: true }],
  };
}
