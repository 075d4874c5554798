import { afterEach, describe, expect, it, vi } from "vitest";
import { signInThroughProvider, type ProviderClaims } from "../../support/workerd/provider-stub";

const nowSeconds = () => Math.floor(Date.now() / 1000);
const person = { sub: "2001", email: "ada@example.com" };

/** The `request_refused` log line of a callback, parsed. */
async function refusalLogged(claims: ProviderClaims): Promise<{ status: number; line?: Record<string, unknown> }> {
  const warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
  const infos = vi.spyOn(console, "log").mockImplementation(() => {});
  const response = await signInThroughProvider(claims);
  const lines = [...warnings.mock.calls, ...infos.mock.calls].map(
    (args) => JSON.parse(String(args[0])) as Record<string, unknown>,
  );
  return { status: response.status, line: lines.find((line) => line.event === "request_refused") };
}

describe("an ID token the callback refuses says why in the log, with a code", () => {
  afterEach(() => vi.restoreAllMocks());

  it.each<[string, Record<string, unknown>, string]>([
    [
      "a second audience",
      { aud: ["unit-client", "someone-else"], azp: "unit-client" },
      "aud is not exactly our client id",
    ],
    ["another party's azp", { azp: "someone-else" }, "azp is not our client id"],
    ["another sign-in's nonce", { nonce: "not-this-sign-in" }, "nonce is not this sign-in's"],
    ["an iat an hour ahead", { iat: nowSeconds() + 3600 }, "iat is in the future"],
  ])("%s: 400, ERR_ID_TOKEN_INVALID with the claim in its detail", async (_name, claims, detail) => {
    const { status, line } = await refusalLogged({ ...person, ...claims });
    expect(status).toBe(400);
    expect(line).toMatchObject({ level: "warn", code: "ERR_ID_TOKEN_INVALID", detail });
    // The refusal is ours, not a library's: there is nothing underneath it to describe.
    expect(line).not.toHaveProperty("cause");
  });

  it("signs in with the same claims untouched (so each refusal above is its one change's doing)", async () => {
    const { status, line } = await refusalLogged({ ...person, azp: "unit-client" });
    expect(status).toBe(302);
    expect(line).toBeUndefined();
  });
});
