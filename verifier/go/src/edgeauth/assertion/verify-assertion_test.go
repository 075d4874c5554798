package assertion

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	jose "gopkg.in/square/go-jose.v2"
)

// A fixed clock: the verifier's and the key cache's time, moved by the tests.
var start = time.Unix(1_800_000_000, 0)

type fixture struct {
	worker   *signingWorker
	verifier *Verifier
	clock    time.Time
}

func newFixture(t *testing.T, workloads bool) *fixture {
	f := &fixture{worker: newSigningWorker(t), clock: start}
	options := Options{JWKSURL: f.worker.url, Issuer: issuer, Audience: audience, Workloads: workloads}
	verifier, err := NewVerifier(options)
	if err != nil {
		t.Fatal(err)
	}
	verifier.now = func() time.Time { return f.clock }
	f.verifier = verifier
	return f
}

// code is what Verify says: "accepted", or the refusal's code.
func (f *fixture) code(assertion string) string {
	_, err := f.verifier.Verify(context.Background(), assertion)
	var refused *Error
	if errors.As(err, &refused) {
		return refused.Code
	}
	if err != nil {
		return err.Error()
	}
	return "accepted"
}

func (f *fixture) sign(t *testing.T, tok token) string { return f.worker.sign(t, f.clock, tok) }

// with is the code for an assertion whose claims differ from the worker's by these.
func (f *fixture) with(t *testing.T, changes claims) string {
	return f.code(f.sign(t, token{claims: changes}))
}

func expect[T comparable](t *testing.T, name string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", name, got, want)
	}
}

func TestAcceptsAnES256AndAnEdDSAAssertionAndSaysWhoItIsFor(t *testing.T) {
	f := newFixture(t, false)
	for _, key := range f.worker.keys {
		claims := claims{"hd": "example.com", "groups": []string{"admins@example.com"}}
		identity, err := f.verifier.Verify(context.Background(), f.sign(t, token{key: key, claims: claims}))
		if err != nil {
			t.Fatalf("%s: %v", key.alg, err)
		}
		groups := strings.Join(identity.Groups, ",")
		got := strings.Join([]string{identity.Sub, identity.Email, identity.HD, groups, identity.Workload}, "|")
		expect(t, string(key.alg), got, "1001|ada@example.com|example.com|admins@example.com|")
	}
}

func TestRefusesAWrongAudienceIssuerOrSubject(t *testing.T) {
	f := newFixture(t, false)
	expect(t, "aud", f.with(t, claims{"aud": "https://other.example"}), CodeClaimValidationFailed)
	expect(t, "iss", f.with(t, claims{"iss": "https://evil.example"}), CodeClaimValidationFailed)
	expect(t, "no sub", f.with(t, claims{"sub": nil}), CodeClaimValidationFailed)
	expect(t, "numeric sub", f.with(t, claims{"sub": 1001}), CodeClaimValidationFailed)
}

func TestRefusesAnExpiredOneAnOldOneAndOneFromTheFutureWithin30SecondsOfSkew(t *testing.T) {
	f := newFixture(t, false)
	now := f.clock.Unix()
	at := func(iat, exp int64) token { return token{claims: claims{"iat": iat, "exp": exp}} }
	expect(t, "expired", f.code(f.sign(t, at(now-400, now-100))), CodeExpired)
	expect(t, "expired 30 s ago", f.code(f.sign(t, at(now-330, now-30))), CodeExpired)
	expect(t, "expired 29 s ago", f.code(f.sign(t, at(now-329, now-29))), "accepted")
	// Older than 5 minutes (plus the skew) however far away its exp is.
	expect(t, "old", f.code(f.sign(t, at(now-331, now+3600))), CodeExpired)
	expect(t, "future iat", f.code(f.sign(t, at(now+31, now+331))), CodeClaimValidationFailed)
	expect(t, "no exp", f.with(t, claims{"exp": nil}), CodeClaimValidationFailed)
	expect(t, "no iat", f.with(t, claims{"iat": nil}), CodeClaimValidationFailed)
}

func TestRefusesAForgedSignatureAndAKidTheWorkerDoesNotHave(t *testing.T) {
	f := newFixture(t, false)
	forger := newKey(t, jose.ES256)
	expect(t, "forged", f.code(f.sign(t, token{signer: forger})), CodeSignature)
	expect(t, "unknown kid", f.code(f.sign(t, token{key: forger})), CodeNoMatchingKey)
}

func TestPinsTheAlgorithmToES256AndEdDSAAndToTheKey(t *testing.T) {
	f := newFixture(t, false)
	es256, eddsa := f.worker.keys[0], f.worker.keys[1]
	encode := func(part string) string { return base64.RawURLEncoding.EncodeToString([]byte(part)) }
	payload := encode(`{"iss":"` + issuer + `","aud":"` + audience + `","sub":"1001","iat":1800000000}`)
	for _, alg := range []string{"none", "HS256", "ES384"} {
		header := encode(`{"alg":"` + alg + `","kid":"` + es256.public.KeyID + `","typ":"auth-assertion+jwt"}`)
		expect(t, alg, f.code(header+"."+payload+"."+encode("signature")), CodeAlgorithmNotAllowed)
	}
	// An EdDSA signature presented under the ES256 key's kid.
	expect(t, "alg of another key", f.code(f.sign(t, token{key: es256, signer: eddsa})), CodeAlgorithmNotAllowed)
}

func TestRefusesAnotherTokenTypeInItsPlaceAndAcceptsTheTypeSpelledInFull(t *testing.T) {
	f := newFixture(t, false)
	for _, typ := range []string{"session+jwt", "JWT", "-"} {
		expect(t, typ, f.code(f.sign(t, token{typ: typ})), CodeClaimValidationFailed)
	}
	// RFC 7515, section 4.1.9: the same media type, as jose reads it too.
	expect(t, "in full", f.code(f.sign(t, token{typ: "application/Auth-Assertion+JWT"})), "accepted")
}

func TestRefusesAMissingAnOversizedAndAMalformedAssertion(t *testing.T) {
	f := newFixture(t, false)
	expect(t, "missing", f.code(""), CodeMissing)
	expect(t, "oversized", f.code(strings.Repeat("a", MaxLength+1)), CodeMissing)
	expect(t, "malformed", f.code("not.a.jwt"), CodeInvalid)
}

func TestRefusesAWorkloadUnlessAskedThenSaysWhichWorkloadItIs(t *testing.T) {
	people, workloads := newFixture(t, false), newFixture(t, true)
	workload := claims{"workload": "ci-main", "email": nil}
	expect(t, "without opt-in", people.code(people.sign(t, token{claims: workload})), CodeWorkload)
	identity, err := workloads.verifier.Verify(context.Background(), workloads.sign(t, token{claims: workload}))
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "workload", identity.Sub+"|"+identity.Workload+"|"+identity.Email, "1001|ci-main|")
	// A person's assertion still needs its e-mail, workloads or not.
	expect(t, "no e-mail", workloads.with(t, claims{"email": nil}), CodeClaimValidationFailed)
}

func TestRefusesOptionsThatWouldCheckNothing(t *testing.T) {
	_, err := NewVerifier(Options{JWKSURL: "file:///etc/passwd"})
	want := "ERR_OPTIONS: Issuer is required; Audience is required; JWKSURL must be an http(s) URL"
	expect(t, "options", err.Error(), want)
}
