// Shared by the demo servers: listen and say where; close, sockets included.
import { createServer } from "node:net";

/**
 * Starts `server` listening on host:port (port 0 = any free port) and resolves to its base URL,
 * `http://host:port`, or rejects with the listen error (EADDRINUSE, ...).
 * @param {import("node:http").Server} server
 * @param {number} port
 * @param {string} host
 * @returns {Promise<string>}
 */
export async function listen(server, port, host) {
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return `http://${address.address.includes(":") ? `[${address.address}]` : address.address}:${address.port}`;
}

/**
 * Whether `port` on `host` can be listened on right now: undefined if so, else the error's code
 * (EADDRINUSE, EACCES, ...). A check, not a reservation: another program may take it just after.
 * @param {number} port
 * @param {string} host
 * @returns {Promise<string | undefined>}
 */
export function portProblem(port, host) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error) => resolve(error.code ?? "EUNKNOWN"));
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
}

/**
 * Stops `server` and drops its open connections (keep-alive clients would hold it open).
 * @param {import("node:http").Server} server
 * @returns {Promise<void>}
 */
export function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
