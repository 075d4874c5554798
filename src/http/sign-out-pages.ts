import { type Action, type Page } from "./page-shell";
import { PROVIDER_SESSION_NOTE } from "./page-texts";

/** GET {AUTH_PREFIX}/logout with a session: asks first, since a GET never changes anything. */
export function signOutPage(authPrefix: string): Page {
  return {
    title: "Sign out",
    tone: "info",
    lead: "Sign out of this site on this browser?",
    actions: [
      { post: `${authPrefix}/logout`, label: "Sign out" },
      { href: "/", label: "Cancel" },
    ],
  };
}

/**
 * GET {AUTH_PREFIX}/logout without a session. `providerSignOut`: the provider's own sign-out
 * (its end_session_endpoint), when it has one; Google has none.
 */
export function signedOutPage(authPrefix: string, providerSignOut?: string): Page {
  const actions: Action[] = [
    { href: `${authPrefix}/login`, label: "Sign in again" },
    { href: `${authPrefix}/login?prompt=select_account`, label: "Sign in with another account" },
  ];
  if (providerSignOut) actions.push({ href: providerSignOut, label: "Sign out of the sign-in provider" });
  return {
    title: "You are signed out",
    tone: "info",
    lead: "This browser is no longer signed in to this site.",
    note: PROVIDER_SESSION_NOTE,
    actions,
  };
}
