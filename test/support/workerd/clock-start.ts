/**
 * A setup file of the workerd project: with TEST_CLOCK_START set (test/support/clock-start.ts),
 * every test starts at that moment and the clock runs on from there. The test, the worker it calls
 * and the KV model read one `Date` (they share an isolate), so all three see the moved time, and a
 * test that fakes the clock at `Date.now()` fakes it there. Without TEST_CLOCK_START, nothing
 * changes. Miniflare's own services (KV storage, the rate-limit binding) keep the real clock: the
 * tests reach them through the KV model, which gives them relative expirations only.
 */
import { beforeEach, inject } from "vitest";
// The `clockStartMs` vitest.config.ts provides, as that module declares it.
import type {} from "../clock-start";

/** Set once per isolate: the files of one Miniflare share its globals (vitest.config.ts, `isolate: false`). */
const MOVED = Symbol.for("edge-auth-worker.test-clock-start");
/** How far the clock is moved, and the real clock itself (whatever a test has installed as `Date` since). */
type Moved = { offsetMs: number; realNow: () => number };

const startMs = inject("clockStartMs");
if (startMs !== null) {
  const global = globalThis as unknown as Record<symbol, Moved | undefined> & { Date: DateConstructor };
  let moved = global[MOVED];
  if (!moved) {
    const RealDate = global.Date;
    const state: Moved = { offsetMs: 0, realNow: () => RealDate.now() };
    moved = global[MOVED] = state;
    const now = () => RealDate.now() + state.offsetMs;
    // A Proxy rather than a subclass: `Date()` called without `new` (a string of now) keeps working.
    global.Date = new Proxy(RealDate, {
      construct: (target, args, newTarget) =>
        Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget) as object,
      apply: () => new RealDate(now()).toString(),
      get: (target, key, receiver) => (key === "now" ? now : Reflect.get(target, key, receiver)),
    });
  }
  const state = moved;
  // Before the test's own hooks, which may fake the clock at the moved `Date.now()`.
  beforeEach(() => {
    state.offsetMs = startMs - state.realNow();
  });
}
