// The origin behind every worker in the benchmark: a tiny node:http server, run as its own
// child process so that it does not share an event loop (and stall) with the load generator.
//
// It answers 200 with a small body, except that a request under /app/ (the protected paths)
// without an X-Auth-User-Sub header gets 418: a gate that let a request through without an
// identity then shows up as a non-2xx response, which the benchmark counts and fails on.
// Started by bench/run.mjs with `fork`; it reports its port over IPC.
import { createServer } from "node:http";

const BODY = Buffer.from("hello from the origin\n");
const counts = { total: 0, withIdentity: 0, refused: 0 };

const server = createServer((req, res) => {
  counts.total++;
  const protectedPath = req.url.startsWith("/app/");
  const sub = req.headers["x-auth-user-sub"];
  if (sub) counts.withIdentity++;
  if (protectedPath && !sub) {
    counts.refused++;
    res.writeHead(418, { "content-type": "text/plain", "content-length": "12" });
    res.end("no identity\n");
    return;
  }
  res.writeHead(200, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(BODY.length),
    "cache-control": "max-age=60",
  });
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;

// If the benchmark dies, the IPC channel closes: go too, never outlive it.
process.on("disconnect", () => process.exit(0));
process.on("message", (message) => {
  if (message === "counts") process.send({ counts: { ...counts } });
  if (message === "stop") server.close(() => process.exit(0));
});

server.listen(0, "127.0.0.1", () => {
  process.send({ port: server.address().port });
});
