import { AsyncLocalStorage } from "node:async_hooks";

/** Per-request facts that every log line carries, without threading them through each call. */
export interface RequestScope {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Cloudflare's `cf-ray` when present (it ties our logs to Cloudflare's), else a random id. */
export function requestIdFor(request: Request): string {
  const ray = request.headers.get("cf-ray");
  return ray && /^[A-Za-z0-9-]{1,64}$/.test(ray) ? ray : crypto.randomUUID();
}

export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
