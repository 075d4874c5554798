import { describe, expect, it } from "vitest";
import { parseCookies } from "../../../src/http/cookies";
import { upstreamHeaders, type UpstreamFacts } from "../../../src/proxy/request-headers";

/**
 * A WebSocket upgrade reaches the origin with `Connection: Upgrade` and
 * `Upgrade: websocket`, never the client's Connection list: a token the client names there
 * (`keep-alive`, `close`, `X-Auth-User-Sub`, any header it wants the origin's proxy to drop)
 * is not passed on, and every header it names is removed as hop-by-hop.
 */
function facts(webSocketUpgrade: boolean): UpstreamFacts {
  return {
    requestId: "r-1",
    publicHost: "app.test",
    publicProto: "https",
    cookies: parseCookies(null),
    bearer: undefined,
    webSocketUpgrade,
    clientIp: "203.0.113.7",
  };
}

const HANDSHAKE = {
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
  "Sec-WebSocket-Protocol": "chat",
};

describe("upstreamHeaders for a WebSocket upgrade", () => {
  it.each([
    "Upgrade",
    "keep-alive, Upgrade",
    "Upgrade, close",
    "upgrade, X-Secret, Keep-Alive",
    "Upgrade, X-Request-Id, X-Forwarded-For",
  ])("sends Connection: Upgrade for the client's %j", (connection) => {
    const headers = upstreamHeaders(
      new Headers({
        Connection: connection,
        Upgrade: "websocket",
        "X-Secret": "1",
        "Keep-Alive": "timeout=5",
        ...HANDSHAKE,
      }),
      facts(true),
    );
    expect(headers.get("connection")).toBe("Upgrade");
    expect(headers.get("upgrade")).toBe("websocket");
    // A header the client's Connection names is hop-by-hop: gone. Keep-Alive always is.
    expect(headers.get("x-secret")).toBe(/x-secret/i.test(connection) ? null : "1");
    expect(headers.get("keep-alive")).toBeNull();
    for (const [name, value] of Object.entries(HANDSHAKE)) expect(headers.get(name)).toBe(value);
    // Headers the worker sets itself are set even when the client's Connection named them.
    expect(headers.get("x-request-id")).toBe("r-1");
    expect(headers.get("x-forwarded-for")).toBe("203.0.113.7");
  });

  it("spells the upgrade token as the origin expects, whatever case the client used", () => {
    const headers = upstreamHeaders(new Headers({ Connection: "UPGRADE", Upgrade: "WebSocket" }), facts(true));
    expect(headers.get("connection")).toBe("Upgrade");
    expect(headers.get("upgrade")).toBe("websocket");
  });

  it("drops Connection and Upgrade from a request that is not a WebSocket upgrade", () => {
    for (const upgrade of ["h2c", "TLS/1.2"]) {
      const headers = upstreamHeaders(
        new Headers({
          Connection: "Upgrade, HTTP2-Settings",
          Upgrade: upgrade,
          "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA",
        }),
        facts(false),
      );
      expect(headers.get("connection")).toBeNull();
      expect(headers.get("upgrade")).toBeNull();
      expect(headers.get("http2-settings")).toBeNull();
    }
  });
});
