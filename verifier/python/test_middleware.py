"""The WSGI and ASGI middleware: only a verified request reaches the app, with its identity.

Run: /usr/bin/python3 -m unittest discover -s verifier/python
"""

import asyncio
import json
import unittest
from wsgiref.util import setup_testing_defaults

import asgi_middleware
import wsgi_middleware
from refusal import IDENTITY_KEY
from signing_worker import AUDIENCE, ISSUER, SigningWorker
from verify_assertion import AssertionVerifier


class MiddlewareCase(unittest.TestCase):
    def setUp(self):
        self.worker = SigningWorker()
        self.addCleanup(self.worker.close)
        self.verifier = AssertionVerifier(jwks_url=self.worker.jwks_url, issuer=ISSUER, audience=AUDIENCE)
        self.seen = []


class WsgiMiddlewareTest(MiddlewareCase):
    def call(self, assertion=None):
        def app(environ, start_response):
            self.seen.append(environ[IDENTITY_KEY])
            start_response("204 No Content", [])
            return [b""]

        environ = {} if assertion is None else {"HTTP_X_AUTH_ASSERTION": assertion}
        setup_testing_defaults(environ)
        answer = {}
        start = lambda status, headers: answer.update(status=status, headers=dict(headers))
        body = b"".join(wsgi_middleware.AssertionMiddleware(app, self.verifier)(environ, start))
        return answer["status"], answer["headers"], body

    def test_passes_a_verified_request_with_its_identity(self):
        status, _, _ = self.call(self.worker.sign())
        self.assertEqual(status, "204 No Content")
        self.assertEqual([(i.sub, i.email) for i in self.seen], [("1001", "ada@example.com")])

    def test_refuses_the_rest_with_401_and_a_body_that_says_nothing_about_why(self):
        for assertion in [None, self.worker.sign(aud="https://other.example"), self.worker.sign({"workload": "ci"})]:
            with self.assertLogs("edge_auth", "WARNING"):
                status, headers, body = self.call(assertion)
            self.assertEqual((status, json.loads(body)), ("401 Unauthorized", {"error": "unauthorized"}))
            self.assertEqual(headers["Content-Length"], str(len(body)))
        self.assertEqual(self.seen, [])

    def test_answers_503_when_the_worker_keys_cannot_be_fetched(self):
        self.worker.down = True
        with self.assertLogs("edge_auth", "WARNING") as logs:
            status, headers, _ = self.call(self.worker.sign())
        self.assertEqual((status, headers["Retry-After"]), ("503 Service Unavailable", "30"))
        self.assertIn("ERR_JWKS_UNAVAILABLE", logs.output[0])
        self.assertEqual(self.seen, [])


class AsgiMiddlewareTest(MiddlewareCase):
    def call(self, headers, scope_type="http"):
        async def app(scope, receive, send):
            self.seen.append(scope.get(IDENTITY_KEY, scope["type"]))
            await send({"type": "http.response.start", "status": 204, "headers": []})

        async def receive():
            return {"type": "websocket.connect"} if scope_type == "websocket" else {"type": "http.request", "body": b""}

        sent = []

        async def send(message):
            sent.append(message)

        scope = {"type": scope_type, "headers": headers}
        asyncio.run(asgi_middleware.AssertionMiddleware(app, self.verifier)(scope, receive, send))
        return sent

    def test_passes_a_verified_request_with_its_identity(self):
        sent = self.call([(b"x-auth-assertion", self.worker.sign().encode())])
        self.assertEqual(sent[0]["status"], 204)
        self.assertEqual([(i.sub, i.email) for i in self.seen], [("1001", "ada@example.com")])

    def test_refuses_a_missing_a_duplicated_and_a_forged_assertion_with_401(self):
        good = self.worker.sign().encode()
        for headers in [[], [(b"x-auth-assertion", good), (b"x-auth-assertion", good)],
                        [(b"x-auth-assertion", self.worker.sign(iss="https://evil.example").encode())]]:
            with self.assertLogs("edge_auth", "WARNING"):
                start, body = self.call(headers)
            self.assertEqual((start["status"], json.loads(body["body"])), (401, {"error": "unauthorized"}))
        self.assertEqual(self.seen, [])

    def test_closes_a_refused_websocket_before_accepting_it_and_lets_lifespan_through(self):
        with self.assertLogs("edge_auth", "WARNING"):
            sent = self.call([], scope_type="websocket")
        self.assertEqual(sent, [{"type": "websocket.close", "code": 1008}])
        self.call([], scope_type="lifespan")
        self.assertEqual(self.seen, ["lifespan"])


if __name__ == "__main__":
    unittest.main()
