"""Verifies the X-Auth-Assertion header that edge-auth-worker adds to every authenticated request.

The Python twin of verifier/verify-assertion.mjs: the same checks, with PyJWT (Debian's
python3-jwt) and its PyJWKClient for the worker's key set (worker_key_set.py). Copy both files
into your origin, or put this directory on sys.path.

Why: the X-Auth-User-* headers are only trustworthy when the origin can be reached through the
worker alone. If it can be reached any other way, verify the assertion on every request.
"""

import time
from dataclasses import dataclass, field
from typing import Optional

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from worker_key_set import KeySetUnavailable, WorkerKeySet

ASSERTION_HEADER = "x-auth-assertion"
#: The assertion's JWT type: no other token the worker signs (its session tokens) has it.
ASSERTION_TYPE = "auth-assertion+jwt"
#: Longer is not the worker's (an ES256 assertion is about 500 bytes): refused before parsing.
MAX_ASSERTION_LENGTH = 4096
#: Clock skew allowed between the worker and this origin, seconds (for exp, iat and nbf).
CLOCK_TOLERANCE_SECONDS = 30
#: The worker's assertions live 5 minutes: an older `iat` is refused even if `exp` says otherwise.
MAX_ASSERTION_AGE_SECONDS = 300


class InvalidAssertion(Exception):
    """Why an assertion was refused, as a stable `code` (the same codes as the Node verifier):

    ERR_ASSERTION_MISSING, ERR_ASSERTION_WORKLOAD (a workload's, without workloads=True),
    ERR_JWS_INVALID, ERR_JOSE_ALG_NOT_ALLOWED, ERR_JWKS_NO_MATCHING_KEY,
    ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JWT_EXPIRED, ERR_JWT_CLAIM_VALIDATION_FAILED,
    and ERR_JWKS_UNAVAILABLE when the worker's key set could not be fetched (not the caller's fault).
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Identity:
    """Who the assertion is for. `email` is always there for a person; `workload` (its
    TRUSTED_WORKLOADS name) only for a workload, whose `email` is there only when verified."""

    sub: str
    email: Optional[str] = None
    hd: Optional[str] = None
    groups: tuple = ()
    workload: Optional[str] = None
    claims: dict = field(default_factory=dict, repr=False)


def _algorithm_of(key) -> Optional[str]:
    """The one algorithm a key may verify with (RFC 8725, section 3.1), from the key itself."""
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1":
        return "ES256"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "EdDSA"
    return None


def _normalized_type(value: str) -> str:
    # RFC 7515, section 4.1.9: "application/" may be left out, and media types ignore case.
    lowered = value.lower()
    return lowered if "/" in lowered else f"application/{lowered}"


_PYJWT_CODES = [
    (jwt.InvalidSignatureError, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"),
    (jwt.ExpiredSignatureError, "ERR_JWT_EXPIRED"),
    (jwt.InvalidAlgorithmError, "ERR_JOSE_ALG_NOT_ALLOWED"),
    (jwt.DecodeError, "ERR_JWS_INVALID"),
]


class AssertionVerifier:
    """Checks assertions for one worker; make one per process (it caches the worker's keys).

    :param jwks_url: the worker's key set, ``f"{PUBLIC_URL}/.well-known/jwks.json"``
    :param issuer: the worker's public origin (PUBLIC_URL), e.g. "https://app.example.com"
    :param audience: ORIGIN_AUDIENCE (default: your ORIGIN_URL's origin)
    :param workloads: accept a workload's assertion (a CI job, a service account: TRUSTED_WORKLOADS).
        Off by default, so code written for people never takes a machine for one.
    """

    ALGORITHMS = ("ES256", "EdDSA")

    def __init__(self, *, jwks_url: str, issuer: str, audience: str, workloads: bool = False):
        problems = [
            f"{name} must be a non-empty string"
            for name, value in (("jwks_url", jwks_url), ("issuer", issuer), ("audience", audience))
            if not isinstance(value, str) or not value
        ]
        if isinstance(jwks_url, str) and not jwks_url.startswith(("https://", "http://")):
            problems.append("jwks_url must be an http(s) URL")
        if problems:
            raise ValueError("; ".join(problems))
        self.issuer, self.audience, self.workloads = issuer, audience, workloads
        self._keys = WorkerKeySet(jwks_url)

    def verify(self, assertion: Optional[str]) -> Identity:
        """Verifies one X-Auth-Assertion value; raises InvalidAssertion with a code otherwise."""
        if not isinstance(assertion, str) or not assertion or len(assertion) > MAX_ASSERTION_LENGTH:
            raise InvalidAssertion("ERR_ASSERTION_MISSING", "no X-Auth-Assertion header")
        claims = self._verified_claims(assertion)
        if "workload" in claims:
            if not self.workloads:
                raise InvalidAssertion("ERR_ASSERTION_WORKLOAD", "a workload's assertion (workloads=True accepts them)")
            if not isinstance(claims["workload"], str):
                raise InvalidAssertion("ERR_JWT_CLAIM_VALIDATION_FAILED", "workload is not a string")
            email = claims.get("email") if isinstance(claims.get("email"), str) else None
            return Identity(sub=claims["sub"], email=email, workload=claims["workload"], claims=claims)
        if not isinstance(claims.get("email"), str):
            raise InvalidAssertion("ERR_JWT_CLAIM_VALIDATION_FAILED", "assertion without e-mail")
        groups = claims.get("groups")
        return Identity(
            sub=claims["sub"],
            email=claims["email"],
            hd=claims["hd"] if isinstance(claims.get("hd"), str) else None,
            groups=tuple(groups) if isinstance(groups, list) and all(isinstance(g, str) for g in groups) else (),
            claims=claims,
        )

    def _verified_claims(self, assertion: str) -> dict:
        try:
            header = jwt.get_unverified_header(assertion)
            if header.get("alg") not in self.ALGORITHMS:
                raise InvalidAssertion("ERR_JOSE_ALG_NOT_ALLOWED", "algorithm not allowed")
            try:
                key = self._keys.get_signing_key(header.get("kid")).key
            except KeySetUnavailable as error:
                raise InvalidAssertion("ERR_JWKS_UNAVAILABLE", str(error)) from error
            except jwt.PyJWKClientError as error:
                raise InvalidAssertion("ERR_JWKS_NO_MATCHING_KEY", "no key in the worker's set has this kid") from error
            if _algorithm_of(key) != header["alg"]:
                raise InvalidAssertion("ERR_JOSE_ALG_NOT_ALLOWED", "algorithm does not match the key")
            claims = jwt.decode(
                assertion,
                key,
                algorithms=[header["alg"]],
                issuer=self.issuer,
                audience=self.audience,
                leeway=CLOCK_TOLERANCE_SECONDS,
                options={"require": ["iss", "aud", "sub", "iat", "exp"]},
            )
        except InvalidAssertion:
            raise
        except jwt.PyJWTError as error:
            fallback = "ERR_JWT_CLAIM_VALIDATION_FAILED"
            code = next((code for kind, code in _PYJWT_CODES if isinstance(error, kind)), fallback)
            raise InvalidAssertion(code, str(error)) from error
        except (TypeError, ValueError) as error:  # a claim of the wrong JSON type
            raise InvalidAssertion("ERR_JWT_CLAIM_VALIDATION_FAILED", "malformed claim") from error
        return self._checked(header, claims)

    @staticmethod
    def _checked(header: dict, claims: dict) -> dict:
        typ = header.get("typ")
        if not isinstance(typ, str) or _normalized_type(typ) != _normalized_type(ASSERTION_TYPE):
            raise InvalidAssertion("ERR_JWT_CLAIM_VALIDATION_FAILED", 'unexpected "typ" JWT header value')
        if not isinstance(claims["sub"], str):
            raise InvalidAssertion("ERR_JWT_CLAIM_VALIDATION_FAILED", "sub is not a string")
        numbers = [claims[name] for name in ("iat", "exp")]
        if any(isinstance(n, bool) or not isinstance(n, (int, float)) for n in numbers):
            raise InvalidAssertion("ERR_JWT_CLAIM_VALIDATION_FAILED", "iat and exp must be numbers")
        if time.time() - claims["iat"] - CLOCK_TOLERANCE_SECONDS > MAX_ASSERTION_AGE_SECONDS:
            raise InvalidAssertion("ERR_JWT_EXPIRED", '"iat" too far in the past')
        return claims
