import { type Action, type Page } from "./page-shell";

/**
 * The texts of the pages people see from the worker: each says what happened and what to do
 * next, and the same two sentences are the JSON `message` an API call gets in that situation
 * (error-response.ts). Nothing from the request is ever put in a page, except the verified
 * e-mail on the access-denied page, which the shell escapes.
 */

const home: Action & { kind: "link" } = { kind: "link", href: "/", label: "Go to the home page" };

/** "Try again": `href` "" reloads the page, which is right for a GET that can simply be repeated. */
function tryAgain(href = ""): Action {
  return { kind: "link", href, label: "Try again", primary: true };
}

export function signInRequiredPage(authPrefix: string): Page {
  return {
    title: "Sign-in required",
    tone: "info",
    lead: "You need to sign in to see this.",
    actions: [{ kind: "link", href: `${authPrefix}/login`, label: "Sign in", primary: true }],
  };
}

export function signInFailedPage(authPrefix: string): Page {
  return {
    title: "Sign-in failed or expired",
    tone: "warning",
    lead: "This sign-in did not complete, or it had expired.",
    detail: `<p>This happens when the sign-in page was left open for more than a few minutes, when the sign-in was finished in another tab or browser, or when an old sign-in page was reloaded.</p>`,
    next: "Start again. If it keeps failing, close the other tabs of this site first and check that your browser accepts cookies from this site.",
    actions: [{ kind: "link", href: `${authPrefix}/login`, label: "Start again", primary: true }, home],
  };
}

export type AccessDeniedReason = "not-allowed" | "path-not-allowed" | "email-not-verified" | "request";

/**
 * 403. `email` is the address from the verified ID token (the only request-derived text any
 * page shows). `returnTo`, a path on this site checked by the caller, is where a sign-in with
 * another account comes back to; it goes into the link percent-encoded.
 */
export function accessDeniedPage(
  authPrefix: string,
  reason: AccessDeniedReason,
  email?: string,
  returnTo?: string,
): Page {
  // prompt=select_account makes Google show its account chooser instead of the same account.
  const back = returnTo === undefined ? "" : `&return_to=${encodeURIComponent(returnTo)}`;
  const href = `${authPrefix}/login?prompt=select_account${back}`;
  const signInAgain: Action = { kind: "link", href, label: "Sign in with another account", primary: true };
  const refused = {
    title: "Access denied",
    tone: "problem",
    account: email,
    note: "If you are signed straight back in with the same account, sign out of it at your sign-in provider (for example Google) first, or pick another account there.",
  } as const;
  const anotherAccount = "If you have another account that is allowed here, sign in with that one.";
  if (reason === "path-not-allowed") {
    return {
      ...refused,
      lead: "This account may not see this page.",
      detail: `<p>Other pages of this site may still be open to you. If you think this account should have access here, ask the people who run this site${email ? ", and give them the address above and this page's address" : ""}.</p>`,
      next: anotherAccount,
      actions: [
        { ...home, primary: true },
        { ...signInAgain, primary: false },
        { kind: "link", href: `${authPrefix}/sessions`, label: "Your sessions" },
      ],
    };
  }
  if (reason === "not-allowed") {
    return {
      ...refused,
      lead: "This account is not allowed to use this site.",
      detail: `<p>If you think this account should have access, ask the people who run this site${email ? ", and give them the address above" : ""}.</p>`,
      next: anotherAccount,
      actions: [signInAgain],
    };
  }
  if (reason === "email-not-verified") {
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
    actions: [home],
  };
}

export function notFoundPage(): Page {
  return { title: "Page not found", tone: "info", lead: "There is nothing at this address.", actions: [home] };
}

export function methodNotAllowedPage(): Page {
  return {
    title: "Not allowed here",
    tone: "info",
    lead: "This address does not accept that kind of request.",
    actions: [home],
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
    actions: [tryAgain()],
  };
}

export type Unavailable = "provider" | "origin" | "rate-limited";

/**
 * 502 and 429. `retryHref` is where "Try again" goes: "" reloads the page; after a failed
 * callback it must start a new sign-in instead.
 */
export function unavailablePage(which: Unavailable, retryHref = ""): Page {
  const actions = [tryAgain(retryHref)];
  if (which === "provider") {
    return {
      title: "Sign-in service unavailable",
      tone: "warning",
      lead: "The sign-in service did not answer, so you could not be signed in.",
      next: "Nothing is wrong with your account. Try again in a few minutes.",
      actions,
    };
  }
  if (which === "origin") {
    return {
      title: "Site unavailable",
      tone: "warning",
      lead: "The application behind this page did not answer.",
      next: "You are still signed in. Try again in a few minutes.",
      actions,
    };
  }
  return {
    title: "Too many attempts",
    tone: "warning",
    lead: "Too many requests came from your network in a short time.",
    next: "Wait a few seconds and try again.",
    actions,
  };
}

/** 503: the session store did not answer. The person keeps their cookies, so a retry works. */
export function sessionStoreUnavailablePage(): Page {
  return {
    title: "Sign-in temporarily unavailable",
    tone: "warning",
    lead: "Your session could not be checked just now.",
    next: "You are still signed in. Try again in a few seconds.",
    actions: [tryAgain()],
  };
}

/** 503: the Workspace directory did not answer, so group rules cannot be checked: fail closed. */
export function directoryUnavailablePage(retryHref = ""): Page {
  return {
    title: "Access temporarily unavailable",
    tone: "warning",
    lead: "Your group memberships could not be checked just now, so this site cannot let you in for the moment.",
    next: "Nothing is wrong with your account. Try again in a minute.",
    actions: [tryAgain(retryHref)],
  };
}
