import { BoundedCache } from "../util/bounded-cache";
import { sha256 } from "../util/hash";
import { isShareRefusal, type DailyShares, type SharedKind } from "./daily-shares";
import type { FamilyRecords, ListedFamily } from "./family-model";

/**
 * The KV records of one request, charged to who makes the worker spend them (daily-shares.ts):
 * the client's address, and the person once the request names them (their family, their list).
 * Reads made before the person is known are charged to them when they are. A `refusing` view
 * checks the shares before each operation; a `counting` one only counts (a relayed socket's
 * checks and REVOCATION_CHECK's, the provider's security events). Revocation writes and
 * deletions are never charged: each family is ended once, and a person's families come from
 * their sign-ins, which are. A person's listing is kept a minute in this isolate: KV's own
 * listing lags as much behind.
 */

/** As long as KV's listing may lag behind a sign-in elsewhere (docs/what-people-see.md, "Your sessions"). */
const LISTING_KEPT_MS = 60_000;
/** Listings kept at once: more people than list their sessions within a minute of one isolate. */
const MAX_KEPT_LISTINGS = 2_000;

const listings = new BoundedCache<ListedFamily[]>(MAX_KEPT_LISTINGS);
const lastUses = new BoundedCache<number | null>(MAX_KEPT_LISTINGS * 10);
/** What this isolate wrote itself is listed at once, as KV lists it at the location that wrote it. */
function forget<V>(cache: BoundedCache<V>, key: string, nowMs: number) {
  const kept = cache.get(key, nowMs);
  if (kept !== undefined) cache.deleteIf(key, kept);
}

/**
 * `records` charged to the request's payers: `address` (a client key from the rate limiter, none
 * for local development) and the person; `keepListings`: keep listings in this isolate. `clock`
 * gives ms since epoch for the ledger's day.
 */
export function spendingOf(
  records: FamilyRecords,
  shares: DailyShares,
  address: string | undefined,
  keepListings: boolean,
  clock: () => number = Date.now,
) {
  let person: string | undefined;
  const early: Record<SharedKind, number> = { reads: 0, writes: 0, lists: 0 };
  const payers = () => [...(person ? [person] : []), ...(address ? [address] : [])];
  async function meet(sub: string) {
    if (person) return;
    const key = `person:${await sha256(sub)}`;
    if (person) return;
    person = key;
    for (const kind of Object.keys(early) as SharedKind[]) shares.spend(kind, [key], early[kind], clock());
  }
  async function charged<T>(kind: SharedKind, count: number, refuse: boolean, run: () => Promise<T>, rotation = false) {
    if (refuse) shares.check(kind, payers(), count, clock(), rotation);
    const result = await run();
    shares.spend(kind, payers(), count, clock(), rotation);
    if (!person) early[kind] += count;
    return result;
  }

  function view(refuse: boolean): FamilyRecords {
    const read = <T>(run: () => Promise<T>) => charged("reads", 1, refuse, run);
    return {
      ...records,
      readToken: (familyId, hash) => read(() => records.readToken(familyId, hash)),
      async readFamily(familyId) {
        const known = records.knownFamily?.(familyId);
        const family = known ?? (await read(() => records.readFamily(familyId)));
        if (family) await meet(family.sub);
        return family;
      },
      readRevoked: (familyId) => read(() => records.readRevoked(familyId)),
      async readUserNotBefore(sub) {
        await meet(sub);
        return read(() => records.readUserNotBefore(sub));
      },
      ...(records.confirmFamily && {
        confirmFamily: (familyId: string) => read(() => records.confirmFamily!(familyId)),
      }),
      // A sign-in writes the family and its entry in the person's list here, the first token below.
      async writeFamily(familyId, family, nowMs) {
        await meet(family.sub);
        await charged("writes", 2, true, () => records.writeFamily(familyId, family, nowMs));
        forget(listings, person!, clock());
      },
      // A token issued after its family started is a rotation's successor: the rotations' pool pays too.
      async writeToken(hash, token, family, nowMs) {
        await meet(family.sub);
        const rotation = token.issuedAtMs > family.createdAtMs;
        await charged("writes", 1, true, () => records.writeToken(hash, token, family, nowMs), rotation);
        forget(lastUses, token.familyId, clock());
      },
      async listFamilies(sub) {
        await meet(sub);
        const key = person!;
        const kept = keepListings ? listings.get(key, clock()) : undefined;
        if (kept) return kept;
        const listed = await charged("lists", 1, refuse, () => records.listFamilies(sub));
        listings.set(key, listed, clock() + LISTING_KEPT_MS);
        return listed;
      },
      async lastIssuedAt(familyId, sub) {
        const kept = keepListings ? lastUses.get(familyId, clock()) : undefined;
        if (kept !== undefined) return kept;
        try {
          // One page of the family's tokens (1,000 rotations); a longer family's further pages are not charged.
          const at = await charged("lists", 1, refuse, () => records.lastIssuedAt(familyId, sub));
          lastUses.set(familyId, at, clock() + LISTING_KEPT_MS);
          return at;
        } catch (error) {
          // Past the share the list still shows the session, with its sign-in as its last use.
          if (isShareRefusal(error)) return null;
          throw error;
        }
      },
    };
  }
  return { refusing: view(true), counting: view(false) };
}
