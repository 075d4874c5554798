// Load generation: autocannon, driven from this process, closed-loop with a fixed number of
// keep-alive connections for a fixed time per round.
//
// Why autocannon: on 2 cores the load generator competes with workerd and the origin for CPU,
// so it must be cheap per request. autocannon writes pre-built request buffers on raw sockets
// and parses responses with llhttp, several times cheaper than a loop of http.request() calls.
// Every scenario goes through the same per-request hook (setupRequest, which picks the cookie),
// so the generator's own cost is the same whichever scenario runs.
// Latency: autocannon's histogram keeps whole milliseconds, too coarse for sub-millisecond
// answers, so every response's time (a float, from process.hrtime) is recorded here instead.
// With a closed loop, latency is mostly queueing: p50 is about connections / throughput.
import autocannon from "autocannon";

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/**
 * One round against `url` + `path`. `nextCookie()` gives the Cookie header of each request
 * (undefined: none), or the `header` named instead (the workload scenario's Authorization). Returns counts by status class and latency percentiles in ms.
 * Either `durationSeconds` or `amount` (a fixed number of requests) bounds the round.
 * `check` ({ every, fn(sentCookie, status, headers) -> problem or undefined }): every `every`th
 * response is checked against the Cookie header its request carried (with pipelining 1, a
 * connection's last request is the one answered); returns `checked` and the first `problems`.
 */
export function runLoad({ url, path, nextCookie, header = "cookie", connections, durationSeconds, amount, check }) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const statuses = new Map();
    let responses = 0;
    let non2xx = 0;
    let errors = 0;
    let seen = 0;
    let checked = 0;
    const problems = [];
    const started = process.hrtime.bigint();
    let lastResponse = started;
    const instance = autocannon(
      {
        url,
        connections,
        pipelining: 1,
        // autocannon checks for "done" on this tick: 100 ms instead of 1 s, so a round with a
        // fixed number of requests ends as soon as they are answered.
        sampleInt: 100,
        ...(amount ? { amount } : { duration: durationSeconds }),
        timeout: 10,
        requests: [
          {
            method: "GET",
            path,
            setupRequest(request, context) {
              const cookie = nextCookie();
              request.headers = cookie ? { accept: "*/*", [header]: cookie } : { accept: "*/*" };
              if (check) context.sentCookie = cookie;
              return request;
            },
            ...(check
              ? {
                  onResponse(status, _body, context, headers) {
                    if (seen++ % check.every !== 0) return;
                    checked++;
                    const problem = check.fn(context.sentCookie, status, headers);
                    if (problem && problems.length < 5) problems.push(problem);
                  },
                }
              : {}),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        // Up to the last response, not to the callback: with `amount`, autocannon only notices
        // it is done on its next 1-second tick, which would understate req/s.
        const elapsedSeconds = Number(lastResponse - started) / 1e9;
        latencies.sort((a, b) => a - b);
        resolve({
          responses,
          non2xx,
          errors: Math.max(errors, result.errors ?? 0),
          timeouts: result.timeouts ?? 0,
          statuses: Object.fromEntries(statuses),
          elapsedSeconds,
          requestsPerSecond: responses / elapsedSeconds,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          ...(check ? { checked, problems } : {}),
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      responses++;
      if (statusCode < 200 || statusCode > 299) non2xx++;
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
      latencies.push(responseTime);
      lastResponse = process.hrtime.bigint();
    });
    instance.on("reqError", () => {
      errors++;
    });
  });
}
