"""The worker's public keys (its /.well-known/jwks.json), fetched with PyJWT's PyJWKClient."""

import json
import threading
import time
import urllib.request
from typing import Optional

import jwt

#: Kept 10 minutes; refetched for an unknown `kid` (key rotation) at most once per 30 seconds,
#: counting failed attempts too; a fetch is given up after 5 seconds; a key set is a few hundred
#: bytes, more than 64 KiB is refused. When refetching fails, the last keys fetched keep verifying
#: until an hour after that fetch: a key-set outage does not refuse every assertion at once.
KEYS_MAX_AGE_SECONDS = 600
KEYS_COOLDOWN_SECONDS = 30
KEYS_TIMEOUT_SECONDS = 5
KEYS_MAX_BYTES = 64 * 1024
KEYS_MAX_STALE_SECONDS = 3600


class KeySetUnavailable(jwt.PyJWKClientError):
    """The key set could not be fetched or held no usable key: the worker's side, not the caller's."""


class WorkerKeySet(jwt.PyJWKClient):
    """PyJWKClient with the bounds its stock cache lacks (as jose's remote key set has them): a
    timeout, a size limit, and one attempt per cooldown however many unknown `kid`s arrive and
    whether or not it succeeds, so that made-up `kid`s cannot turn every request into a fetch. A
    fetch runs outside the lock: while one is under way, other threads go on with the keys held
    (they wait for it only when there are none). Safe to share between threads."""

    def __init__(self, jwks_url: str):
        super().__init__(jwks_url, cache_jwk_set=False)
        self._lock = threading.Lock()
        self._key_set: Optional[jwt.PyJWKSet] = None
        self._fetched_at = 0.0
        self._attempted_at: Optional[float] = None
        self._fetching: Optional[threading.Event] = None

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

    def _held(self, now: float) -> Optional[jwt.PyJWKSet]:
        """The keys last fetched, while they may still verify (KEYS_MAX_STALE_SECONDS)."""
        if self._key_set is not None and now - self._fetched_at < KEYS_MAX_STALE_SECONDS:
            return self._key_set
        return None

    def get_jwk_set(self, refresh: bool = False) -> jwt.PyJWKSet:
        while True:
            with self._lock:
                now = time.monotonic()
                held = self._held(now)
                if held is not None and not refresh and now - self._fetched_at < KEYS_MAX_AGE_SECONDS:
                    return held
                cooling = self._attempted_at is not None and now - self._attempted_at < KEYS_COOLDOWN_SECONDS
                if cooling or self._fetching is not None:
                    if held is not None:
                        return held
                    if self._fetching is None:
                        raise KeySetUnavailable("the key set could not be fetched; trying again shortly")
                    waiting = self._fetching
                else:
                    waiting = None
                    self._attempted_at, self._fetching = now, threading.Event()
                    done = self._fetching
            if waiting is not None:
                # No keys at all yet: this thread needs the fetch another one started.
                waiting.wait(KEYS_TIMEOUT_SECONDS * 2)
                continue
            return self._fetch_outside_lock(done)

    def _fetch_outside_lock(self, done: threading.Event) -> jwt.PyJWKSet:
        try:
            key_set = _usable(self.fetch_data())
        except KeySetUnavailable as error:
            key_set, failure = None, error
        with self._lock:
            if key_set is not None:
                self._key_set, self._fetched_at = key_set, time.monotonic()
            self._fetching = None
            held = self._held(time.monotonic())
        done.set()
        if held is None:
            raise failure
        return held


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
