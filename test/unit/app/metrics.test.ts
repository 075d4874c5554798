import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256 } from "../../../src/util/hash";
import { accessTokenFor, ada, callWith, cloudflareKv, ORIGIN_PATHS, signedIn } from "../../support/workerd/helpers";
import { signInThroughProvider } from "../../support/workerd/provider-stub";

/**
 * AUTH_METRICS (Workers Analytics Engine): one data point per decision, written in one place.
 * The dataset is outside the machine, so the binding here is a recording double with the
 * platform's documented limits (20 blobs, 20 doubles, 1 index of at most 96 bytes).
 */
function recordingDataset() {
  const points: { blobs: string[]; doubles: number[]; indexes: string[] }[] = [];
  const dataset = {
    writeDataPoint(point: AnalyticsEngineDataPoint = {}) {
      const blobs = (point.blobs ?? []).map((blob) => String(blob));
      const indexes = (point.indexes ?? []).map((index) => String(index));
      if (
        blobs.length > 20 ||
        (point.doubles ?? []).length > 20 ||
        indexes.length > 1 ||
        new TextEncoder().encode(indexes[0] ?? "").length > 96
      ) {
        throw new RangeError("data point over Analytics Engine's limits");
      }
      points.push({ blobs, doubles: [...(point.doubles ?? [])], indexes });
    },
  };
  return { dataset, points };
}

/** The test KV, each call of which takes `ms` on the worker's (fake) clock. */
function testKvThatTakes(ms: number): KVNamespace {
  const kv = cloudflareKv.binding();
  return new Proxy(kv, {
    get(target, name) {
      const value = Reflect.get(target, name) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        vi.setSystemTime(Date.now() + ms);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("a data point per decision", () => {
  it("records a sign-in: OK at the callback, the hashed sub, never the raw sub or e-mail", async () => {
    const { dataset, points } = recordingDataset();
    const callback = await signInThroughProvider(
      { sub: "1001", email: "ada@example.com" },
      { bindings: { AUTH_METRICS: dataset } },
    );
    expect(callback.status).toBe(302);
    // The login and the callback: two decisions, two points.
    expect(points.map((point) => point.blobs.slice(0, 3))).toEqual([
      ["OK", "login", "no"],
      ["OK", "callback", "no"],
    ]);
    const signIn = points[1]!;
    expect(signIn.blobs[3]).toBe(await sha256("1001"));
    expect(signIn.indexes).toEqual(["callback"]);
    expect(signIn.doubles).toHaveLength(1);
    expect(JSON.stringify(points)).not.toMatch(/1001|ada@example\.com/);
  });

  it("records a refused sign-in with its code and the refused person's hashed sub", async () => {
    const { dataset, points } = recordingDataset();
    const callback = await signInThroughProvider(
      { sub: "666", email: "mallory@elsewhere.example" },
      { bindings: { AUTH_METRICS: dataset } },
    );
    expect(callback.status).toBe(403);
    expect(points[1]).toEqual({
      blobs: ["ERR_ACCOUNT_NOT_ALLOWED", "callback", "no", await sha256("666")],
      doubles: [expect.any(Number)],
      indexes: ["callback"],
    });
  });

  it.each(ORIGIN_PATHS)("records the gate through $name: proxied, refreshed, refused", async ({ bindings }) => {
    const { dataset, points } = recordingDataset();
    const withMetrics = { ...bindings, AUTH_METRICS: dataset };
    const { cookie, refresh } = await signedIn();
    expect((await callWith(withMetrics, "/page", { headers: { cookie } })).status).toBe(200);
    expect((await callWith(withMetrics, "/page", { headers: { cookie: `__Host-refresh=${refresh}` } })).status).toBe(
      200,
    );
    expect((await callWith(withMetrics, "/api/x")).status).toBe(401);
    expect((await callWith(withMetrics, "/docs", { headers: { accept: "text/html" } })).status).toBe(302);
    expect((await callWith(withMetrics, "/public/x")).status).toBe(200);
    const hashed = await sha256(ada.sub);
    expect(points.map((point) => point.blobs)).toEqual([
      ["OK", "gate", "no", hashed],
      ["OK", "gate", "yes", hashed],
      ["ERR_NO_SESSION", "gate", "no", ""],
      // A navigation sent to sign in is a refusal too, though it is answered with a redirect.
      ["ERR_NO_SESSION", "gate", "no", ""],
      ["OK", "public", "no", ""],
    ]);
    expect(points.map((point) => point.indexes[0])).toEqual(["gate", "gate", "gate", "gate", "public"]);
  });

  it("says why a refresh was refused (the stolen token's reuse), not just that there was no session", async () => {
    const { dataset, points } = recordingDataset();
    const { refresh, config, issued } = await signedIn();
    // Rotate once, then present the rotated token again after the grace period: theft.
    expect((await callWith({}, "/page", { headers: { cookie: `__Host-refresh=${refresh}` } })).status).toBe(200);
    vi.useFakeTimers({ now: Date.now() + (config.refreshReuseGraceSeconds + 5) * 1000, toFake: ["Date"] });
    const expired = await accessTokenFor(
      config,
      ada,
      issued.familyId,
      Math.floor(Date.now() / 1000) - config.accessTokenTtlSeconds - 1,
    );
    const reused = await callWith({ AUTH_METRICS: dataset }, "/api/x", {
      headers: { cookie: `__Host-access=${expired}; __Host-refresh=${refresh}` },
    });
    expect(reused.status).toBe(401);
    expect(points.map((point) => point.blobs.slice(0, 3))).toEqual([["ERR_REFRESH_REUSED", "gate", "no"]]);
  });

  it("records the worker's own routes and errors by route kind", async () => {
    const { dataset, points } = recordingDataset();
    const withMetrics = { AUTH_METRICS: dataset };
    const { cookie } = await signedIn();
    await callWith(withMetrics, "/auth/me", { headers: { cookie } });
    await callWith(withMetrics, "/auth/refresh", { method: "POST" });
    await callWith(withMetrics, "/auth/logout", { method: "POST", headers: { cookie } });
    await callWith(withMetrics, "/auth/nope");
    await callWith(withMetrics, "/.well-known/jwks.json");
    await callWith(withMetrics, "/auth/logout", { method: "POST", headers: { origin: "https://evil.example" } });
    expect(points.map((point) => point.blobs.slice(0, 3))).toEqual([
      ["OK", "me", "no"],
      ["ERR_NO_SESSION", "refresh", "no"],
      ["OK", "logout", "no"],
      ["ERR_NOT_FOUND", "other", "no"],
      ["OK", "jwks", "no"],
      ["ERR_CROSS_SITE", "logout", "no"],
    ]);
    expect(points[0]!.blobs[3]).toBe(await sha256(ada.sub));
    expect(points[2]!.blobs[3]).toBe(await sha256(ada.sub));
  });

  it("records a misconfigured worker's refusals as ERR_CONFIG", async () => {
    const { dataset, points } = recordingDataset();
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect((await callWith({ AUTH_METRICS: dataset, ALLOWED_EMAILS: "", ALLOWED_DOMAINS: "" }, "/page")).status).toBe(
      500,
    );
    expect(points).toEqual([
      { blobs: ["ERR_CONFIG", "unconfigured", "no", ""], doubles: [0], indexes: ["unconfigured"] },
    ]);
  });

  it("counts time in the worker, but not the time spent waiting for the origin", async () => {
    const { dataset, points } = recordingDataset();
    vi.useFakeTimers({ now: Date.now(), toFake: ["Date"] });
    const { cookie } = await signedIn();
    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      // The origin takes 5 s to answer.
      if (new URL(new Request(input, init).url).hostname === "origin.test") vi.setSystemTime(Date.now() + 5_000);
      return real(input, init);
    });
    const store = testKvThatTakes(40);
    expect(
      (
        await callWith({ AUTH_METRICS: dataset, SESSIONS: store, REVOCATION_CHECK: "true" }, "/page", {
          headers: { cookie },
        })
      ).status,
    ).toBe(200);
    // The revocation check's KV reads (40 ms each, on the worker's clock) count; the origin's 5 s do not.
    const [workerMs] = points[0]!.doubles;
    expect(workerMs).toBeGreaterThanOrEqual(40);
    expect(workerMs).toBeLessThan(5_000);
  });

  it("never lets a failing dataset cost a request its answer", async () => {
    const broken = {
      writeDataPoint: () => {
        throw new Error("dataset unavailable");
      },
    };
    vi.spyOn(console, "warn").mockImplementation(() => {});
    expect((await callWith({ AUTH_METRICS: broken }, "/public/x")).status).toBe(200);
  });

  it("refuses an AUTH_METRICS that is not a dataset as a configuration error", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect((await callWith({ AUTH_METRICS: "yes please" }, "/public/x")).status).toBe(500);
  });
});
