#!/usr/bin/python3
"""A minimal origin behind edge-auth-worker that trusts nobody: every request must carry a valid
X-Auth-Assertion, and the answer is the verified identity as JSON. Standard library only, plus
PyJWT (Debian's python3-jwt). Run:

    WORKER_URL=https://app.example.com AUDIENCE=https://origin.example.com PORT=3000 \\
      /usr/bin/python3 verifier/python/example_origin.py

WORKER_URL is the worker's public origin (PUBLIC_URL), AUDIENCE its ORIGIN_AUDIENCE. PORT=0 picks
a free port; either way the first line printed is "listening on http://HOST:PORT".
ACCEPT_WORKLOADS=1 also lets machine callers (TRUSTED_WORKLOADS) through.
"""

import json
import logging
import os
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from refusal import IDENTITY_KEY
from verify_assertion import AssertionVerifier
from wsgi_middleware import AssertionMiddleware


def identity_app(environ, start_response):
    """The app: only ever called with a verified identity (the middleware saw to that)."""
    identity = environ[IDENTITY_KEY]
    fields = {"sub": identity.sub, "email": identity.email, "hd": identity.hd,
              "groups": list(identity.groups), "workload": identity.workload}
    body = json.dumps({name: value for name, value in fields.items() if value not in (None, [])}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                              ("Cache-Control", "private, no-store")])
    return [body]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    # One slow client (or one key-set fetch) must not hold up every other request.
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        # The access log would print each request line; the refusals are logged with their reason.
        pass


def main():
    worker_url = os.environ.get("WORKER_URL", "http://localhost:8787").rstrip("/")
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "3000"))
    verifier = AssertionVerifier(
        jwks_url=f"{worker_url}/.well-known/jwks.json",
        issuer=worker_url,
        audience=os.environ.get("AUDIENCE", f"http://127.0.0.1:{port}"),
        workloads=os.environ.get("ACCEPT_WORKLOADS") == "1",
    )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    app = AssertionMiddleware(identity_app, verifier)
    with make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler) as server:
        print(f"listening on http://{host}:{server.server_port}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
