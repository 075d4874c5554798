// The demo origin as a Worker with no public address of its own: the worker reaches it only
// through its ORIGIN service binding (`ORIGIN_VIA=service-binding npm start`). It stands where a
// Worker in front of a private service would: it passes each request, unchanged, to the service
// at PRIVATE_ORIGIN_URL (here the demo origin on 127.0.0.1) and its answer back. It runs in
// workerd, so it is plain Fetch code with no imports.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(new Request(`${env.PRIVATE_ORIGIN_URL}${url.pathname}${url.search}`, request));
  },
};
