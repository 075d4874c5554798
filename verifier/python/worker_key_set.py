"""The worker's public keys (its /.well-known/jwks.json), fetched with PyJWT's PyJWKClient."""

import json
import threading
import time
import urllib.request
from typing import Optional

import jwt

#: Kept 10 minutes; refetched for an unknown `kid` (key rotation) at most once per 30 seconds;
#: a fetch is given up after 5 seconds; a key set is a few hundred bytes, more than 64 KiB is refused.
KEYS_MAX_AGE_SECONDS = 600
KEYS_COOLDOWN_SECONDS = 30
KEYS_TIMEOUT_SECONDS = 5
KEYS_MAX_BYTES = 64 * 1024


class KeySetUnavailable(jwt.PyJWKClientError):
    """The key set could not be fetched or held no usable key: the worker's side, not the caller's."""


class WorkerKeySet(jwt.PyJWKClient):
    """PyJWKClient with the bounds its stock cache lacks (as jose's remote key set has them): a
    timeout, a size limit, and one refetch per cooldown however many unknown `kid`s arrive, so
    that made-up `kid`s cannot turn every request into a fetch. Safe to share between threads."""

    def __init__(self, jwks_url: str):
        super().__init__(jwks_url, cache_jwk_set=False)
        self._lock = threading.Lock()
        self._key_set: Optional[jwt.PyJWKSet] = None
        self._fetched_at = 0.0

    def fetch_data(self):
        try:
            request = urllib.request.Request(self.uri, headers={"Accept": "application/json"})
            with urllib.request.urlopen(request, timeout=KEYS_TIMEOUT_SECONDS) as response:
                body = response.read(KEYS_MAX_BYTES + 1)
        except OSError as error:
            raise KeySetUnavailable(f"could not fetch the key set ({type(error).__name__})") from error
        if len(body) > KEYS_MAX_BYTES:
            raise KeySetUnavailable("the key set is too large")
        try:
            return json.loads(body)
        except ValueError as error:
            raise KeySetUnavailable("the key set is not JSON") from error

    def get_jwk_set(self, refresh: bool = False) -> jwt.PyJWKSet:
        with self._lock:
            if self._key_set is not None:
                age = time.monotonic() - self._fetched_at
                if age < (KEYS_COOLDOWN_SECONDS if refresh else KEYS_MAX_AGE_SECONDS):
                    return self._key_set
            key_set = _usable(self.fetch_data())
            self._key_set, self._fetched_at = key_set, time.monotonic()
            return key_set


def _usable(data) -> jwt.PyJWKSet:
    """The keys this library can read. One it cannot (a new key type, a typo) is skipped rather
    than failing the whole set; PyJWKSet itself skips only some kinds of unusable key."""
    keys = data.get("keys") if isinstance(data, dict) else None
    usable = []
    for key in keys if isinstance(keys, list) else []:
        try:
            jwt.PyJWK(key)
        except (jwt.PyJWTError, AttributeError, TypeError, ValueError):
            continue
        usable.append(key)
    if not usable:
        raise KeySetUnavailable("the key set holds no usable key")
    return jwt.PyJWKSet(usable)
