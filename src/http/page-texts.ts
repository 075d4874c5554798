import type { AuthErrorCode } from "../errors";
import { type Action, type Page } from "./page-shell";

/**
 * The texts of the pages people see from the worker: each says what happened and what to do
 * next, and the same two sentences are the JSON `message` an API call gets in that situation
 * (error-response.ts). Nothing from the request is ever put in a page, except the verified
 * e-mail on the access-denied page, which the shell escapes.
 */

export const homeLink: Action = { href: "/", label: "Go to the home page" };

/**
 * Signing out here leaves the provider's own session alone, and Google (the usual provider) then
 * signs the same account straight back in. Said once, on the "You are signed out" page, where a
 * person on a shared computer decides what to do next; the access-denied page's "Sign in with
 * another account" asks the provider for its account chooser instead.
 */
export const PROVIDER_SESSION_NOTE =
  "Your account at the sign-in provider (for example Google) stays signed in, so signing in here again may use it at once, without asking. To use another account, pick it at the provider or sign out there first; on a shared computer, sign out there too.";

export function signInRequiredPage(authPrefix: string): Page {
  return {
    title: "Sign-in required",
    tone: "info",
    lead: "You need to sign in to see this.",
    actions: [{ href: `${authPrefix}/login`, label: "Sign in" }],
  };
}

export function signInFailedPage(authPrefix: string): Page {
  return {
    title: "Sign-in failed or expired",
    tone: "warning",
    lead: "This sign-in did not complete, or it had expired.",
    detail: `<p>This happens when the sign-in page was left open for more than a few minutes, when the sign-in was finished in another tab or browser, or when an old sign-in page was reloaded.</p>`,
    next: "Start again. If it keeps failing, close the other tabs of this site first and check that your browser accepts cookies from this site.",
    actions: [{ href: `${authPrefix}/login`, label: "Start again" }, homeLink],
  };
}

/**
 * 403, by the refusal's code; any other 403 is a request refused. `email` is the address from the verified ID token (the only request-derived text any
 * page shows). `returnTo`, a path on this site checked by the caller, is where a sign-in with
 * another account comes back to; it goes into the link percent-encoded.
 */
export function accessDeniedPage(authPrefix: string, code: AuthErrorCode, email?: string, returnTo?: string): Page {
  // prompt=select_account makes Google show its account chooser instead of the same account.
  const back = returnTo === undefined ? "" : `&return_to=${encodeURIComponent(returnTo)}`;
  const href = `${authPrefix}/login?prompt=select_account${back}`;
  const signInAgain: Action = { href, label: "Sign in with another account" };
  const refused = {
    title: "Access denied",
    tone: "problem",
    account: email,
  } as const;
  const anotherAccount = "If you have another account that is allowed here, sign in with that one.";
  if (code === "ERR_ACCESS_DENIED") {
    return {
      ...refused,
      lead: "This account may not see this page.",
      detail: `<p>Other pages of this site may still be open to you. If you think this account should have access here, ask the people who run this site${email ? ", and give them the address above and this page's address" : ""}.</p>`,
      next: anotherAccount,
      actions: [homeLink, signInAgain, { href: `${authPrefix}/sessions`, label: "Your sessions" }],
    };
  }
  if (code === "ERR_ACCOUNT_NOT_ALLOWED") {
    return {
      ...refused,
      lead: "This account is not allowed to use this site.",
      detail: `<p>If you think this account should have access, ask the people who run this site${email ? ", and give them the address above" : ""}.</p>`,
      next: anotherAccount,
      actions: [signInAgain],
    };
  }
  if (code === "ERR_EMAIL_NOT_VERIFIED") {
    return {
      ...refused,
      lead: "The account you signed in with has no verified e-mail address, so this site cannot tell who you are.",
      next: "Confirm the address with your sign-in provider, or sign in with another account.",
      actions: [signInAgain],
    };
  }
  return {
    title: "Request refused",
    tone: "problem",
    lead: "This request was not allowed.",
    next: "Requests that change your session (such as signing out) are only accepted from this site's own pages. Go back to the site and try again from there.",
    actions: [homeLink],
  };
}

export function notFoundPage(): Page {
  return { title: "Page not found", tone: "info", lead: "There is nothing at this address.", actions: [homeLink] };
}

export function methodNotAllowedPage(): Page {
  return {
    title: "Not allowed here",
    tone: "info",
    lead: "This address does not accept that kind of request.",
    actions: [homeLink],
  };
}

/** Every request while the configuration is invalid: names nothing, the log lists the problems. */
export function misconfiguredPage(): Page {
  return {
    title: "Service misconfigured",
    tone: "problem",
    lead: "This service is not configured correctly.",
    next: "The operator can find the details in the worker's logs.",
  };
}

export function serverErrorPage(): Page {
  return {
    title: "Something went wrong",
    tone: "problem",
    lead: "This service could not handle the request.",
    next: "Try again in a moment. If it keeps happening, tell the people who run this site; they can find the details in its logs.",
    actions: [{ href: "", label: "Try again" }],
  };
}

type TryAgainText = Pick<Page, "title" | "lead" | "next">;

/** 429, 502 and 503: a service that did not answer, or too many attempts. Each page ends in "Try again". */
const TRY_AGAIN_TEXTS: Partial<Record<AuthErrorCode, TryAgainText>> = {
  ERR_PROVIDER_UNAVAILABLE: {
    title: "Sign-in service unavailable",
    lead: "The sign-in service did not answer, so you could not be signed in.",
    next: "Nothing is wrong with your account. Try again in a few minutes.",
  },
  ERR_ORIGIN_UNAVAILABLE: {
    title: "Site unavailable",
    lead: "The application behind this page did not answer.",
    next: "You are still signed in. Try again in a few minutes.",
  },
  ERR_RATE_LIMITED: {
    title: "Too many attempts",
    lead: "Too many requests came from your network in a short time.",
    next: "Wait a few seconds and try again.",
  },
  ERR_DAILY_SHARE_SPENT: {
    title: "Too many attempts today",
    lead: "Your account or your network has made as many sign-ins and session changes as one may in a day.",
    next: "Sessions you already have keep working. Try again after midnight (UTC).",
  },
  // Fail closed: group rules cannot be checked without the Workspace directory.
  ERR_DIRECTORY_UNAVAILABLE: {
    title: "Access temporarily unavailable",
    lead: "Your group memberships could not be checked just now, so this site cannot let you in for the moment.",
    next: "Nothing is wrong with your account. Try again in a minute.",
  },
};

/** The session store did not answer (or, on the Free plan, refuses writes): the person keeps their cookies. */
const STORE_UNAVAILABLE: TryAgainText = {
  title: "Sign-in temporarily unavailable",
  lead: "Your session could not be checked just now.",
  next: "You are still signed in. Try again in a few seconds.",
};

/** The same while a sign-in completes: nobody is signed in yet, and the spent code cannot be retried. */
const SIGN_IN_NOT_SAVED: TryAgainText = {
  title: "Sign-in temporarily unavailable",
  lead: "Your sign-in could not be saved just now.",
  next: "Nothing is wrong with your account. Sign in again in a few seconds.",
};

/**
 * The page for a 429, 502 or 503, by its code; a code without a text of its own is the session
 * store's. `retryHref` is where "Try again" goes: "" reloads the page (fine for a GET that can
 * simply be repeated); after a callback or a relay, whose code is spent, it starts a new sign-in,
 * so only a sign-in being completed sets it.
 */
export function tryAgainPage(code: AuthErrorCode, retryHref = ""): Page {
  const text = TRY_AGAIN_TEXTS[code] ?? (retryHref ? SIGN_IN_NOT_SAVED : STORE_UNAVAILABLE);
  return { ...text, tone: "warning", actions: [{ href: retryHref, label: "Try again" }] };
}
