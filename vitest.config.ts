import { readFileSync } from "node:fs";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { generateKeySet } from "./scripts/keys.mjs";
import { echoOrigin } from "./test/support/echo-origin.mjs";
import { clockStartMs } from "./test/support/clock-start.ts";
import LongFirstSequencer from "./test/support/long-first-sequencer.ts";

/**
 * Three projects: `workerd` runs unit and route tests inside workerd with miniflare's real KV;
 * `e2e` drives the whole stack over HTTP (real local OpenID provider, real origin, the worker
 * started by wrangler) from Node; `browser` drives the same stack with Chromium.
 *
 * They run one after the other, `workerd` then `e2e` then `browser`: run beside each other they
 * finished no sooner on 2 cores, and the browser's files met ports the e2e files' servers had just
 * taken. Within a project the longest files start first (test/support/long-first-sequencer.ts).
 */

/**
 * oauth4webapi's build names a source map whose sources the package does not ship: read without
 * that comment, so that Vite does not warn on every run that the map points to missing files.
 */
const withoutDanglingSourceMap = {
  name: "without-dangling-source-map",
  load(id: string) {
    if (!id.endsWith("/node_modules/oauth4webapi/build/index.js")) return null;
    return readFileSync(id, "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
  },
};

export default defineConfig({
  test: {
    sequence: { sequencer: LongFirstSequencer },
    projects: [
      {
        plugins: [
          withoutDanglingSourceMap,
          cloudflareTest(async () => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ORIGIN_URL: "http://origin.test",
                PUBLIC_URL: "https://app.test",
                OIDC_ISSUER: "https://issuer.test",
                OIDC_CLIENT_ID: "unit-client",
                OIDC_CLIENT_SECRET: "unit-secret",
                SESSION_KEYS: JSON.stringify(await generateKeySet("ES256")),
                ALLOWED_EMAILS: "ada@example.com",
                ALLOWED_DOMAINS: "example.org",
                PUBLIC_PATHS: "/healthz,/public/*",
                REFRESH_REUSE_GRACE: "30",
              },
              // The origin (reached by ORIGIN_URL) and the provider for route tests: real HTTP handlers
              // on the host (e2e tests use real servers instead).
              outboundService: async (request: Request) => {
                const url = new URL(request.url);
                // An origin in trouble: it answers every request with a 503.
                if (url.hostname === "failing.origin.test") return new Response("overloaded", { status: 503 });
                if (url.href === "https://issuer.test/.well-known/openid-configuration") {
                  return Response.json({
                    issuer: "https://issuer.test",
                    authorization_endpoint: "https://issuer.test/authorize",
                    token_endpoint: "https://issuer.test/token",
                    jwks_uri: "https://issuer.test/jwks",
                    response_types_supported: ["code"],
                    subject_types_supported: ["public"],
                    id_token_signing_alg_values_supported: ["RS256"],
                  });
                }
                if (url.hostname === "origin.test") return echoOrigin(request);
                // Nothing else is out there: a request that leaves for another host is a bug (one
                // that ignored the ORIGIN service binding, for one), never an answer from the echo.
                return new Response("no such host in the unit tests", { status: 599 });
              },
              // The same origin as a Worker of its own, for the ORIGIN service binding. Bound under
              // another name so that every other test keeps the ORIGIN_URL path; tests that want the
              // binding pass it as ORIGIN (test/support/workerd/helpers.ts, ORIGIN_PATHS).
              serviceBindings: { ECHO_ORIGIN_WORKER: "echo-origin" },
              workers: [
                {
                  name: "echo-origin",
                  modules: true,
                  scriptPath: "./test/support/echo-origin.mjs",
                  compatibilityDate: "2026-05-03",
                },
              ],
            },
          })),
        ],
        test: {
          name: "workerd",
          include: ["test/unit/**/*.test.ts"],
          // In at most two Miniflares started once for the whole run (`isolate: false`): starting
          // one takes longer than most files do. The files one of them
          // runs share its storage (KV, Durable Objects) and the worker's modules with their
          // per-isolate caches, as the requests of one isolate do in production; the outbound
          // handlers above keep no state, vitest restores spies after each file, and a test that
          // fakes the clock restores it. So each test arranges its own state (people, ids, keys,
          // issuers: `newPerson()` in test/support/workerd/helpers.ts) and never counts on an
          // empty store or a cold cache.
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
          // TEST_CLOCK_START=23:59:40 starts every test's clock there (test/support/clock-start.ts).
          setupFiles: ["./test/support/workerd/clock-start.ts"],
          provide: { clockStartMs: clockStartMs(process.env.TEST_CLOCK_START) },
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 90_000,
          // Each file starts its own provider and origin; a worker is leased from the broker this
          // global setup starts (one per configuration, shared across files), or started for the
          // file when its stack needs one of its own. Two files at a time fit 2 cores.
          globalSetup: ["./test/support/shared-workers.ts"],
          // A file's modules are loaded once per test process, not once per file (oidc-provider,
          // jose, ws...): the files keep no state at module level that another file could see.
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          // Chromium (Debian's, through playwright-core) against the same local stack, one browser
          // per test process (test/browser/support.ts), last. Two files at a time: a file mostly
          // waits on the round trips of a sign-in between Chromium, workerd and the provider, and
          // on the worker its lease starts, which two files overlap on 2 cores.
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The same broker of shared workers as the e2e project's (test/support/shared-workers.ts).
          globalSetup: ["./test/support/shared-workers.ts"],
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
