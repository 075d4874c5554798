import { afterEach, describe, expect, it, vi } from "vitest";
import { createCloudflareKv } from "../../support/cloudflare-kv";
import { call, testEnv } from "../../support/workerd/helpers";
import { signInThroughProvider } from "../../support/workerd/provider-stub";

/** Every JSON line the worker logged at any level during `run`, parsed. */
async function logged<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const spies = (["log", "warn", "error"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation(() => {}),
  );
  const result = await run();
  const lines = spies.flatMap((spy) =>
    spy.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>),
  );
  return { result, lines };
}

describe("a failure's log line says code, detail and cause, the same way everywhere", () => {
  afterEach(() => vi.restoreAllMocks());

  it("a refused refresh token is the API call's refusal itself, with its code (not a generic ERR_NO_SESSION)", async () => {
    const { result, lines } = await logged(() =>
      call("/api/data", { headers: { cookie: `__Host-refresh=${"r".repeat(43)}`, accept: "application/json" } }),
    );
    expect(result.status).toBe(401);
    // The session ended: its cookies are cleared, as before.
    expect(result.headers.getSetCookie().some((line) => /^__Host-refresh=;.*Max-Age=0/i.test(line))).toBe(true);
    const refusal = lines.find((line) => line.event === "request_refused");
    expect(refusal).toMatchObject({ level: "info", code: "ERR_REFRESH_INVALID" });
    expect(lines.find((line) => line.event === "refresh_refused")).toMatchObject({ code: "ERR_REFRESH_INVALID" });
  });

  it("an earlier session that could not be ended at a new sign-in logs the store's failure as its cause", async () => {
    const kv = createCloudflareKv(testEnv.SESSIONS, { clock: () => Date.now() });
    const who = { sub: "log-fields-1", email: "ada@example.com" };
    const first = await signInThroughProvider(who, { bindings: { SESSIONS: kv.binding() } });
    expect(first.status).toBe(302);
    const refresh = first.headers
      .getSetCookie()
      .find((line) => line.startsWith("__Host-refresh="))!
      .split(";")[0]!;
    // The store stops answering: the earlier session cannot be looked up, nor a new one saved.
    kv.setOutage(true);
    const { lines } = await logged(() =>
      signInThroughProvider(who, { bindings: { SESSIONS: kv.binding() }, cookie: refresh }),
    );
    const line = lines.find((each) => each.event === "replaced_session_not_revoked");
    expect(line).toMatchObject({ level: "warn", code: "ERR_SESSION_STORE_UNAVAILABLE" });
    expect(String(line?.cause)).toMatch(/503 Service Unavailable/);
    // No line names a reason in a field of another name.
    expect(lines.filter((each) => "reason" in each)).toEqual([]);
  });
});
