import type { Config } from "../config/parse-config";
import type { Env } from "../env";
import { AuthError } from "../errors";
import { sha256 } from "../util/hash";
import { SIGNING_KEYS_PREFIX, signingKeyKey } from "../session/kv-keys";
import { unavailable, type SessionKvPage } from "../session/kv-records";
import type { SessionFamilies } from "../session/session-families";
import { isStoredKey, type StoredSigningKey } from "./stored-key";

/**
 * Where the worker's own signing keys live: its session store (SESSION_STORE), Workers KV or the
 * Durable Object. Failures throw ERR_SESSION_STORE_UNAVAILABLE (or _QUOTA), like every store call.
 */
export interface SigningKeyStore {
  /** Every stored key (a record of another shape is left out). KV: eventually consistent. */
  list(): Promise<StoredSigningKey[]>;
  /**
   * Stores a new key; returns the keys as the store now holds them (KV: those listed, plus this
   * one). `firstOnly`: a first key, stored only if no other key (but the `unusable` ones) signs
   * by its time; the Durable Object decides that exactly, KV cannot (two first keys may both stay).
   */
  add(key: StoredSigningKey, firstOnly?: { unusable: string[] }): Promise<StoredSigningKey[]>;
  remove(kids: readonly string[]): Promise<void>;
}

/** What the key store needs of Workers KV; the binding satisfies it, and so does the test model. */
export interface SigningKeyKv {
  put(key: string, value: string, options: { metadata: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options: { prefix: string; cursor?: string }): Promise<SessionKvPage>;
}

/** A store holds a handful of keys: a longer listing is not ours to trust, and bounds the reads. */
const MAX_KEY_PAGES = 2;

const wellShaped = (values: unknown[]) => values.filter(isStoredKey);

/** Keys in KV, one key-value pair each, the record as metadata so that one list call reads them all. */
export function createKvSigningKeyStore(kv: SigningKeyKv): SigningKeyStore {
  const list = async () => {
    const found: unknown[] = [];
    let cursor: string | undefined;
    try {
      for (let page = 0; page < MAX_KEY_PAGES; page++) {
        const listed = await kv.list({ prefix: SIGNING_KEYS_PREFIX, ...(cursor ? { cursor } : {}) });
        found.push(...listed.keys.map((key) => key.metadata));
        if (listed.list_complete || !listed.cursor) break;
        cursor = listed.cursor;
      }
    } catch (error) {
      throw unavailable(error);
    }
    return wellShaped(found);
  };
  return {
    list,
    async add(key) {
      try {
        await kv.put(signingKeyKey(key.kid), "", { metadata: key });
      } catch (error) {
        throw unavailable(error);
      }
      // Eventually consistent: another location's newest key may not be listed yet.
      const listed = await list().catch(() => []);
      return [...listed.filter((other) => other.kid !== key.kid), key];
    },
    async remove(kids) {
      try {
        for (const kid of kids) await kv.delete(signingKeyKey(kid));
      } catch (error) {
        throw unavailable(error);
      }
    },
  };
}

/** The object that keeps the keys: a `sub` no provider issues (it has spaces and a colon). */
const KEYS_OBJECT = "signing keys: the worker's own";

/** Keys in one Durable Object: exact, so two isolates adding at once both see both keys. */
export function createDurableObjectSigningKeyStore(
  namespace: DurableObjectNamespace<SessionFamilies>,
): SigningKeyStore {
  const stub = async () => namespace.get(namespace.idFromName(await sha256(KEYS_OBJECT)));
  const call = async <T>(run: () => Promise<T>) => {
    try {
      return await run();
    } catch (cause) {
      throw new AuthError("ERR_SESSION_STORE_UNAVAILABLE", { cause });
    }
  };
  const parsed = (texts: string[]) => wellShaped(texts.map((text) => JSON.parse(text) as unknown));
  return {
    list: async () => parsed(await call(async () => (await stub()).signingKeys())),
    add: async (key, firstOnly) =>
      parsed(
        await call(async () => (await stub()).addSigningKey(key.kid, key.signsFromMs, JSON.stringify(key), firstOnly)),
      ),
    remove: (kids) => call(async () => (await stub()).removeSigningKeys([...kids])),
  };
}

/** The key store of the configured session store. */
export function signingKeyStoreFor(config: Config, env: Env): SigningKeyStore {
  return config.sessionStore === "durable-object"
    ? createDurableObjectSigningKeyStore(env.SESSION_FAMILIES)
    : createKvSigningKeyStore(env.SESSIONS);
}
