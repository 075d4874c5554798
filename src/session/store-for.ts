import type { Config } from "../config/parse-config";
import type { Env } from "../env";
import { createDurableObjectSessionStore } from "./durable-object-store";
import { createKvSessionStore } from "./kv-store";
import type { SessionStore } from "./store";

const stores = new WeakMap<object, WeakMap<Config, SessionStore>>();

/**
 * The isolate's session store for these bindings (SESSION_STORE picks it). One per binding
 * object, which lives as long as the isolate: its caches are shared by the isolate's requests.
 */
export function sessionStoreFor(config: Config, env: Env): SessionStore {
  const binding: object = config.sessionStore === "durable-object" ? env.SESSION_FAMILIES : env.SESSIONS;
  let byConfig = stores.get(binding);
  if (!byConfig) stores.set(binding, (byConfig = new WeakMap()));
  let store = byConfig.get(config);
  if (!store) {
    store =
      config.sessionStore === "durable-object"
        ? createDurableObjectSessionStore(env.SESSION_FAMILIES)
        : createKvSessionStore(env.SESSIONS, config.refreshTokenTtlSeconds);
    byConfig.set(config, store);
  }
  return store;
}
