import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors";
import { createKvSessionStore } from "../../src/session/refresh-store";
import { createRotationCache } from "../../src/session/rotation-cache";
import { ada, testEnv } from "./helpers";
import { createReplicatedKv } from "./replicated-kv";

const GRACE_SECONDS = 30;
const allowAll = () => true;
const TTL_SECONDS = 3600;

/** Two locations over one real KV; each has its own isolate (its own single-flight cache). */
function twoLocations(lagMs: number) {
  let now = Date.now();
  const replicated = createReplicatedKv(testEnv.SESSIONS, () => now);
  const here = createKvSessionStore(replicated.location("here", lagMs), createRotationCache());
  const there = createKvSessionStore(replicated.location("there", lagMs), createRotationCache());
  return {
    here,
    there,
    now: () => now,
    advance: (ms: number) => (now += ms),
    rotate: (store: typeof here, token: string) => store.rotate(token, { now, graceSeconds: GRACE_SECONDS, isAllowed: allowAll }),
  };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
}

describe("refresh-token families", () => {
  it("rotates: each use returns a new token of the same family", async () => {
    const kv = twoLocations(0);
    const first = await kv.here.createFamily(ada, TTL_SECONDS, kv.now());
    const second = await kv.rotate(kv.here, first.token);
    const third = await kv.rotate(kv.here, second.token);
    expect(new Set([first.token, second.token, third.token]).size).toBe(3);
    expect(third.familyId).toBe(first.familyId);
  });

  it("accepts a rotated token within the grace period, then treats it as theft and revokes the family", async () => {
    const kv = twoLocations(0);
    const first = await kv.here.createFamily(ada, TTL_SECONDS, kv.now());
    const newest = await kv.rotate(kv.here, first.token);
    kv.advance(GRACE_SECONDS * 1000 - 1);
    expect(await refusal(kv.rotate(kv.there, first.token))).toBe("accepted");
    kv.advance(2);
    expect(await refusal(kv.rotate(kv.there, first.token))).toBe("ERR_REFRESH_REUSED");
    expect(await refusal(kv.rotate(kv.here, newest.token))).toBe("ERR_REFRESH_REVOKED");
  });

  it("shares one rotation between parallel requests in one isolate: one successor, no second write", async () => {
    const kv = twoLocations(0);
    const first = await kv.here.createFamily(ada, TTL_SECONDS, kv.now());
    const results = await Promise.all(Array.from({ length: 5 }, () => kv.rotate(kv.here, first.token)));
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
  });

  it("refuses an expired family, and a logged-out one", async () => {
    const kv = twoLocations(0);
    const expiring = await kv.here.createFamily(ada, 60, kv.now());
    kv.advance(60_001);
    expect(await refusal(kv.rotate(kv.here, expiring.token))).toBe("ERR_REFRESH_EXPIRED");
    const session = await kv.here.createFamily(ada, TTL_SECONDS, kv.now());
    await kv.here.revokeFamily(session.familyId, kv.now());
    expect(await refusal(kv.rotate(kv.here, session.token))).toBe("ERR_REFRESH_REVOKED");
  });

  it("signs a user out everywhere, and only that user", async () => {
    const kv = twoLocations(0);
    const eve = { sub: "everywhere-1", email: "eve@example.com" };
    const laptop = await kv.here.createFamily(eve, TTL_SECONDS, kv.now());
    const phone = await kv.here.createFamily(eve, TTL_SECONDS, kv.now());
    const other = await kv.here.createFamily({ sub: "everywhere-2", email: "bob@example.com" }, TTL_SECONDS, kv.now());
    expect(await kv.here.revokeAllFamilies(eve.sub, kv.now())).toBe(2);
    expect(await refusal(kv.rotate(kv.here, laptop.token))).toBe("ERR_REFRESH_REVOKED");
    expect(await refusal(kv.rotate(kv.here, phone.token))).toBe("ERR_REFRESH_REVOKED");
    expect(await refusal(kv.rotate(kv.here, other.token))).toBe("accepted");
  });

  it("applies the allowlist again at refresh", async () => {
    const kv = twoLocations(0);
    const session = await kv.here.createFamily(ada, TTL_SECONDS, kv.now());
    const refused = kv.here.rotate(session.token, { now: kv.now(), graceSeconds: GRACE_SECONDS, isAllowed: () => false });
    expect(await refusal(refused)).toBe("ERR_ACCOUNT_NOT_ALLOWED");
  });
});

describe("under KV's eventual consistency (60 s between locations)", () => {
  const LAG_MS = 60_000;

  it("a logout here does not stop a refresh there until the lag has passed", async () => {
    const kv = twoLocations(LAG_MS);
    const session = await kv.here.createFamily(ada, TTL_SECONDS, kv.now());
    kv.advance(LAG_MS); // the sign-in itself has replicated
    await kv.here.revokeFamily(session.familyId, kv.now());
    kv.advance(LAG_MS - 1_000);
    expect(await refusal(kv.rotate(kv.there, session.token))).toBe("accepted");
    kv.advance(1_000);
    expect(await refusal(kv.rotate(kv.there, session.token))).toBe("ERR_REFRESH_REVOKED");
  });

  it("a token rotated here and replayed there within the lag forks the session unnoticed; its next replay revokes both branches", async () => {
    const kv = twoLocations(LAG_MS);
    const session = await kv.here.createFamily(ada, TTL_SECONDS, kv.now());
    kv.advance(LAG_MS);
    const legit = await kv.rotate(kv.here, session.token);
    kv.advance(LAG_MS - 1_000); // far past the 30 s grace, but "there" has not seen the rotation
    const thief = await kv.rotate(kv.there, session.token);
    expect(thief.familyId).toBe(session.familyId);
    kv.advance(LAG_MS + GRACE_SECONDS * 1000 + 1);
    expect(await refusal(kv.rotate(kv.there, session.token))).toBe("ERR_REFRESH_REUSED");
    kv.advance(LAG_MS);
    expect(await refusal(kv.rotate(kv.here, legit.token))).toBe("ERR_REFRESH_REVOKED");
    expect(await refusal(kv.rotate(kv.there, thief.token))).toBe("ERR_REFRESH_REVOKED");
  });

  it("a session started here is unknown there until it has replicated", async () => {
    const kv = twoLocations(LAG_MS);
    const session = await kv.here.createFamily(ada, TTL_SECONDS, kv.now());
    expect(await refusal(kv.rotate(kv.there, session.token))).toBe("ERR_REFRESH_INVALID");
    kv.advance(LAG_MS);
    expect(await refusal(kv.rotate(kv.there, session.token))).toBe("accepted");
  });
});
