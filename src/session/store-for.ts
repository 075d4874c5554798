import type { Config } from "../config/parse-config";
import type { Env } from "../env";
import type { BoundedCache } from "../util/bounded-cache";
import { createDailyShares } from "./daily-shares";
import { createDurableObjectSessionStore } from "./durable-object-store";
import type { FamilyRecord } from "./family-model";
import { createKvSessionStore, newFamilyCache } from "./kv-store";
import type { SessionStore } from "./store";

const durableObjectStores = new WeakMap<object, SessionStore>();
const familyCaches = new WeakMap<object, BoundedCache<FamilyRecord>>();
/** This isolate's ledger of daily shares of KV's quotas (daily-shares.ts), for every request it serves. */
const isolateShares = createDailyShares();

/**
 * The session store for one request on these bindings (SESSION_STORE picks it). The isolate's
 * caches live with the binding object, which lives as long as the isolate, and are shared by its
 * requests; a KV store is made per request, since what it spends is charged to the request's
 * client address (`address`: the rate limiter's client key, undefined for local development).
 */
export function sessionStoreFor(config: Config, env: Env, address?: string): SessionStore {
  if (config.sessionStore === "durable-object") {
    const namespace = env.SESSION_FAMILIES;
    let store = durableObjectStores.get(namespace);
    if (!store) durableObjectStores.set(namespace, (store = createDurableObjectSessionStore(namespace)));
    return store;
  }
  let families = familyCaches.get(env.SESSIONS);
  if (!families) familyCaches.set(env.SESSIONS, (families = newFamilyCache()));
  // Workers Paid has no daily KV quota to share out: nothing is charged there.
  const shares = config.workersPlan === "free" ? isolateShares : undefined;
  return createKvSessionStore(env.SESSIONS, config.refreshTokenTtlSeconds, families, { address, shares });
}
