// workerd provides node:async_hooks' AsyncLocalStorage (compatibility flag `nodejs_compat`, or `nodejs_als`);
// @cloudflare/workers-types does not declare it, so this is the part we use.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, callback: () => R): R;
    getStore(): T | undefined;
  }
}
