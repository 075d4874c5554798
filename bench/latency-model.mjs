// The storage latency model: a fixed delay per storage operation, added by the bench-only entry
// worker (bench/latency-worker.ts) around the real KV binding and the real Durable Object stub,
// so that one refresh can be reported in wall-clock time roughly as it would be on Cloudflare.
// Miniflare's KV and Durable Objects answer in well under a millisecond, from the same process:
// without a model, (e) and (e2) say nothing about the time a person waits.
//
// THESE FIGURES ARE ASSUMPTIONS, not measurements: round, middle-of-the-road values picked from
// what Cloudflare documents and what is widely reported. Real latency depends on the location,
// on how hot the key or object is, and on load. Change them here (one place: the worker gets
// them as a binding and the report prints them).
//
//   kvReadHitMs   5   KV read answered from the location's cache. Cloudflare's "We made
//                     Workers KV up to 3x faster" (blog, 2024-09-26) describes hot reads served
//                     by the KV worker's in-memory cache (under 1 ms for the hottest keys) or the
//                     location's Cache API, plus the hop from the worker to the KV worker;
//                     commonly reported figures for hot reads are a few ms to under 10 ms.
//   kvReadMissMs 30   KV read that misses the location's cache (a key not read here recently, or
//                     one that does not exist: a negative answer is fetched too) and goes to a
//                     regional tier or the central stores. "How KV works" (developers.cloudflare
//                     .com/kv/concepts/how-kv-works): "Requests which are not in cache and need to
//                     access the central stores can experience higher latencies"; reported cold
//                     reads range from tens of ms to a few hundred ms far from the central stores.
//   kvWriteMs    30   KV put: written to the central stores ("How KV works": writes go to
//                     central data stores, not to every location's cache); tens of ms.
//   kvCacheTtlSeconds 60  a read is a hit only if the same key was read at this location within
//                     the last 60 s (KV's default and minimum cacheTtl; "Limits"). A refresh
//                     happens once per ACCESS_TOKEN_TTL (15 min) and reads keys nobody read here
//                     before (the token just issued, the successor not yet issued): all misses.
//   doCallMs      5   one call from a worker to a Durable Object in the same region (the object
//                     lives where its person first signed in): a network hop inside the region
//                     and back. "Zero-latency SQLite storage in every Durable Object" (Cloudflare
//                     blog, 2024-09-26): the object's SQLite is in the object's own thread, so
//                     its reads cost no network at all (microseconds, not modelled).
//   doWriteMs     3   extra wait when the call wrote: the output gate holds the object's answer
//                     until the write is durable, which the same blog describes as replicated to
//                     five followers in nearby data centres and confirmed by three of them.
//   providerMs   50   one call from the worker to the OpenID provider (Google's token endpoint) over
//                     a connection the runtime keeps open: Google's front ends are near every
//                     Cloudflare location, so a request and its answer in some tens of ms. An
//                     assumption for the sign-in's wall time; what the bench reports as measured
//                     is the number of such calls.
//
// Not modelled: a Durable Object's cold start (it runs for real in Miniflare, so its local cost
// is part of the measured time), an object far from the worker (a person travelling: add the
// distance to doCallMs), KV's 429 on a second write of a key within a second (never on this path).
export const LATENCY_MODEL = Object.freeze({
  kvReadHitMs: 5,
  kvReadMissMs: 30,
  kvWriteMs: 30,
  kvCacheTtlSeconds: 60,
  doCallMs: 5,
  doWriteMs: 3,
  providerMs: 50,
});

/** One line for the report: the figures in use. */
export function describeModel(model = LATENCY_MODEL) {
  return `KV read ${model.kvReadHitMs} ms from the location's cache (key read here within ${model.kvCacheTtlSeconds} s), ${model.kvReadMissMs} ms on a miss, write ${model.kvWriteMs} ms; Durable Object call ${model.doCallMs} ms, +${model.doWriteMs} ms when it wrote; a call to the OpenID provider ${model.providerMs} ms (assumed figures: bench/latency-model.mjs)`;
}
