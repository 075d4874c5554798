import type { SessionStoreKind } from "../config/parse-config";
import { durationInWords } from "../util/duration-words";
import { escapeHtml, postForm, type Page } from "./page-shell";
import { homeLink } from "./page-texts";

/** One session as the page and the JSON show it (GET {AUTH_PREFIX}/sessions). Times ISO 8601. */
export interface SessionView {
  id: string;
  current: boolean;
  createdAt: string;
  lastActiveAt: string;
  device: string;
  place: string;
}

/** What a session shows when its sign-in named no browser we know, or Cloudflare named no place. */
export const UNKNOWN_DEVICE = "Unknown browser";
export const UNKNOWN_PLACE = "Unknown location";

const when = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

function timeHtml(iso: string): string {
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(when.format(new Date(iso)))} UTC</time>`;
}

function sessionHtml(session: SessionView, revokePath: string): string {
  const label = session.current ? "Sign out here" : "End this session";
  return `<div class="account">
<p><strong>${escapeHtml(session.device)}</strong>${session.current ? " (this browser)" : ""}</p>
<p class="muted">${escapeHtml(session.place)}. Signed in ${timeHtml(session.createdAt)}; \
last active ${timeHtml(session.lastActiveAt)}.</p>
${postForm(revokePath, label, { id: session.id })}
</div>`;
}

/** What was just ended, as the revoke route's redirect says (`?ended=1`, `?ended=others`). */
export type EndedSessions = "one" | "others";

/** After a session was ended: what was ended, and what decides how long it may live on. */
export interface EndedNotice {
  ended: EndedSessions;
  accessTokenTtlSeconds: number;
  revocationCheck: boolean;
  sessionStore: SessionStoreKind;
}

/**
 * "Session ended." and when the other browser is actually signed out: its refresh token stops at
 * once, but its access token is checked without the store until it expires, unless
 * REVOCATION_CHECK asks the store on every request (docs/what-people-see.md, "Your sessions").
 */
function endedText({ ended, accessTokenTtlSeconds, revocationCheck, sessionStore }: EndedNotice): string {
  const one = ended === "one";
  const what = one ? "Session ended. That browser" : "Every other session ended. Those browsers";
  if (!revocationCheck) {
    const until = one ? "until its access token expires" : "until their access tokens expire";
    return `${what} may stay signed in for up to ${durationInWords(accessTokenTtlSeconds)}, ${until}.`;
  }
  const next = `${what} ${one ? "is" : "are"} signed out at ${one ? "its" : "their"} next request`;
  // KV's propagation between Cloudflare locations: up to about a minute, two in our model of it.
  return sessionStore === "kv"
    ? `${next} (within a minute or two if another Cloudflare location serves it).`
    : `${next}.`;
}

/**
 * GET {AUTH_PREFIX}/sessions as a page: the signed-in person's sessions, each with a button that
 * ends it, and one that ends every other; after one was ended (`endedNotice`), first a line that
 * says so. Device and place come from our own records; `email` is the verified address; all are
 * escaped.
 */
export function sessionsPage(
  authPrefix: string,
  email: string,
  sessions: readonly SessionView[],
  listingLagSeconds: number,
  endedNotice?: EndedNotice,
): Page {
  const revokePath = `${authPrefix}/sessions/revoke`;
  const others = sessions.filter((session) => !session.current).length;
  const count = others + 1;
  const signedInOn =
    others === 0 ? "You are signed in on this browser only." : `You are signed in on ${count} browsers or devices.`;
  const lag =
    listingLagSeconds > 0 ? ` A sign-in from the last ${listingLagSeconds} seconds may not be listed yet.` : "";
  const list = sessions.map((session) => sessionHtml(session, revokePath)).join("\n");
  return {
    title: "Your sessions",
    tone: "info",
    account: email,
    lead: endedNotice ? endedText(endedNotice) : signedInOn,
    detail: endedNotice ? `<p>${escapeHtml(signedInOn)}</p>\n${list}` : list,
    detailForms: true,
    note: `If you see one you do not recognise, end it. Places are approximate.${lag}`,
    actions: [
      ...(others > 0 ? [{ post: revokePath, label: "End all other sessions", fields: { others: "1" } }] : []),
      homeLink,
    ],
  };
}
