// Bench-only entry worker: the real worker (src/index.ts, bundled by esbuild as
// bench/micro-worker.ts is) behind a storage latency model. Before each request it hands the
// worker an env whose SESSIONS (Workers KV) and SESSION_FAMILIES (the Durable Object namespace)
// are wrappers around the real Miniflare bindings: every operation waits for the modelled
// latency (bench/latency-model.mjs, passed in as the LATENCY_MODEL binding) alongside the real
// call, and is recorded. The response carries what the request did to storage in the header
// `x-bench-storage` (JSON): the operations, grouped into round trips on the critical path (a
// round trip starts when an operation starts while none is in flight; operations started while
// one is in flight overlap it), and the modelled milliseconds of those round trips.
//
// Request header `x-bench-latency: off` runs the same request with no delay (still recorded):
// the local time of the same path, for comparison. `x-bench-later: 1` models a request made an
// access-token lifetime after the last one: the location's KV cache has forgotten every key (all
// reads are misses), while the isolate (and whatever it cached) is still there.
//
// The worker's calls to the OpenID provider (OIDC_ISSUER = bench/provider-stub.ts's issuer) are
// answered by that stub, each recorded as a round trip with the model's provider delay: a
// sign-in's callback reports its provider round trips next to its storage ones.
//
// POST /__bench/security-event {"sub"} answers a RISC Security Event Token the stub provider
// signed (sessions-revoked for that sub), for POST {AUTH_PREFIX}/risc. Request header
// `x-bench-revocation-check: 1` runs the request with REVOCATION_CHECK=true.
//
// POST /__bench/seed-do {"count": n, "perPerson": k} creates n sessions (k per person, default 1) through the worker's
// own Durable Object store code, createDurableObjectSessionStore(...).create(...), on the
// unwrapped binding, and answers {"credentials": [...]}: valid `__Host-refresh` values.
import { AsyncLocalStorage } from "node:async_hooks";
import worker from "../src/index";
import type { Env } from "../src/env";
import { createDurableObjectSessionStore } from "../src/session/durable-object-store";
import { providerAnswer, signSecurityEvent } from "./provider-stub";

// The Durable Object class, for a stack without the deployed build (bench/store-ops.mjs alone).
export { SessionFamilies } from "../src/index";

interface Model {
  kvReadHitMs: number;
  kvReadMissMs: number;
  kvWriteMs: number;
  kvCacheTtlSeconds: number;
  doCallMs: number;
  doWriteMs: number;
  providerMs: number;
}

interface BenchEnv extends Env {
  LATENCY_MODEL: string;
}

interface RoundTrip {
  ops: string[];
  ms: number;
}

interface Trace {
  delays: boolean;
  /** Every KV read misses the location's cache (x-bench-later). */
  later: boolean;
  inFlight: number;
  roundTrips: RoundTrip[];
}

const traces = new AsyncLocalStorage<Trace>();
const sleep = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

/** One storage operation: the real call and the modelled delay side by side (whichever is longer). */
async function timed<T>(op: string, delayMs: number, run: () => Promise<T>): Promise<T> {
  const trace = traces.getStore();
  if (!trace) return run();
  if (trace.inFlight === 0) trace.roundTrips.push({ ops: [], ms: 0 });
  const current = trace.roundTrips[trace.roundTrips.length - 1]!;
  current.ops.push(op);
  current.ms = Math.max(current.ms, delayMs);
  trace.inFlight++;
  try {
    const [result] = await Promise.all([run(), trace.delays ? sleep(delayMs) : undefined]);
    return result;
  } finally {
    trace.inFlight--;
  }
}

/** Keys read at this "location" and when: a read within the cache TTL is a hit. */
const lastRead = new Map<string, number>();

function modelKv(kv: KVNamespace, model: Model): KVNamespace {
  const read = (key: string) => {
    const now = Date.now();
    const hit = !traces.getStore()?.later && (lastRead.get(key) ?? -Infinity) > now - model.kvCacheTtlSeconds * 1000;
    if (lastRead.size > 100_000) lastRead.clear();
    lastRead.set(key, now);
    return hit;
  };
  const wrapped = {
    get: (key: string, options?: unknown) => {
      const hit = read(key);
      return timed(
        hit ? "kv.get (cache hit)" : "kv.get (cache miss)",
        hit ? model.kvReadHitMs : model.kvReadMissMs,
        () => (kv.get as (k: string, o?: unknown) => Promise<unknown>)(key, options),
      );
    },
    put: (key: string, value: string, options?: KVNamespacePutOptions) =>
      timed("kv.put", model.kvWriteMs, () => kv.put(key, value, options)),
    delete: (key: string) => timed("kv.delete", model.kvWriteMs, () => kv.delete(key)),
    list: (options?: KVNamespaceListOptions) => timed("kv.list", model.kvReadMissMs, () => kv.list(options)),
  };
  return wrapped as unknown as KVNamespace;
}

/** Methods of SessionFamilies that write to the object's storage (the output gate waits). */
const WRITING = new Set(["create", "rotate", "revoke", "revokeUser"]);

function modelStub<T extends object>(stub: T, model: Model): T {
  return new Proxy({} as T, {
    get(_target, method) {
      // Not a thenable: the store returns stubs from async functions.
      if (typeof method !== "string" || method === "then") return undefined;
      return (...args: unknown[]) =>
        timed(`durable object .${method}()`, model.doCallMs + (WRITING.has(method) ? model.doWriteMs : 0), () =>
          (stub as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args),
        );
    },
  });
}

function modelNamespace(namespace: Env["SESSION_FAMILIES"], model: Model): Env["SESSION_FAMILIES"] {
  // Naming an object and making its stub are local (no round trip); calls on the stub are not.
  const wrapped = {
    idFromName: (name: string) => namespace.idFromName(name),
    idFromString: (id: string) => namespace.idFromString(id),
    newUniqueId: (options?: DurableObjectNamespaceNewUniqueIdOptions) => namespace.newUniqueId(options),
    get: (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) =>
      modelStub(namespace.get(id, options), model),
  };
  return wrapped as unknown as Env["SESSION_FAMILIES"];
}

/** The worker's outbound fetch(): calls to the provider go to the stub, as modelled round trips. */
const realFetch = globalThis.fetch;
let provider: { issuer: string; clientId: string; origin: string; model: Model } | undefined;
globalThis.fetch = async function benchFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  if (!provider || new URL(request.url).origin !== provider.origin) return realFetch(request);
  const { model } = provider;
  return timed(`provider ${request.method} ${new URL(request.url).pathname}`, model.providerMs, () =>
    providerAnswer(request, provider!),
  );
};

/** One modelled env per real env object (the worker keeps its store per binding object). */
const modelled = new WeakMap<object, Env>();

const withRevocationCheck = new WeakMap<object, BenchEnv>();

/** `x-bench-revocation-check: 1`: the same worker with REVOCATION_CHECK=true (its own config and store). */
function envFor(request: Request, env: BenchEnv): BenchEnv {
  if (request.headers.get("x-bench-revocation-check") !== "1") return env;
  let variant = withRevocationCheck.get(env);
  if (!variant) withRevocationCheck.set(env, (variant = { ...env, REVOCATION_CHECK: "true" }));
  return variant;
}

function modelledEnv(env: BenchEnv): Env {
  let out = modelled.get(env);
  if (!out) {
    const model = JSON.parse(env.LATENCY_MODEL) as Model;
    provider = {
      issuer: env.OIDC_ISSUER,
      clientId: env.OIDC_CLIENT_ID,
      origin: new URL(env.OIDC_ISSUER).origin,
      model,
    };
    out = { ...env };
    if (env.SESSIONS) out.SESSIONS = modelKv(env.SESSIONS, model);
    if (env.SESSION_FAMILIES) out.SESSION_FAMILIES = modelNamespace(env.SESSION_FAMILIES, model);
    modelled.set(env, out);
  }
  return out;
}

async function seedDurableObjectSessions(request: Request, env: BenchEnv): Promise<Response> {
  const { count, perPerson = 1 } = (await request.json()) as { count: number; perPerson?: number };
  const people = Array.from({ length: Math.ceil(count / perPerson) }, () => crypto.randomUUID());
  const store = createDurableObjectSessionStore(env.SESSION_FAMILIES);
  const ttlSeconds = Number(env.REFRESH_TOKEN_TTL) || 2_592_000;
  const credentials: string[] = new Array(count);
  let next = 0;
  const nowMs = Date.now();
  const run = async () => {
    while (next < count) {
      const i = next++;
      const user = people[Math.floor(i / perPerson)]!;
      credentials[i] = (
        await store.create(
          { provider: "default", sub: `do-user-${user}`, email: `do-user-${user}@example.com` },
          nowMs,
          ttlSeconds,
        )
      ).credential;
    }
  };
  await Promise.all(Array.from({ length: 16 }, run));
  return Response.json({ credentials });
}

export default {
  async fetch(
    request: Request<unknown, IncomingRequestCfProperties>,
    env: BenchEnv,
    ctx: ExecutionContext,
  ): Promise<Response> {
    if (new URL(request.url).pathname === "/__bench/seed-do" && request.method === "POST")
      return seedDurableObjectSessions(request, env);
    if (new URL(request.url).pathname === "/__bench/security-event" && request.method === "POST") {
      const { sub } = (await request.json()) as { sub: string };
      return new Response(await signSecurityEvent(sub, { issuer: env.OIDC_ISSUER, clientId: env.OIDC_CLIENT_ID }));
    }
    env = envFor(request, env);
    const trace: Trace = {
      delays: request.headers.get("x-bench-latency") !== "off",
      later: request.headers.get("x-bench-later") === "1",
      inFlight: 0,
      roundTrips: [],
    };
    const response = await traces.run(trace, () => worker.fetch(request, modelledEnv(env), ctx));
    const out = new Response(response.body, response);
    out.headers.set(
      "x-bench-storage",
      JSON.stringify({
        roundTrips: trace.roundTrips,
        modelledMs: trace.roundTrips.reduce((sum, trip) => sum + trip.ms, 0),
      }),
    );
    return out;
  },
};
