import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

/**
 * ACCESS_TOKEN_TTL is the interval at which a relayed socket's session is checked, so a short
 * one here makes the checks come every 2 s, in real time. `/live/*` keeps the old pass-through.
 */
const CHECK_SECONDS = 2;
const POLICY = [{ path: "/live/*", allow: { domains: ["*"] }, websocket: "pass-through" }];
/** Seconds a session lasts in the last test's stack (REFRESH_TOKEN_TTL). */
const REFRESH_SECONDS = 6;
let stack: Stack;
/** The last test's stack, with its own worker. */
let shortStack: Promise<Stack>;
/**
 * The last test's socket, from its sign-in to its close: the tests before it spend most of their
 * time waiting for the worker's checks, and this one waits for its session's end, so it runs beside
 * them, from the start, and its test asserts what it saw. The times are taken where they happen.
 */
let expiring: Promise<{
  browser: Browser;
  signedInAtMs: number;
  who: string;
  closed: { code: number; reason: string; atMs: number };
}>;
beforeAll(async () => {
  shortStack = startStack({
    vars: { ACCESS_TOKEN_TTL: String(CHECK_SECONDS), REFRESH_TOKEN_TTL: String(REFRESH_SECONDS) },
  });
  expiring = shortStack.then(async (short) => {
    const browser = new Browser();
    await browser.signIn(`${short.workerUrl}/`, "expiring@example.com");
    const signedInAtMs = Date.now();
    const socket = await connect(short.workerUrl, "/ws", browser.jar.header(short.workerUrl));
    const who = await socket.ask("who");
    return { browser, signedInAtMs, who, closed: await socket.closed };
  });
  // Reported by the test that awaits them, not as unhandled rejections first.
  shortStack.catch(() => {});
  expiring.catch(() => {});
  stack = await startStack({
    vars: { ACCESS_TOKEN_TTL: String(CHECK_SECONDS), ACCESS_POLICY: JSON.stringify(POLICY) },
  });
});
afterAll(async () => {
  await Promise.all([
    stack?.close(),
    shortStack?.then(
      (short) => short.close(),
      () => {},
    ),
  ]);
});

/** A sign-out from the worker's own page, as the browser posts it. */
const signOut = (browser: Browser) =>
  browser.request(`${stack.workerUrl}/auth/logout`, { method: "POST", headers: { origin: stack.workerUrl } });

/** The origin's record of a close of its socket at `url`: it hears of one a moment later, so polled. */
const originHeard = (url: string, code: number, reason: string) =>
  vi.waitFor(() =>
    expect(stack.originSocketCloses.filter((close) => close.url === url)).toEqual([{ url, code, reason }]),
  );

/**
 * Waits until a relayed socket opened now has had its first check, by opening one for a session
 * that is signed out at once and waiting for its 4401: sockets opened earlier were checked first.
 * The checks run on the worker's real clock; this waits for what they did, not for a guess.
 */
async function oneCheckLater(): Promise<void> {
  const other = new Browser();
  await other.signIn(`${stack.workerUrl}/`, "clock@example.com");
  const probe = await connect(stack.workerUrl, "/probe", other.jar.header(stack.workerUrl));
  await signOut(other);
  expect((await probe.closed).code).toBe(4401);
}

/** A WebSocket client (the `ws` package) on the worker, with a browser's cookies and Origin. */
async function connect(workerUrl: string, path: string, cookie: string, protocols: string[] = []) {
  const socket = new WebSocket(`${workerUrl.replace(/^http/, "ws")}${path}`, protocols, {
    headers: { Cookie: cookie, Origin: workerUrl },
  });
  const inbox: string[] = [];
  const waiting: ((message: string) => void)[] = [];
  socket.on("message", (data, isBinary) => {
    const text = isBinary ? `bytes:${[...data].join(",")}` : data.toString();
    const next = waiting.shift();
    if (next) next(text);
    else inbox.push(text);
  });
  const closed = new Promise<{ code: number; reason: string; atMs: number }>((resolve) =>
    socket.on("close", (code, reason) => resolve({ code, reason: reason.toString(), atMs: Date.now() })),
  );
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return {
    closed,
    protocol: socket.protocol,
    isOpen: () => socket.readyState === WebSocket.OPEN,
    ask(message: string | Buffer) {
      const answer = new Promise<string>((resolve) =>
        inbox.length > 0 ? resolve(inbox.shift()!) : waiting.push(resolve),
      );
      socket.send(message);
      return answer;
    },
    close: (code = 1000, reason = "") => socket.close(code, reason),
  };
}

/** A WebSocket handshake over raw HTTP: resolves to the status the client saw (101 or other). */
function handshake(path: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(stack.workerUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      hostname,
      port,
      path,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
        ...headers,
      },
    });
    request.on("upgrade", (response, socket) => {
      socket.destroy();
      resolve(response.statusCode!);
    });
    request.on("response", (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    request.on("error", reject);
    request.end();
  });
}

describe("WebSockets through the gate", () => {
  it("relays messages both ways, and closes the socket with 4401 within one check of a logout from the same session", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "relayed@example.com");
    const socket = await connect(stack.workerUrl, "/chat", browser.jar.header(stack.workerUrl));
    expect(await socket.ask("who")).toBe("relayed@example.com");
    expect(await socket.ask("hello")).toBe("hello");
    expect(await socket.ask(Buffer.from([1, 2, 250]))).toBe("bytes:1,2,250");
    // One check passes with the session live: the socket stays.
    await oneCheckLater();
    expect(socket.isOpen()).toBe(true);
    const logout = await signOut(browser);
    expect(logout.status).toBe(303);
    const loggedOutAtMs = Date.now();
    const closed = await socket.closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4401, reason: "session ended" });
    // Within one interval (plus the time a check takes on a loaded machine).
    expect(closed.atMs - loggedOutAtMs).toBeLessThan(CHECK_SECONDS * 1000 + 1500);
    await originHeard("/chat", 4401, "session ended");
  });

  it("passes the subprotocol the origin chose, and each side's close code and reason on to the other", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "closing@example.com");
    const socket = await connect(stack.workerUrl, "/origin-closes", browser.jar.header(stack.workerUrl), [
      "chat.v2",
      "chat.v1",
    ]);
    expect(socket.protocol).toBe("chat.v2");
    expect(await socket.ask("ping")).toBe("ping");
    void socket.ask("close 4000");
    const closed = await socket.closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4000, reason: "origin closed" });

    const leaving = await connect(stack.workerUrl, "/client-closes", browser.jar.header(stack.workerUrl));
    expect(await leaving.ask("ping")).toBe("ping");
    leaving.close(3001, "tab closed");
    await leaving.closed;
    await originHeard("/client-closes", 3001, "tab closed");
  });

  it('keeps the old pass-through on a rule that says "websocket": "pass-through": the socket outlives the logout', async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "streamer@example.com");
    const socket = await connect(stack.workerUrl, "/live/feed", browser.jar.header(stack.workerUrl));
    expect(await socket.ask("who")).toBe("streamer@example.com");
    const logout = await signOut(browser);
    expect(logout.status).toBe(303);
    // A relayed socket opened after the logout is checked (and closed) after it: still no close here.
    await oneCheckLater();
    expect(socket.isOpen()).toBe(true);
    expect(await socket.ask("still here")).toBe("still here");
    socket.close();
  });

  it("proxies an authenticated upgrade with the identity headers, refuses anonymous (401) and cross-site (403) ones", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "socket@example.com");
    const cookie = browser.jar.header(stack.workerUrl);

    const before = stack.originRequests.length;
    expect(await handshake("/ws", { Cookie: cookie, Origin: stack.workerUrl })).toBe(101);
    const received = stack.originRequests.slice(before).find((request) => request.url === "/ws")!;
    expect(received.headers["x-auth-user-email"]).toBe("socket@example.com");
    expect(received.headers["x-auth-assertion"]).toBeTruthy();
    expect(received.headers.cookie ?? "").not.toContain("__Host-");

    const count = stack.originRequests.length;
    expect(await handshake("/ws", { Origin: stack.workerUrl })).toBe(401);
    expect(await handshake("/ws", { Cookie: cookie, Origin: "https://evil.example" })).toBe(403);
    expect(stack.originRequests.length).toBe(count);
  });
});

describe("a relayed WebSocket whose session reaches its end", () => {
  let short: Stack;
  beforeAll(async () => {
    short = await shortStack;
  });

  it("is closed with 4401 when the refresh family expires, and not before; its refresh cookie is then refused", async () => {
    const { browser, signedInAtMs, who, closed } = await expiring;
    expect(who).toBe("expiring@example.com");
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4401, reason: "session ended" });
    // The family began before signedInAtMs, so it ended before signedInAtMs + REFRESH_SECONDS.
    expect(closed.atMs - signedInAtMs).toBeLessThan(REFRESH_SECONDS * 1000 + 1500);
    expect(closed.atMs - signedInAtMs).toBeGreaterThan(REFRESH_SECONDS * 1000 - 2500);

    // Past REFRESH_TOKEN_TTL over HTTP too: the refresh cookie is refused and both cookies cleared.
    const refresh = browser.jar.get(short.workerUrl, "__Host-refresh")!;
    const response = await fetch(`${short.workerUrl}/api/x`, { headers: { cookie: `__Host-refresh=${refresh}` } });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^__Host-access=; Max-Age=0/),
        expect.stringMatching(/^__Host-refresh=; Max-Age=0/),
      ]),
    );
  });
});
