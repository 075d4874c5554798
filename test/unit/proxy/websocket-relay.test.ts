import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Identity } from "../../../src/identity";
import { sendableCloseCode } from "../../../src/proxy/websocket-relay";
import { createDurableObjectSessionStore } from "../../../src/session/durable-object-store";
import {
  accessTokenFor,
  callWith,
  cloudflareKv,
  echoOriginWorker,
  serviceAccountKey,
  signedIn,
  testConfig,
} from "../../support/workerd/helpers";

/**
 * A WebSocket on a protected path is relayed through the worker and ends with its session
 * (docs/websockets.md): 4401 once the session is signed out, revoked or over, 4403 once its rule
 * no longer admits the person. The origin is the echo origin as a Worker (the ORIGIN service
 * binding), which speaks WebSocket; the clock and the relay's timer are the test's (fake timers).
 */
const ORIGIN = { ORIGIN: echoOriginWorker, ORIGIN_URL: "", ORIGIN_AUDIENCE: "urn:example:echo-origin" };
const ACCESS_TTL_MS = 900_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
});
/** Every socket a test opened: closed after it, so no relay outlives its test. */
const opened: WebSocket[] = [];
afterEach(() => {
  for (const socket of opened.splice(0)) {
    try {
      socket.close(1000);
    } catch {
      // Already closed by the test.
    }
  }
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** `credentials`: a Cookie header, or `{ bearer }` for an access token in Authorization. */
async function open(credentials: string | { bearer: string }, path = "/ws", overrides: Record<string, unknown> = {}) {
  const sent: Record<string, string> =
    typeof credentials === "string" ? { cookie: credentials } : { authorization: `Bearer ${credentials.bearer}` };
  const response = await callWith({ ...ORIGIN, ...overrides }, path, {
    headers: { ...sent, upgrade: "websocket", connection: "Upgrade", origin: "https://app.test" },
  });
  expect(response.status).toBe(101);
  const socket = response.webSocket!;
  opened.push(socket);
  const messages: string[] = [];
  const waiting: ((message: string) => void)[] = [];
  let closed: { code: number; reason: string } | undefined;
  const closing = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.addEventListener("close", (event) => resolve((closed = { code: event.code, reason: event.reason })));
  });
  socket.addEventListener("message", (event) => {
    const text =
      typeof event.data === "string" ? event.data : `bytes:${[...new Uint8Array(event.data as ArrayBuffer)].join(",")}`;
    const next = waiting.shift();
    if (next) next(text);
    else messages.push(text);
  });
  socket.binaryType = "arraybuffer";
  socket.accept();
  return {
    socket,
    closing,
    isOpen: () => closed === undefined,
    /** Sends a message and waits for the echo's answer. */
    ask(message: string | ArrayBuffer) {
      const answer = new Promise<string>((resolve) =>
        messages.length > 0 ? resolve(messages.shift()!) : waiting.push(resolve),
      );
      socket.send(message);
      return answer;
    },
  };
}

/** Lets the relay's timer fire and its store reads (real I/O) finish. */
async function pass(ms: number) {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 20; i++) await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
  await vi.advanceTimersByTimeAsync(0);
}

describe("a relayed WebSocket", () => {
  it("carries text and binary both ways with the identity headers, and passes the origin's close code on", async () => {
    const { cookie } = await signedIn();
    const socket = await open(cookie);
    expect(await socket.ask("who")).toBe("ada@example.com");
    expect(await socket.ask("hello")).toBe("hello");
    expect(await socket.ask(new Uint8Array([1, 2, 250]).buffer)).toBe("bytes:1,2,250");
    socket.socket.send("close 4000");
    expect(await socket.closing).toEqual({ code: 4000, reason: "origin closed" });
  });

  it("closes with 4401 at the first check after the session is signed out, not before", async () => {
    const { cookie, store, issued } = await signedIn();
    const socket = await open(cookie);
    await pass(ACCESS_TTL_MS);
    expect(socket.isOpen()).toBe(true);
    expect(await socket.ask("still here")).toBe("still here");
    await store.revoke(issued, Date.now(), "logout");
    await pass(ACCESS_TTL_MS - 1000);
    expect(socket.isOpen()).toBe(true);
    await pass(1000);
    expect(await socket.closing).toEqual({ code: 4401, reason: "session ended" });
  });

  it("opened with the access token as a bearer token (no cookie), is watched all the same", async () => {
    const { access, store, issued } = await signedIn();
    const socket = await open({ bearer: access });
    expect(await socket.ask("who")).toBe("ada@example.com");
    await store.revoke(issued, Date.now(), "logout");
    await pass(ACCESS_TTL_MS);
    expect(await socket.closing).toEqual({ code: 4401, reason: "session ended" });
  });

  it("closes with 4401 when the session reaches its end, between two checks", async () => {
    const { config, store } = await signedIn();
    const issued = await store.create({ provider: "default", sub: "1001", email: "ada@example.com" }, Date.now(), 1000);
    const access = await accessTokenFor(config, issued.identity, issued.familyId, Math.floor(Date.now() / 1000));
    const socket = await open(`__Host-access=${access}`);
    await pass(ACCESS_TTL_MS);
    expect(socket.isOpen()).toBe(true);
    await pass(100_000 - 1000);
    expect(socket.isOpen()).toBe(true);
    await pass(1000);
    expect(await socket.closing).toEqual({ code: 4401, reason: "session ended" });
  });

  it("stays open through a store outage (an outage signs nobody out), and closes at the next check that can read", async () => {
    const { cookie, store, issued } = await signedIn();
    const socket = await open(cookie);
    await store.revoke(issued, Date.now(), "logout");
    cloudflareKv.setOutage(true);
    try {
      await pass(ACCESS_TTL_MS);
      expect(socket.isOpen()).toBe(true);
    } finally {
      cloudflareKv.setOutage(false);
    }
    await pass(ACCESS_TTL_MS);
    expect(await socket.closing).toEqual({ code: 4401, reason: "session ended" });
  });

  it("on the Durable Object store, is checked every 60 s: closed with 4401 within a minute of a revocation", async () => {
    const config = await testConfig();
    const store = createDurableObjectSessionStore(env.SESSION_FAMILIES);
    const person: Identity = { provider: "default", sub: `do-socket-${Date.now()}`, email: "ada@example.com" };
    const issued = await store.create(person, Date.now(), config.refreshTokenTtlSeconds);
    const access = await accessTokenFor(config, person, issued.familyId, Math.floor(Date.now() / 1000));
    const socket = await open(`__Host-access=${access}`, "/ws", { SESSION_STORE: "durable-object" });
    await pass(60_000);
    expect(socket.isOpen()).toBe(true);
    await store.revoke(issued, Date.now(), "logout");
    await pass(60_000);
    expect(await socket.closing).toEqual({ code: 4401, reason: "session ended" });
  });

  it("closes with 4403 once the person's groups, looked up again, no longer admit them on its path", async () => {
    const members = new Set(["ada@example.com"]);
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = new URL(new Request(input, init).url);
      if (url.href === "https://oauth2.googleapis.com/token")
        return Response.json({ access_token: "directory-token", expires_in: 3600, token_type: "Bearer" });
      const match = /^\/admin\/directory\/v1\/groups\/team%40example\.org\/hasMember\/([^/]+)$/.exec(url.pathname);
      if (match) return Response.json({ isMember: members.has(decodeURIComponent(match[1]!)) });
      return new Response("unexpected", { status: 500 });
    });
    const groups = {
      ACCESS_POLICY: JSON.stringify([{ path: "/team/*", allow: { groups: ["team@example.org"] } }]),
      GOOGLE_GROUPS_CREDENTIALS: await serviceAccountKey(),
    };
    const { config, store } = await signedIn();
    const person: Identity = {
      provider: "default",
      sub: "1001",
      email: "ada@example.com",
      groups: ["team@example.org"],
    };
    const issued = await store.create(person, Date.now(), config.refreshTokenTtlSeconds);
    const access = await accessTokenFor(config, person, issued.familyId, Math.floor(Date.now() / 1000));
    const socket = await open(`__Host-access=${access}`, "/team/ws", groups);
    await pass(ACCESS_TTL_MS);
    expect(socket.isOpen()).toBe(true);
    members.delete("ada@example.com");
    await pass(ACCESS_TTL_MS);
    expect(await socket.closing).toEqual({ code: 4403, reason: "access denied" });
  });

  it("costs, idle at the defaults on KV, 4 checks an hour: 3 KV reads each (the family past the isolate's cache)", async () => {
    const { cookie } = await signedIn();
    const socket = await open(cookie);
    const readsBefore = cloudflareKv.stats().reads;
    await pass(ACCESS_TTL_MS - 1);
    expect(cloudflareKv.stats().reads).toBe(readsBefore);
    await pass(1);
    expect(cloudflareKv.stats().reads).toBe(readsBefore + 3);
    await pass(3 * ACCESS_TTL_MS);
    expect(cloudflareKv.stats().reads).toBe(readsBefore + 4 * 3);
    expect(vi.getTimerCount()).toBe(1);
    await pass(4 * ACCESS_TTL_MS);
    expect(cloudflareKv.stats().reads).toBe(readsBefore + 8 * 3);
    expect(socket.isOpen()).toBe(true);
  });

  it('is passed straight through where its rule says "websocket": "pass-through": it outlives the session', async () => {
    const policy = {
      ACCESS_POLICY: JSON.stringify([
        { path: "/live/*", allow: { emails: ["ada@example.com"] }, websocket: "pass-through" },
      ]),
    };
    const { cookie, store, issued } = await signedIn();
    const passed = await open(cookie, "/live/ws", policy);
    const relayed = await open(cookie, "/other/ws", policy);
    await store.revoke(issued, Date.now(), "logout");
    await pass(2 * ACCESS_TTL_MS);
    expect(await relayed.closing).toEqual({ code: 4401, reason: "session ended" });
    expect(passed.isOpen()).toBe(true);
    expect(await passed.ask("who")).toBe("ada@example.com");
  });
});

describe("a close code passed from one peer to the other", () => {
  it("is kept when it may be sent, and replaced by 1000 (no code) or 1001 (gone) when it only reports", () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4401, 4999])
      expect(sendableCloseCode(code)).toBe(code);
    expect(sendableCloseCode(1005)).toBe(1000);
    for (const code of [1004, 1006, 1015, 999, 2000, 5000]) expect(sendableCloseCode(code)).toBe(1001);
  });
});
