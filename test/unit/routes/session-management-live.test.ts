import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { call, ISSUER, signedIn } from "../../support/workerd/helpers";

/**
 * The routes that manage a person's sessions (the list, ending one or the others, signing out
 * everywhere) read the store anyway, so they act only for a caller whose own session is still
 * live there, even with REVOCATION_CHECK off: an access token copied from a session that has
 * ended manages nothing, although the gate honours it until it expires.
 */
beforeEach(() => vi.useFakeTimers({ toFake: ["Date"], now: Date.now() }));
afterEach(() => vi.useRealTimers());

const SAME_ORIGIN = { origin: ISSUER, "sec-fetch-site": "same-origin" };
const FORM = { "content-type": "application/x-www-form-urlencoded" };
let people = 0;

/** The victim signs in (the thief copies only the access cookie), signs out everywhere, and signs in again. */
async function thiefAndVictim() {
  const person = {
    provider: "default",
    sub: `live-${Date.now()}-${++people}`,
    email: `live${people}@example.org`,
    hd: "example.org",
  };
  const before = await signedIn(person);
  const thief = `__Host-access=${before.access}`;
  vi.setSystemTime(Date.now() + 1_000);
  expect((await call("/auth/logout?scope=all", { method: "POST", headers: { cookie: before.cookie } })).status).toBe(
    303,
  );
  vi.setSystemTime(Date.now() + 1_000);
  const after = await signedIn(person);
  const victimIsLive = async () =>
    (await call("/auth/refresh", { method: "POST", headers: { cookie: `__Host-refresh=${after.refresh}` } })).status ===
    204;
  return { thief, after, victimIsLive };
}

describe("session management needs the caller's own session live in the store", () => {
  it("a copied access token of an ended session neither sees nor ends the person's new session", async () => {
    const { thief, after, victimIsLive } = await thiefAndVictim();
    // The gate still honours it until it expires (no REVOCATION_CHECK): that is the documented bound.
    expect((await call("/app", { headers: { cookie: thief, accept: "application/json" } })).status).toBe(200);

    const listing = await call("/auth/sessions", { headers: { cookie: thief, accept: "application/json" } });
    expect(listing.status).toBe(401);
    expect(await listing.text()).not.toContain(after.issued.familyId);

    const revoke = await call("/auth/sessions/revoke", {
      method: "POST",
      headers: { cookie: thief, accept: "application/json", ...SAME_ORIGIN, ...FORM },
      body: `id=${after.issued.familyId}`,
    });
    expect(revoke.status).toBe(401);
    const others = await call("/auth/sessions/revoke", {
      method: "POST",
      headers: { cookie: thief, accept: "application/json", ...SAME_ORIGIN, ...FORM },
      body: "others=1",
    });
    expect(others.status).toBe(401);

    const everywhere = await call("/auth/logout?scope=all", { method: "POST", headers: { cookie: thief } });
    expect(everywhere.status).toBe(303); // Signs the caller's own browser out, and nobody else.
    expect(await victimIsLive()).toBe(true);
  });

  it("a live session's access token still manages its sessions, without a refresh cookie", async () => {
    const session = await signedIn({
      provider: "default",
      sub: `live-ok-${Date.now()}`,
      email: "ok@example.org",
      hd: "example.org",
    });
    const access = `__Host-access=${session.access}`;
    const listing = await call("/auth/sessions", { headers: { cookie: access, accept: "application/json" } });
    expect(listing.status).toBe(200);
    const { sessions } = (await listing.json()) as { sessions: { id: string; current: boolean }[] };
    expect(sessions).toEqual([expect.objectContaining({ id: session.issued.familyId, current: true })]);
  });
});
