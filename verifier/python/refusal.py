"""What an origin answers when a request's assertion is refused: one place for WSGI and ASGI."""

import json
import logging

from verify_assertion import InvalidAssertion

log = logging.getLogger("edge_auth")

#: Where the middleware puts the verified Identity: the WSGI environ, or the ASGI scope.
IDENTITY_KEY = "edge_auth.identity"
#: Seconds a caller should wait when the worker's key set could not be fetched.
RETRY_AFTER_SECONDS = 30


def refusal(error: InvalidAssertion):
    """(status, reason, headers, body) for a refused request. The reason goes to the log only: the
    body says nothing a caller could learn from (no token, no claim, no reflected input)."""
    log.warning("X-Auth-Assertion refused: %s", error.code)
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
    if error.code == "ERR_JWKS_UNAVAILABLE":
        # The worker's keys could not be fetched: not the caller's fault, and worth a retry.
        body = json.dumps({"error": "cannot verify the request now"}, separators=(",", ":")).encode()
        return 503, "Service Unavailable", headers + [("Retry-After", str(RETRY_AFTER_SECONDS))], body
    return 401, "Unauthorized", headers, json.dumps({"error": "unauthorized"}, separators=(",", ":")).encode()
