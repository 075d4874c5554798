// The part of the `ws` package (a dev dependency without bundled types) the e2e tests use.
declare module "ws" {
  import type { EventEmitter } from "node:events";

  export default class WebSocket extends EventEmitter {
    static readonly OPEN: 1;
    constructor(url: string, protocols: string[], options?: { headers?: Record<string, string> });
    readonly readyState: 0 | 1 | 2 | 3;
    readonly protocol: string;
    send(data: string | Buffer): void;
    close(code?: number, reason?: string): void;
    on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: "close", listener: (code: number, reason: Buffer) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    once(event: string, listener: (...args: unknown[]) => void): this;
  }
}
