import { describe, expect, it } from "vitest";
import type { Env } from "../../../src/env";
import { ignoredSettings } from "../../../src/config/ignored-settings";
import { parseConfig } from "../../../src/config/parse-config";
import { testEnv } from "../../support/workerd/helpers";

const allow = { emails: ["a@example.com"] };

/** What the worker makes of these bindings (it runs: each setting changes nothing), and what `npm run check` says. */
async function settle(policy: unknown[], more: Partial<Env> = {}) {
  const env = { ...testEnv, ACCESS_POLICY: JSON.stringify(policy), ...more };
  const parsed = await parseConfig(env);
  return { workerProblems: parsed.ok ? [] : parsed.problems, checkProblems: ignoredSettings(env) };
}

describe("settings the worker ignores, reported by npm run check", () => {
  it('reports "preflight" and "websocket" on a public rule, which change nothing there', async () => {
    const { workerProblems, checkProblems } = await settle([
      { path: "/a", public: true, preflight: true },
      { path: "/b", public: true, websocket: "relay" },
      { path: "/c", allow, preflight: true, websocket: "pass-through" },
    ]);
    expect(workerProblems).toEqual([]);
    expect(checkProblems).toEqual([
      'ACCESS_POLICY[0] "/a": "preflight" on a public rule changes nothing (its preflights pass already); remove it',
      'ACCESS_POLICY[1] "/b": "websocket" on a public rule changes nothing (its sockets carry no session); remove it',
    ]);
  });

  it("reports rules under the worker's own routes, which never apply, for the AUTH_PREFIX in use", async () => {
    const policy = [
      { path: "/auth/*", allow },
      { path: "/.well-known/jwks.json", public: true },
      { path: "/sso/login", allow },
      { path: "/authors/*", allow },
    ];
    const { workerProblems, checkProblems } = await settle(policy);
    expect(workerProblems).toEqual([]);
    expect(checkProblems).toEqual([
      'ACCESS_POLICY[0] "/auth/*": never applies: /auth and /.well-known/jwks.json are the worker\'s own routes; remove the rule',
      'ACCESS_POLICY[1] "/.well-known/jwks.json": never applies: /auth and /.well-known/jwks.json are the worker\'s own routes; remove the rule',
    ]);
    const sso = await settle(policy, { AUTH_PREFIX: "/sso" });
    expect(sso.checkProblems.map((problem) => problem.split(":")[0])).toEqual([
      'ACCESS_POLICY[1] "/.well-known/jwks.json"',
      'ACCESS_POLICY[2] "/sso/login"',
    ]);
  });

  it("reports allowlists a catch-all rule leaves with nothing to decide, and not when they are empty", async () => {
    const catchAll = [{ path: "/*", allow: { domains: ["example.org"] } }];
    const { workerProblems, checkProblems } = await settle(catchAll);
    expect(workerProblems).toEqual([]);
    expect(checkProblems).toEqual([
      'ALLOWED_EMAILS/ALLOWED_DOMAINS: never decide anything, because ACCESS_POLICY[0] "/*" covers every path; move them into that rule or empty them',
    ]);
    expect((await settle(catchAll, { ALLOWED_EMAILS: "", ALLOWED_DOMAINS: "" })).checkProblems).toEqual([]);
    // A rule for some methods, or a public one, leaves the default rule something to decide.
    const partial = [{ path: "/*", methods: ["POST"], allow }];
    expect((await settle(partial)).checkProblems).toEqual([]);
  });

  it("says nothing of a policy without such settings, or of one that does not parse", async () => {
    expect((await settle([{ path: "/admin/*", allow, preflight: true }])).checkProblems).toEqual([]);
    expect(ignoredSettings({ ...testEnv, ACCESS_POLICY: "[{" })).toEqual([]);
    expect(ignoredSettings({ ...testEnv, ACCESS_POLICY: '{"path": "/auth/*"}' })).toEqual([]);
  });
});
