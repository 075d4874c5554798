import { afterEach, describe, expect, it } from "vitest";
import { callWith, echoOriginWorker, signedIn } from "../../support/workerd/helpers";

/**
 * A WebSocket upgrade is a request like any other to the header stripping: a client's identity
 * headers (ours in any spelling, other proxies') never reach the origin with it, on a public path
 * without a session (passed straight through) nor on a protected one with a session (relayed),
 * where the origin sees only the identity the worker sets. The origin is the echo origin as a
 * Worker (the ORIGIN service binding), which speaks WebSocket and answers `headers` with the
 * upgrade request's headers as it received them.
 */
const ORIGIN = { ORIGIN: echoOriginWorker, ORIGIN_URL: "", ORIGIN_AUDIENCE: "urn:example:echo-origin" };

const FORGED: Record<string, string> = {
  X_Auth_User_Email: "mallory@example.com",
  "X-Auth-User-Sub": "forged-sub",
  "X-Auth-User-Groups": "admins@example.com",
  "X-Auth-Workload": "ci-main",
  "X-Auth-Assertion": "eyJforged",
  "X-Forwarded-User": "mallory",
  "Cf-Access-Authenticated-User-Email": "mallory@example.com",
  Remote_User: "mallory",
};
const FORGED_VALUES = /mallory|forged|admins@|ci-main/;

const opened: WebSocket[] = [];
afterEach(() => {
  for (const socket of opened.splice(0)) socket.close(1000);
});

/** Opens a socket through the worker and returns the headers its upgrade request reached the origin with. */
async function headersSeenOnUpgrade(path: string, headers: Record<string, string>): Promise<Record<string, string>> {
  const response = await callWith(ORIGIN, path, {
    headers: { ...headers, upgrade: "websocket", connection: "Upgrade", origin: "https://app.test" },
  });
  expect(response.status).toBe(101);
  const socket = response.webSocket!;
  opened.push(socket);
  const answer = new Promise<string>((resolve) =>
    socket.addEventListener("message", (event) => resolve(String(event.data)), { once: true }),
  );
  socket.accept();
  socket.send("headers");
  return JSON.parse(await answer) as Record<string, string>;
}

const forgedLeft = (seen: Record<string, string>) =>
  Object.entries(seen)
    .filter(([, value]) => FORGED_VALUES.test(value))
    .map(([name]) => name);

describe("identity headers a client sends with a WebSocket upgrade", () => {
  it("never reach the origin on a public path, without a session", async () => {
    const seen = await headersSeenOnUpgrade("/public/ws", { ...FORGED, "X-Client-Note": "kept" });
    expect(forgedLeft(seen)).toEqual([]);
    expect(Object.keys(seen).filter((name) => /^x[-_]auth[-_]/.test(name))).toEqual([]);
    // The handshake itself passes (control): the stripping is not the whole request going missing.
    expect(seen.upgrade).toBe("websocket");
    expect(seen["x-client-note"]).toBe("kept");
  });

  it("never reach the origin on a protected path: it sees only the identity the worker set", async () => {
    const { cookie } = await signedIn();
    const seen = await headersSeenOnUpgrade("/ws", { cookie, ...FORGED });
    expect(forgedLeft(seen)).toEqual([]);
    expect(seen["x-auth-user-email"]).toBe("ada@example.com");
    expect(seen["x-auth-user-sub"]).toBe("1001");
    expect(seen["x-auth-user-groups"]).toBeUndefined();
    expect(seen["x-auth-workload"]).toBeUndefined();
    expect(seen["x-forwarded-user"]).toBeUndefined();
    expect(seen["cf-access-authenticated-user-email"]).toBeUndefined();
  });
});
