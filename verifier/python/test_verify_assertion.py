"""The checks of verify_assertion.py, against a key set served over real HTTP.

Run: /usr/bin/python3 -m unittest discover -s verifier/python
"""

import base64
import json
import threading
import time
import unittest
from unittest import mock

import worker_key_set
from signing_worker import AUDIENCE, ISSUER, SigningWorker, new_key
from verify_assertion import AssertionVerifier, InvalidAssertion


def code_of(verifier, assertion):
    try:
        verifier.verify(assertion)
    except InvalidAssertion as error:
        return error.code
    return "accepted"


CLAIM = "ERR_JWT_CLAIM_VALIDATION_FAILED"


def unsigned(header, payload):
    encode = lambda part: base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
    return f"{encode(header)}.{encode(payload)}."


class VerifyAssertionTest(unittest.TestCase):
    def setUp(self):
        self.worker = SigningWorker()
        self.addCleanup(self.worker.close)
        self.verifier = AssertionVerifier(jwks_url=self.worker.jwks_url, issuer=ISSUER, audience=AUDIENCE)

    def code(self, assertion):
        return code_of(self.verifier, assertion)

    def test_accepts_an_es256_and_an_eddsa_assertion_and_says_who_it_is_for(self):
        for key in self.worker.keys:
            claims = {"email": "ada@example.com", "hd": "example.com", "groups": ["admins@example.com"]}
            identity = self.verifier.verify(self.worker.sign(claims, key=key))
            self.assertEqual((identity.sub, identity.email, identity.hd), ("1001", "ada@example.com", "example.com"))
            self.assertEqual((identity.groups, identity.workload), (("admins@example.com",), None))

    def test_refuses_a_wrong_audience_issuer_or_subject(self):
        self.assertEqual(self.code(self.worker.sign(aud="https://other.example")), CLAIM)
        self.assertEqual(self.code(self.worker.sign(iss="https://evil.example")), CLAIM)
        self.assertEqual(self.code(self.worker.sign(sub=None)), CLAIM)
        self.assertEqual(self.code(self.worker.sign(sub=1001)), CLAIM)

    def test_refuses_an_expired_one_an_old_one_and_one_from_the_future_within_30_seconds_of_skew(self):
        now = int(time.time())
        self.assertEqual(self.code(self.worker.sign(iat=now - 400, exp=now - 100)), "ERR_JWT_EXPIRED")
        # Older than 5 minutes (plus the skew) however far away its exp is.
        self.assertEqual(self.code(self.worker.sign(iat=now - 340, exp=now + 3600)), "ERR_JWT_EXPIRED")
        self.assertEqual(self.code(self.worker.sign(iat=now + 60)), CLAIM)
        self.assertEqual(self.code(self.worker.sign(iat=now - 310, exp=now - 10)), "accepted")
        self.assertEqual(self.code(self.worker.sign(claims={"email": "a@x", "exp": None})), CLAIM)

    def test_refuses_a_forged_signature_and_a_kid_the_worker_does_not_have(self):
        forger = new_key("ES256")
        forged = self.worker.sign(signer=forger)
        self.assertEqual(self.code(forged), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED")
        self.assertEqual(self.code(self.worker.sign(key=forger)), "ERR_JWKS_NO_MATCHING_KEY")

    def test_pins_the_algorithm_to_es256_and_eddsa_and_to_the_key(self):
        es256, eddsa = self.worker.keys
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "1001", "iat": now, "exp": now + 300}
        none = unsigned({"alg": "none", "kid": es256["jwk"]["kid"], "typ": "auth-assertion+jwt"}, payload)
        self.assertEqual(self.code(none), "ERR_JOSE_ALG_NOT_ALLOWED")
        hs256 = self.worker.sign(key={**es256, "private": "a secret anyone could pick"}, alg="HS256")
        self.assertEqual(self.code(hs256), "ERR_JOSE_ALG_NOT_ALLOWED")
        # An EdDSA signature presented under the ES256 key's kid.
        mismatched = self.worker.sign(key=es256, signer=eddsa, alg="EdDSA")
        self.assertEqual(self.code(mismatched), "ERR_JOSE_ALG_NOT_ALLOWED")

    def test_refuses_another_token_type_in_its_place_and_accepts_the_type_spelled_in_full(self):
        for typ in ["session+jwt", "JWT", None]:
            self.assertEqual(self.code(self.worker.sign(typ=typ)), CLAIM, typ)
        # RFC 7515, section 4.1.9: the same media type, as jose reads it too.
        self.assertEqual(self.code(self.worker.sign(typ="application/Auth-Assertion+JWT")), "accepted")

    def test_refuses_a_missing_an_oversized_and_a_malformed_assertion(self):
        self.assertEqual(self.code(None), "ERR_ASSERTION_MISSING")
        self.assertEqual(self.code(""), "ERR_ASSERTION_MISSING")
        self.assertEqual(self.code("a" * 4097), "ERR_ASSERTION_MISSING")
        self.assertEqual(self.code("not.a.jwt"), "ERR_JWS_INVALID")

    def test_refuses_a_workload_unless_asked_then_says_which_workload_it_is(self):
        assertion = self.worker.sign({"workload": "ci-main"})
        self.assertEqual(self.code(assertion), "ERR_ASSERTION_WORKLOAD")
        workloads = AssertionVerifier(jwks_url=self.worker.jwks_url, issuer=ISSUER, audience=AUDIENCE, workloads=True)
        identity = workloads.verify(assertion)
        self.assertEqual((identity.sub, identity.workload, identity.email), ("1001", "ci-main", None))
        # A person's assertion still needs its e-mail, workloads or not.
        self.assertEqual(code_of(workloads, self.worker.sign({})), CLAIM)

    def test_refuses_options_that_would_check_nothing(self):
        with self.assertRaises(ValueError) as raised:
            AssertionVerifier(jwks_url="file:///etc/passwd", issuer="", audience=None)
        expected = "issuer must be a non-empty string; audience must be a non-empty string; "
        expected += "jwks_url must be an http(s) URL"
        self.assertEqual(str(raised.exception), expected)


class WorkerKeySetTest(unittest.TestCase):
    def setUp(self):
        self.worker = SigningWorker()
        self.addCleanup(self.worker.close)
        self.verifier = AssertionVerifier(jwks_url=self.worker.jwks_url, issuer=ISSUER, audience=AUDIENCE)
        self.code = lambda assertion: code_of(self.verifier, assertion)
        self.clock = 1000.0
        patcher = mock.patch.object(worker_key_set.time, "monotonic", lambda: self.clock)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_fetches_once_and_refetches_for_unknown_kids_at_most_once_per_30_seconds(self):
        self.verifier.verify(self.worker.sign())
        strangers = [self.worker.sign(key=new_key("ES256")) for _ in range(20)]
        self.assertEqual({self.code(s) for s in strangers}, {"ERR_JWKS_NO_MATCHING_KEY"})
        self.assertEqual(self.worker.hits, 1)
        self.clock += 31
        self.assertEqual(self.code(strangers[0]), "ERR_JWKS_NO_MATCHING_KEY")
        self.assertEqual(self.worker.hits, 2)

    def test_finds_a_key_rotated_in_and_refetches_the_set_after_10_minutes(self):
        self.verifier.verify(self.worker.sign())
        rotated = new_key("EdDSA")
        self.worker.keys.insert(0, rotated)
        self.clock += 31
        self.assertEqual(self.code(self.worker.sign(key=rotated)), "accepted")
        self.assertEqual(self.worker.hits, 2)
        self.clock += 599
        self.verifier.verify(self.worker.sign())
        self.assertEqual(self.worker.hits, 2)
        self.clock += 2
        self.verifier.verify(self.worker.sign())
        self.assertEqual(self.worker.hits, 3)

    def test_skips_a_key_it_cannot_read_and_uses_the_others(self):
        unreadable = {"kty": "EC", "crv": "P-256", "x": "not-a-point", "y": "not-a-point", "kid": "odd", "use": "sig"}
        self.worker.keys.insert(0, {"jwk": unreadable})
        self.assertEqual(self.code(self.worker.sign(key=self.worker.keys[1])), "accepted")
        self.assertEqual(self.code(self.worker.sign(key=self.worker.keys[2])), "accepted")
        self.worker.keys[1:] = [{"jwk": {"kty": "unknown", "kid": "odder"}}]
        self.clock += 3601
        self.assertEqual(self.code(self.worker.sign(key=new_key("ES256"))), "ERR_JWKS_UNAVAILABLE")

    def test_says_the_key_set_is_unavailable_when_it_cannot_be_fetched_and_tries_again_after_30_seconds(self):
        self.worker.down = True
        self.assertEqual(self.code(self.worker.sign()), "ERR_JWKS_UNAVAILABLE")
        self.worker.down = False
        self.clock += 31
        self.assertEqual(self.code(self.worker.sign()), "accepted")

    def test_counts_a_failed_fetch_in_the_cooldown_so_forged_kids_cannot_start_one_each(self):
        self.verifier.verify(self.worker.sign())
        self.worker.down = True
        self.clock += 31
        strangers = [self.worker.sign(key=new_key("ES256")) for _ in range(20)]
        self.assertEqual({self.code(s) for s in strangers}, {"ERR_JWKS_NO_MATCHING_KEY"})
        self.assertEqual(self.worker.hits, 2)
        self.assertEqual(self.code(self.worker.sign()), "accepted")
        self.clock += 31
        self.assertEqual(self.code(strangers[0]), "ERR_JWKS_NO_MATCHING_KEY")
        self.assertEqual(self.worker.hits, 3)

    def test_with_no_keys_yet_a_failed_fetch_answers_at_once_until_the_cooldown_ends(self):
        self.worker.down = True
        codes = {self.code(self.worker.sign()) for _ in range(10)}
        self.assertEqual((codes, self.worker.hits), ({"ERR_JWKS_UNAVAILABLE"}, 1))
        self.worker.down = False
        self.clock += 31
        self.assertEqual((self.code(self.worker.sign()), self.worker.hits), ("accepted", 2))

    def test_a_slow_key_set_stalls_only_the_fetch_not_the_assertions_it_can_already_verify(self):
        self.verifier.verify(self.worker.sign())
        valid, stranger = self.worker.sign(), self.worker.sign(key=new_key("ES256"))
        self.clock += 31
        self.worker.stall()
        fetching = threading.Thread(target=self.code, args=(stranger,))
        fetching.start()
        self.addCleanup(fetching.join)
        self.addCleanup(self.worker.release)
        self.assertTrue(self.worker.arrived.wait(5), "the refetch for the unknown kid never arrived")
        answers = []
        verifying = threading.Thread(target=lambda: answers.append(self.code(valid)))
        verifying.start()
        verifying.join(2)
        # Before the refetch is let go: a valid assertion never waits for it.
        self.assertEqual(answers, ["accepted"])
        self.worker.release()

    def test_keeps_the_last_keys_for_an_hour_while_the_key_set_cannot_be_fetched(self):
        self.verifier.verify(self.worker.sign())
        self.worker.down = True
        self.clock += 601
        self.assertEqual((self.code(self.worker.sign()), self.worker.hits), ("accepted", 2))
        self.clock += 10
        self.assertEqual((self.code(self.worker.sign()), self.worker.hits), ("accepted", 2))
        self.clock += 31
        self.assertEqual((self.code(self.worker.sign()), self.worker.hits), ("accepted", 3))
        self.clock = 1000.0 + 3599
        self.assertEqual(self.code(self.worker.sign()), "accepted")
        self.clock = 1000.0 + 3601
        self.assertEqual(self.code(self.worker.sign()), "ERR_JWKS_UNAVAILABLE")
        self.worker.down = False
        self.clock += 31
        self.assertEqual(self.code(self.worker.sign()), "accepted")


if __name__ == "__main__":
    unittest.main()
