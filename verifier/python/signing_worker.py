"""The worker's side of the handshake, for the tests: its signing keys, their public halves served
as a JWK Set over real HTTP on 127.0.0.1, and assertions signed with them."""

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

ISSUER = "https://app.example.com"
AUDIENCE = "https://origin.example.com"


def new_key(alg):
    """A private key with its public JWK (kid, alg, use) as the worker publishes it."""
    while True:
        private = ec.generate_private_key(ec.SECP256R1()) if alg == "ES256" else ed25519.Ed25519PrivateKey.generate()
        to_jwk = ECAlgorithm.to_jwk if alg == "ES256" else OKPAlgorithm.to_jwk
        kid = f"test-{secrets.token_hex(4)}"
        public = {**json.loads(to_jwk(private.public_key())), "kid": kid, "alg": alg, "use": "sig"}
        # PyJWT 2.6 writes a P-256 coordinate with a leading zero byte short (about one key in 250),
        # which no reader accepts; the worker's keys (jose's) are always full length. Draw again.
        try:
            jwt.PyJWK(public)
        except jwt.PyJWTError:
            continue
        return {"alg": alg, "private": private, "jwk": public}


class SigningWorker:
    """Serves ``{"keys": [...]}`` at ``jwks_url`` (counting fetches in ``hits``) until ``close()``.
    ``down`` answers 503; ``stall()`` holds every answer until ``release()``, as a slow worker would."""

    def __init__(self):
        self.keys = [new_key("ES256"), new_key("EdDSA")]
        self.hits = 0
        self.down = False
        self.arrived = threading.Event()
        self._held = None  # a threading.Event while stalled
        worker = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                worker.hits += 1
                worker.arrived.set()
                if worker._held is not None:
                    worker._held.wait(10)
                if worker.down:
                    self.send_error(503)
                    return
                body = json.dumps({"keys": [key["jwk"] for key in worker.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.jwks_url = f"http://127.0.0.1:{self._server.server_port}/.well-known/jwks.json"
        # shutdown() waits for the serving loop's next poll: at the default half second, that wait
        # was nearly all of these tests' time.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def stall(self):
        self._held = threading.Event()
        self.arrived.clear()

    def release(self):
        if self._held is not None:
            self._held.set()
        self._held = None

    def close(self):
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def sign(self, claims=None, *, key=None, signer=None, typ="auth-assertion+jwt", iss=ISSUER, aud=AUDIENCE,
             sub="1001", iat=None, exp=None, alg=None):
        """An assertion as the worker makes it; each keyword changes one thing. ``signer`` signs with
        another private key under ``key``'s kid (a forgery)."""
        key = key or self.keys[0]
        now = int(time.time())
        iat = now if iat is None else iat
        payload = {"iss": iss, "aud": aud, "sub": sub, "iat": iat, "exp": iat + 300 if exp is None else exp}
        payload.update({"email": "ada@example.com"} if claims is None else claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        headers = {"kid": key["jwk"]["kid"], "typ": typ}
        private = (signer or key)["private"]
        return jwt.encode(payload, private, algorithm=alg or key["alg"], headers=headers)
