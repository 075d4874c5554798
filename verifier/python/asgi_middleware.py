"""ASGI middleware: a request (HTTP or WebSocket) reaches the app only with a valid X-Auth-Assertion.

    from verify_assertion import AssertionVerifier
    from asgi_middleware import AssertionMiddleware

    verifier = AssertionVerifier(jwks_url=..., issuer=..., audience=...)
    app = AssertionMiddleware(app, verifier)   # the app reads scope["edge_auth.identity"]
"""

import asyncio

from refusal import IDENTITY_KEY, refusal
from verify_assertion import ASSERTION_HEADER, AssertionVerifier, InvalidAssertion

_HEADER = ASSERTION_HEADER.encode()
# RFC 6455, section 7.4.1: 1008 is "policy violation", the close code for a refused caller.
_WEBSOCKET_POLICY_VIOLATION = 1008


def _assertion_of(scope):
    # ASGI servers give header names in lower case. Two assertions are no assertion.
    values = [value for name, value in scope.get("headers", []) if name == _HEADER]
    return values[0].decode("latin-1") if len(values) == 1 else None


class AssertionMiddleware:
    """Wraps an ASGI app; the verified Identity is in ``scope["edge_auth.identity"]``. Lifespan
    events pass through."""

    def __init__(self, app, verifier: AssertionVerifier):
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            # In a thread: a key-set fetch (at most every few minutes) must not block the event loop.
            identity = await asyncio.to_thread(self.verifier.verify, _assertion_of(scope))
        except InvalidAssertion as error:
            await self._refuse(scope, receive, send, error)
            return
        await self.app({**scope, IDENTITY_KEY: identity}, receive, send)

    @staticmethod
    async def _refuse(scope, receive, send, error):
        status, _reason, headers, body = refusal(error)
        if scope["type"] == "websocket":
            # Closing before accepting: the server answers the handshake with 403.
            await receive()
            await send({"type": "websocket.close", "code": _WEBSOCKET_POLICY_VIOLATION})
            return
        raw_headers = [(name.lower().encode(), value.encode()) for name, value in headers]
        raw_headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})
