import { describe, expect, it } from "vitest";
import { AuthError, type AuthErrorCode } from "../../../src/errors";
import { errorResponse, internalErrorResponse } from "../../../src/http/error-response";

/**
 * A refusal tells a person's browser and an API call the same thing: the JSON `message` is the
 * page's lead sentence and its next step, so the two cannot drift apart.
 */
const audience = { authPrefix: "/auth", nowMs: Date.UTC(2026, 11, 7, 15, 0, 0) };

/** The page's text as a reader sees it, tags removed and the shell's escapes undone. */
async function pageText(response: Response): Promise<{ lead: string; text: string }> {
  const html = await response.text();
  const plain = (s: string) =>
    s.replace(/<[^>]+>/g, "").replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(+c));
  const main = html.slice(html.indexOf("<main"), html.indexOf("</main>"));
  return { lead: plain(/<p class="lead">(.*?)<\/p>/.exec(main)![1]!), text: plain(main).replace(/\s+/g, " ") };
}

async function json(response: Response): Promise<{ error: string; message: string }> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return (await response.json()) as { error: string; message: string };
}

describe("errorResponse", () => {
  it.each<[AuthErrorCode, string]>([
    ["ERR_STATE_MISMATCH", "invalid_request"],
    ["ERR_NO_SESSION", "unauthorized"],
    ["ERR_ACCESS_DENIED", "forbidden"],
    ["ERR_ACCOUNT_NOT_ALLOWED", "forbidden"],
    ["ERR_CROSS_SITE", "forbidden"],
    ["ERR_NOT_FOUND", "not_found"],
    ["ERR_RATE_LIMITED", "rate_limited"],
    ["ERR_PROVIDER_UNAVAILABLE", "bad_gateway"],
    ["ERR_ORIGIN_UNAVAILABLE", "bad_gateway"],
    ["ERR_SESSION_STORE_UNAVAILABLE", "temporarily_unavailable"],
    ["ERR_DIRECTORY_UNAVAILABLE", "temporarily_unavailable"],
  ])("answers an API call's %s with {error: %s, message} that says what the page says", async (code, name) => {
    const error = new AuthError(code, { refusedEmail: "ada@example.com" });
    const page = await pageText(errorResponse(error, { ...audience, wantsPage: true }));
    const body = await json(errorResponse(error, { ...audience, wantsPage: false }));
    expect(Object.keys(body)).toEqual(["error", "message"]);
    expect(body.error).toBe(name);
    expect(body.message.startsWith(page.lead)).toBe(true);
    // The rest of the message (what to do next) is on the page too, word for word.
    expect(page.text).toContain(body.message.slice(page.lead.length).trim());
    // The JSON never carries the e-mail the page shows.
    expect(body.message).not.toContain("ada@example.com");
  });

  it.each<AuthErrorCode>(["ERR_SESSION_STORE_UNAVAILABLE", "ERR_SESSION_STORE_QUOTA"])(
    "%s while a sign-in completes: says the sign-in was not saved, never that the person is still signed in",
    async (code) => {
      const error = new AuthError(code);
      const signingIn = { ...audience, retryHref: "/auth/login" };
      const page = await pageText(errorResponse(error, { ...signingIn, wantsPage: true }));
      expect(page.text).not.toMatch(/still signed in/i);
      expect(page.lead).toMatch(/sign-in could not be saved/i);
      expect(page.text).toContain("Try again");
      const body = await json(errorResponse(error, { ...signingIn, wantsPage: false }));
      expect(body.message.startsWith(page.lead)).toBe(true);
      // Anywhere else (a refresh, a sign-out) the cookies are kept, and the page says so.
      const elsewhere = await pageText(errorResponse(error, { ...audience, wantsPage: true }));
      expect(elsewhere.text).toMatch(/still signed in/i);
    },
  );

  it.each<[AuthErrorCode, number]>([
    ["ERR_SESSION_STORE_QUOTA", 503],
    ["ERR_DAILY_SHARE_SPENT", 429],
  ])("%s lasts the UTC day: Retry-After counts the seconds to 00:00 UTC", (code, status) => {
    const response = errorResponse(new AuthError(code), { ...audience, wantsPage: false });
    expect(response.status).toBe(status);
    // audience.nowMs is 15:00:00 UTC: nine hours to go.
    expect(response.headers.get("retry-after")).toBe(String(9 * 3_600));
    const lastSecond = errorResponse(new AuthError(code), {
      ...audience,
      nowMs: Date.UTC(2026, 11, 7, 23, 59, 59, 999),
      wantsPage: false,
    });
    expect(lastSecond.headers.get("retry-after")).toBe("1");
  });

  it.each<[AuthErrorCode, string]>([
    ["ERR_SESSION_STORE_UNAVAILABLE", "5"],
    ["ERR_RATE_LIMITED", "10"],
  ])("%s passes in seconds: Retry-After %s", (code, seconds) => {
    const response = errorResponse(new AuthError(code), { ...audience, wantsPage: false });
    expect(response.headers.get("retry-after")).toBe(seconds);
  });

  it("tells a workload what to fix, not to sign in, with RFC 6750's invalid_token", async () => {
    const response = errorResponse(new AuthError("ERR_WORKLOAD_TOKEN_INVALID"), { ...audience, wantsPage: false });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="edge-auth", error="invalid_token"');
    const body = await json(response);
    expect(body.error).toBe("invalid_token");
    expect(body.message).toMatch(/bearer token/i);
    expect(body.message).not.toMatch(/sign|account/i);
  });

  it("answers a bug with a generic 500, as a page or as JSON", async () => {
    const page = await pageText(internalErrorResponse(true));
    const response = internalErrorResponse(false);
    expect(response.status).toBe(500);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await json(response);
    expect(body.error).toBe("server_error");
    expect(body.message.startsWith(page.lead)).toBe(true);
  });
});
