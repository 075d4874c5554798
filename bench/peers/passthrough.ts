// Floor (b0): the least a proxying worker can do, five lines and no framework: forward the
// request to the origin with fetch() and return the answer. The distance from (b) to this is
// what Hono, the configuration lookup and the header hygiene of our bare-proxy path cost.
export default {
  fetch(request: Request, env: { ORIGIN_URL: string }): Promise<Response> {
    const url = new URL(request.url);
    return fetch(`${env.ORIGIN_URL}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      redirect: "manual",
    });
  },
};
