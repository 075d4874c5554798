import { failureFields, logEvent } from "../log";

/**
 * Close codes the worker sends when it ends a relayed socket. 4000-4999 are for applications
 * (RFC 6455 7.4.2); these mirror the HTTP statuses the same request would get now.
 * @see https://www.rfc-editor.org/rfc/rfc6455#section-7.4.2
 */
export const SOCKET_SESSION_ENDED = { code: 4401, reason: "session ended" } as const;
export const SOCKET_NOT_ADMITTED = { code: 4403, reason: "access denied" } as const;

const MIN_CHECK_GAP_MS = 1000;

/** What a check says: keep the socket open (until `untilMs` at the latest), or close it. */
export type SocketVerdict =
  { open: true; untilMs: number } | { open: false; close: typeof SOCKET_SESSION_ENDED | typeof SOCKET_NOT_ADMITTED };

/** How a relayed socket keeps checking whether it may stay open. */
export interface SocketWatch {
  /** Milliseconds between checks. */
  everyMs: number;
  /**
   * Whether the socket may stay open, asked once per `everyMs` (and at `untilMs`, the session's
   * own end, when that comes first). A check that throws (a store or directory outage) keeps the
   * socket open until the next one: an outage never signs anyone out.
   */
  check(): Promise<SocketVerdict>;
}

/**
 * A close code one peer sent, as one that may be sent on to the other: 1005 (no code), 1006
 * (dropped without a close frame) and 1015 (TLS) exist only in reports and may not be sent.
 * @see https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1
 */
export function sendableCloseCode(code: number): number {
  const sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  if (sendable) return code;
  // A close without a code is a normal close; a peer that vanished has gone away.
  return code === 1005 ? 1000 : 1001;
}

/** Closes a socket that may already be closing or closed (then there is nothing left to say). */
function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // Already closed by its peer: the close frame has been answered.
  }
}

/** Sends each message of `from` to `to`, and ends `to` the way `from` ended. */
function pump(from: WebSocket, to: WebSocket, ended: () => void): void {
  from.addEventListener("message", (event) => {
    try {
      to.send(event.data as string | ArrayBuffer);
    } catch {
      // `to` is closing: its close event ends the relay.
    }
  });
  from.addEventListener("close", (event) => {
    ended();
    closeQuietly(to, sendableCloseCode(event.code), event.reason);
    // Answer the peer's close frame (a no-op where the runtime already has).
    closeQuietly(from, sendableCloseCode(event.code), event.reason);
  });
  from.addEventListener("error", () => {
    ended();
    closeQuietly(to, 1011, "");
  });
}

/**
 * Relays a WebSocket the origin accepted (the 101 `response` as the client is to see it, with
 * the origin's socket in it) through the worker, both ways, so that the worker can end it: a
 * WebSocketPair whose one end goes to the client, the other end and the origin's socket
 * accepted here. The invocation lives as long as both sockets are open, and so does the timer
 * that asks `watch` at each interval. When the watch says no, both peers get the same close
 * code (4401 or 4403) and reason.
 */
export function relayWebSocket(response: Response, watch: SocketWatch): Response {
  const origin = response.webSocket!;
  const [client, relay] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  // Binary messages pass on as they came: a Blob (the default) would be one more copy each.
  relay.binaryType = origin.binaryType = "arraybuffer";
  relay.accept();
  origin.accept();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let open = true;
  const ended = () => {
    open = false;
    clearTimeout(timer);
  };
  pump(relay, origin, ended);
  pump(origin, relay, ended);

  // At least a second apart: a check that lands just before the session's end (timers are not
  // exact) must not turn into a burst of store reads until the end is reached.
  const schedule = (untilMs: number) => {
    if (open)
      timer = setTimeout(
        () => void checkNow(),
        Math.max(MIN_CHECK_GAP_MS, Math.min(watch.everyMs, untilMs - Date.now())),
      );
  };
  const checkNow = async () => {
    let verdict: SocketVerdict | undefined;
    try {
      verdict = await watch.check();
    } catch (error) {
      logEvent("warn", "websocket_check_skipped", failureFields(error));
    }
    if (!open) return;
    if (verdict && !verdict.open) {
      ended();
      logEvent("info", "websocket_closed", { closeCode: verdict.close.code });
      closeQuietly(relay, verdict.close.code, verdict.close.reason);
      closeQuietly(origin, verdict.close.code, verdict.close.reason);
      return;
    }
    schedule(verdict?.untilMs ?? Infinity);
  };
  schedule(Infinity);
  const { statusText, headers } = response;
  return new Response(null, { status: 101, statusText, headers, webSocket: client });
}
