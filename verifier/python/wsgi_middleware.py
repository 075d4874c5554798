"""WSGI middleware: a request reaches the app only with a valid X-Auth-Assertion.

    from verify_assertion import AssertionVerifier
    from wsgi_middleware import AssertionMiddleware

    verifier = AssertionVerifier(jwks_url=..., issuer=..., audience=...)
    app = AssertionMiddleware(app, verifier)   # the app reads environ["edge_auth.identity"]
"""

from refusal import IDENTITY_KEY, refusal
from verify_assertion import AssertionVerifier, InvalidAssertion


class AssertionMiddleware:
    """Wraps a WSGI app; the verified Identity is in ``environ["edge_auth.identity"]``."""

    def __init__(self, app, verifier: AssertionVerifier):
        self.app = app
        self.verifier = verifier

    def __call__(self, environ, start_response):
        try:
            identity = self.verifier.verify(environ.get("HTTP_X_AUTH_ASSERTION"))
        except InvalidAssertion as error:
            status, reason, headers, body = refusal(error)
            start_response(f"{status} {reason}", headers + [("Content-Length", str(len(body)))])
            return [body]
        return self.app({**environ, IDENTITY_KEY: identity}, start_response)
