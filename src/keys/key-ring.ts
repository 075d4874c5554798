import type { Config } from "../config/parse-config";
import { assembleSessionKeys, type SessionKeys } from "../config/session-keys";
import type { Env } from "../env";
import { AuthError } from "../errors";
import { failureFields, logEvent } from "../log";
import { LOGIN_TTL_SECONDS } from "../tokens/login-token";
import { ASSERTION_TTL_SECONDS } from "../tokens/origin-assertion";
import { RELAY_CODE_TTL_SECONDS } from "../tokens/relay-code";
import { planRotation, publishedAt, signerAt } from "./key-schedule";
import { signingKeyStoreFor } from "./key-store";
import { createStoredKey, openStoredKey, type OpenedKey, type StoredSigningKey } from "./stored-key";

/**
 * The isolate's copy of the worker's own signing keys (KEY_ROTATION = "auto"): read from the
 * session store when the isolate starts and then hourly, never per request. Which key signs and
 * which are published follow from the stored times and the request's clock, so a copy an hour old
 * still switches keys on time (docs/operating.md, "Signing keys").
 */

/** Reread at least this often: a key is published a day before it signs, so every isolate holds it 23 hours ahead. */
const RELOAD_AFTER_MS = 3_600_000;
/** After a failed read, or a token naming a `kid` we lack: not sooner than KV takes to propagate a write. */
const RETRY_AFTER_MS = 60_000;
/**
 * Kept published this long after the longest-lived token a retired key can have signed: clock
 * skew, an isolate that read its keys just before the switch, and a verifier's cached key set.
 */
export const RETIREMENT_MARGIN_MS = 3_600_000;

/** How long a key stays published after it stopped signing: the longest token of ours, plus the margin. */
export function retentionMs(config: Config): number {
  const longest = Math.max(
    config.accessTokenTtlSeconds,
    ASSERTION_TTL_SECONDS,
    LOGIN_TTL_SECONDS,
    RELAY_CODE_TTL_SECONDS,
  );
  return longest * 1000 + RETIREMENT_MARGIN_MS;
}

interface Snapshot {
  opened: OpenedKey[];
  reloadAtMs: number;
  loadedAtMs: number;
  made?: { memo: string; keys: SessionKeys };
}
interface Ring {
  snapshot?: Snapshot;
  loading?: Promise<Snapshot>;
}
const rings = new WeakMap<Config, Ring>();

const scheduled = (opened: OpenedKey[]) =>
  opened.map((key) => ({ key, kid: key.record.kid, signsFromMs: key.record.signsFromMs, usable: !!key.signing }));

/** Opens every stored key; one that will not decrypt (or import) is logged, never thrown. */
async function openAll(records: StoredSigningKey[], wrappingKey: CryptoKey): Promise<OpenedKey[]> {
  const opened = await Promise.all(
    records.map((record) =>
      openStoredKey(record, wrappingKey).catch((error: unknown) => {
        logEvent("error", "signing_key_unusable", { kid: record.kid, ...failureFields(error) });
      }),
    ),
  );
  for (const key of opened)
    if (key?.unwrapFailed)
      logEvent("error", "signing_key_unreadable", {
        kid: key.record.kid,
        detail: "its private part does not decrypt with KEY_WRAPPING_SECRET: it only verifies",
      });
  return opened.filter((key): key is OpenedKey => key !== undefined);
}

/** The keys at `nowMs` from a snapshot: undefined when none of its keys can sign then. */
function keysOf(config: Config, snapshot: Snapshot, nowMs: number): SessionKeys | undefined {
  const keys = scheduled(snapshot.opened);
  const signer = signerAt(keys, nowMs);
  if (!signer) return undefined;
  const live = publishedAt(keys, nowMs, retentionMs(config)).sort((a, b) => b.signsFromMs - a.signsFromMs);
  const memo = `${signer.kid} ${live.map((key) => key.kid).join(" ")}`;
  if (snapshot.made?.memo === memo) return snapshot.made.keys;
  // A token naming a key we lack may be another isolate's newer one: reread soon, not at once.
  const onUnknownKid = () => {
    snapshot.reloadAtMs = Math.min(snapshot.reloadAtMs, snapshot.loadedAtMs + RETRY_AFTER_MS);
  };
  const published = [...live.map(({ key }) => key.published), ...config.configuredKeys];
  const made = assembleSessionKeys(signer.key.signing!, published, onUnknownKid);
  snapshot.made = { memo, keys: made };
  return made;
}

/**
 * Reads the stored keys; with none that can sign now (the very first request, or a secret that
 * opens none), makes one that signs at once, so the worker signs from its first request.
 */
async function load(config: Config, env: Env, nowMs: number): Promise<Snapshot> {
  const { wrappingKey } = config.keyRotation!;
  const store = signingKeyStoreFor(config, env);
  let opened = await openAll(await store.list(), wrappingKey);
  if (!signerAt(scheduled(opened), nowMs)) {
    const made = await createStoredKey(wrappingKey, nowMs, nowMs);
    const unusable = opened.filter((key) => !key.signing).map((key) => key.record.kid);
    opened = await openAll(await store.add(made, { unusable }), wrappingKey);
    if (opened.some((key) => key.record.kid === made.kid))
      logEvent("info", "signing_key_created", {
        kid: made.kid,
        signsFrom: new Date(nowMs).toISOString(),
        why: "none could sign",
      });
  }
  return { opened, loadedAtMs: nowMs, reloadAtMs: nowMs + RELOAD_AFTER_MS };
}

/**
 * The keys that sign and verify at `nowMs` with KEY_ROTATION = "auto": at once from the
 * isolate's copy while it is fresh (no await, no store call), else after one read of the store.
 * A failed read keeps a copy that still works, and tries again after a minute; with no copy, the
 * store's failure is thrown (ERR_SESSION_STORE_UNAVAILABLE: 503, cookies kept).
 */
export function signingKeysAt(config: Config, env: Env, nowMs: number): SessionKeys | Promise<SessionKeys> {
  let ring = rings.get(config);
  if (!ring) rings.set(config, (ring = {}));
  const current = ring.snapshot;
  const fromCopy = current && keysOf(config, current, nowMs);
  if (current && fromCopy && nowMs < current.reloadAtMs) return fromCopy;
  return reload(ring, config, env, nowMs, fromCopy);
}

async function reload(
  ring: Ring,
  config: Config,
  env: Env,
  nowMs: number,
  fallback: SessionKeys | undefined,
): Promise<SessionKeys> {
  const loading = (ring.loading ??= load(config, env, nowMs).finally(() => (ring.loading = undefined)));
  try {
    const snapshot = await loading;
    ring.snapshot = snapshot;
    const keys = keysOf(config, snapshot, nowMs);
    if (!keys) throw new AuthError("ERR_SESSION_STORE_UNAVAILABLE", { detail: "no signing key could be made" });
    return keys;
  } catch (error) {
    if (!fallback || !ring.snapshot) throw error;
    logEvent("warn", "signing_keys_reload_failed", failureFields(error));
    ring.snapshot.reloadAtMs = nowMs + RETRY_AFTER_MS;
    return fallback;
  }
}

/** What one run of the cron trigger did. */
export interface RotationRun {
  created?: { kid: string; signsFromMs: number };
  removed: string[];
}

/**
 * The cron trigger's work (KEY_ROTATION = "auto"): make the next key a day before it is due,
 * remove keys whose tokens have all expired (key-schedule.ts), and have this isolate reread.
 */
export async function rotateSigningKeys(config: Config, env: Env, nowMs: number): Promise<RotationRun> {
  const { wrappingKey, periodSeconds } = config.keyRotation!;
  const store = signingKeyStoreFor(config, env);
  const opened = await openAll(await store.list(), wrappingKey);
  const plan = planRotation(scheduled(opened), nowMs, periodSeconds * 1000, retentionMs(config));
  const run: RotationRun = { removed: plan.removeKids };
  if (plan.createSigningFromMs !== undefined) {
    const made = await createStoredKey(wrappingKey, nowMs, plan.createSigningFromMs);
    await store.add(made);
    run.created = { kid: made.kid, signsFromMs: made.signsFromMs };
  }
  if (plan.removeKids.length > 0) await store.remove(plan.removeKids);
  const snapshot = rings.get(config)?.snapshot;
  if (snapshot) snapshot.reloadAtMs = nowMs;
  return run;
}
