// workerd provides node:async_hooks' AsyncLocalStorage with the `nodejs_als` compatibility flag;
// @cloudflare/workers-types does not declare it, so this is the part we use.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, callback: () => R): R;
    getStore(): T | undefined;
  }
}
