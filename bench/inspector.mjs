// The V8 heap of one worker, through workerd's inspector (Chrome DevTools protocol).
//
// Why: the RSS of workerd says little about what a worker keeps. It grows by tens of MiB
// under plain load even for a 5-line fetch() worker (allocator and V8 heap growth that is
// never returned to the OS), so "memory flat under many sessions" cannot be judged from RSS
// alone. What a per-isolate cache retains is live JS heap after a full garbage collection.
// workerd does not implement HeapProfiler.collectGarbage, but taking a heap snapshot forces a
// full GC first; the snapshot's chunks are thrown away and Runtime.getHeapUsage then gives the
// live heap. A few tens of milliseconds per reading for a heap of this size.
import WebSocket from "ws";

export async function connectInspector(mf, workerName) {
  const base = await mf.getInspectorURL();
  const ws = new WebSocket(`ws://${base.host}/core:user:${workerName}`);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let nextId = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const message = JSON.parse(data);
    if (message.id !== undefined && pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    }
  });
  const call = (method, params = {}, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`inspector ${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (message) => {
        clearTimeout(timer);
        if (message.error) reject(new Error(`inspector ${method}: ${message.error.message}`));
        else resolve(message.result ?? {});
      });
      ws.send(JSON.stringify({ id, method, params }));
    });

  return {
    /** One Chrome DevTools protocol call; resolves to its result. */
    call,
    /** Live JS heap after a full GC, bytes (plus V8's total heap size and the embedder's share). */
    async liveHeap() {
      await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      const usage = await call("Runtime.getHeapUsage");
      return { usedBytes: usage.usedSize, totalBytes: usage.totalSize, embedderBytes: usage.embedderHeapUsedSize ?? 0 };
    },
    close() {
      ws.close();
    },
  };
}
