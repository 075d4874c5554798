import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

/** A WebSocket handshake over raw HTTP: resolves to the status the client saw (101 or other). */
function handshake(path: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(stack.workerUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      hostname,
      port,
      path,
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": randomBytes(16).toString("base64"), ...headers },
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
