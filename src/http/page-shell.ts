/**
 * The shell of the pages the worker shows: one small self-contained HTML document (no scripts,
 * no external assets) and one stylesheet allowed by its hash in a strict
 * Content-Security-Policy. The texts are in page-texts.ts.
 */

/**
 * The only stylesheet. The CSP allows exactly this text by its SHA-256 (PAGE_CSS_HASH), so any
 * edit here needs the new hash: the browser tests compute it and fail with the right value.
 * The browser's system colours (Canvas, its text, GrayText lines) follow the reader's light or
 * dark scheme and forced-colours modes. Only the accent is picked by hand, one per scheme: as link
 * text and as the button's background it needs 4.5:1 contrast with Canvas. Tones are borders only.
 */
export const PAGE_CSS = `:root{color-scheme:light dark;--accent:#0b57d0}
@media (prefers-color-scheme:dark){:root{--accent:#8ab4f8}}
*{box-sizing:border-box}
body{margin:0;padding:10vh 1rem 2rem;background:Canvas;font:1rem/1.55 system-ui,sans-serif}
main{max-width:35rem;margin:auto;padding:2rem 2rem 1.75rem;border:1px solid GrayText;border-top:.375rem solid var(--accent);border-radius:.5rem}
.tone-problem{border-top-color:#d93025}.tone-warning{border-top-color:#e8710a}
h1,p{margin:0 0 1rem}
h1{font-size:1.625rem;line-height:1.25}
.lead{font-size:1.125rem}
.account{margin:0 0 1rem;padding:.75rem 1rem;border:1px solid GrayText;border-radius:.375rem;overflow-wrap:anywhere}
.account p{margin:0 0 .5rem}
.muted{font-size:.9375rem}
.actions{display:flex;flex-wrap:wrap;align-items:center;gap:.75rem 1.5rem;margin:1.5rem 0 0}
a{color:var(--accent);text-underline-offset:.2em}
.button{margin:0;padding:.625rem 1.25rem;border:2px solid var(--accent);border-radius:.375rem;background:var(--accent);color:Canvas;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
:focus-visible{outline:3px solid;outline-offset:3px}`;

/** `sha256-` + base64 of SHA-256(PAGE_CSS), for `style-src`. Checked by test/browser/pages.test.ts. */
export const PAGE_CSS_HASH = "sha256-pCuw3cYkoCh30WGy8e7NSghFnlraDGWIxNX56ndOtoY=";

/**
 * No scripts, images, fonts, frames or connections at all; the one stylesheet by hash; never
 * framed; no `<base>`; no forms, except on a page with a form that posts to the worker itself
 * (sign out, your sessions): `form-action 'self'`. Browsers apply `form-action` to every redirect
 * after the post too, which is fine: signing out ends on the worker's own "You are signed out"
 * page (or a public path of this site), never at the provider.
 */
function contentSecurityPolicy(formAction: "'none'" | "'self'"): string {
  return `default-src 'none'; style-src '${PAGE_CSS_HASH}'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type Tone = "info" | "warning" | "problem";

/**
 * A link, or a button that posts a form to the worker (`post`, its path). In the row of actions
 * under the text the first is what the page suggests, so it is drawn as a button; the other
 * links are plain links. `href`, `post` and `label` are trusted.
 */
export type Action =
  { href: string; label: string } | { post: string; label: string; fields?: Readonly<Record<string, string>> };

/** A page's text, top to bottom. All of it but `detail` is plain text, escaped here. */
export interface Page {
  title: string;
  tone: Tone;
  /** The verified e-mail of the signed-in account, in a box above the text. */
  account?: string;
  /**
   * What happened, in one sentence. With `next` it is also the JSON `message` of the same
   * situation (messageOf): a page and an API call are told the same thing.
   */
  lead: string;
  /** Trusted HTML after the lead: why it happened, or a list (escape anything that is not a literal). */
  detail?: string;
  /** What to do now. */
  next?: string;
  /** A side note in smaller text, last. */
  note?: string;
  /** The detail holds forms of its own (postForm), so the page needs `form-action 'self'`. */
  detailForms?: boolean;
  actions?: readonly Action[];
}

/** A page's text as one plain message, for the JSON answer to an API call in the same situation. */
export function messageOf(page: Page): string {
  return page.next === undefined ? page.lead : `${page.lead} ${page.next}`;
}

/** A form that posts to the worker itself: one button, and hidden fields (escaped here). */
export function postForm(action: string, label: string, fields: Readonly<Record<string, string>> = {}): string {
  const hidden = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("");
  const button = `<button class="button" type="submit">${escapeHtml(label)}</button>`;
  return `<form method="post" action="${escapeHtml(action)}">${hidden}${button}</form>`;
}

function actionHtml(action: Action, index: number): string {
  if ("post" in action) return postForm(action.post, action.label, action.fields);
  return `<a${index === 0 ? ' class="button"' : ""} href="${escapeHtml(action.href)}">${escapeHtml(action.label)}</a>`;
}

function mainHtml(page: Page): string {
  const parts = [
    `<h1>${escapeHtml(page.title)}</h1>`,
    page.account && `<p class="account">You are signed in as <strong>${escapeHtml(page.account)}</strong>.</p>`,
    `<p class="lead">${escapeHtml(page.lead)}</p>`,
    page.detail,
    page.next && `<p>${escapeHtml(page.next)}</p>`,
    page.note && `<p class="muted">${escapeHtml(page.note)}</p>`,
    page.actions?.length && `<div class="actions">${page.actions.map(actionHtml).join("")}</div>`,
  ];
  return parts.filter(Boolean).join("\n");
}

function renderPageHtml(page: Page): string {
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
${mainHtml(page)}
</main>
</body>
</html>
`;
}

/** The response for a page: HTML, the strict CSP, never cached, never a referrer. */
export function pageResponse(status: number, page: Page, headers: Record<string, string> = {}): Response {
  const hasForm = page.detailForms === true || (page.actions?.some((action) => "post" in action) ?? false);
  return new Response(renderPageHtml(page), {
    status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": contentSecurityPolicy(hasForm ? "'self'" : "'none'"),
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-store",
      ...headers,
    },
  });
}
