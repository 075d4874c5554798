package assertion

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	jose "gopkg.in/square/go-jose.v2"
)

func TestFetchesOnceAndRefetchesForUnknownKidsAtMostOncePer30Seconds(t *testing.T) {
	f := newFixture(t, false)
	expect(t, "first", f.code(f.sign(t, token{})), "accepted")
	stranger := f.sign(t, token{key: newKey(t, jose.ES256)})
	for i := 0; i < 20; i++ {
		expect(t, "stranger", f.code(stranger), CodeNoMatchingKey)
	}
	expect(t, "fetches", strconv.Itoa(f.worker.fetches()), "1")
	f.clock = f.clock.Add(31 * time.Second)
	expect(t, "stranger later", f.code(stranger), CodeNoMatchingKey)
	expect(t, "fetches later", strconv.Itoa(f.worker.fetches()), "2")
}

func TestFindsAKeyRotatedInAndRefetchesTheSetAfter10Minutes(t *testing.T) {
	f := newFixture(t, false)
	expect(t, "first", f.code(f.sign(t, token{})), "accepted")
	rotated := newKey(t, jose.EdDSA)
	f.worker.mu.Lock()
	f.worker.keys = append([]*testKey{rotated}, f.worker.keys...)
	f.worker.mu.Unlock()
	f.clock = f.clock.Add(31 * time.Second)
	expect(t, "rotated", f.code(f.sign(t, token{key: rotated})), "accepted")
	f.clock = f.clock.Add(599 * time.Second)
	expect(t, "cached", f.code(f.sign(t, token{})), "accepted")
	expect(t, "fetches", strconv.Itoa(f.worker.fetches()), "2")
	f.clock = f.clock.Add(2 * time.Second)
	expect(t, "after 10 minutes", f.code(f.sign(t, token{})), "accepted")
	expect(t, "fetches after 10 minutes", strconv.Itoa(f.worker.fetches()), "3")
}

func TestSkipsAKeyItCannotReadAndUsesTheOthers(t *testing.T) {
	f := newFixture(t, false)
	f.worker.mu.Lock()
	f.worker.extra = []json.RawMessage{
		json.RawMessage(`{"kty":"EC","crv":"P-256","x":"not-a-point","y":"not-a-point","kid":"odd","use":"sig"}`),
		json.RawMessage(`{"kty":"unknown","kid":"odder"}`),
	}
	f.worker.mu.Unlock()
	for _, key := range f.worker.keys {
		expect(t, string(key.alg), f.code(f.sign(t, token{key: key})), "accepted")
	}
	f.worker.mu.Lock()
	f.worker.keys = nil
	f.worker.mu.Unlock()
	f.clock = f.clock.Add(601 * time.Second)
	expect(t, "nothing usable", f.code(f.sign(t, token{key: newKey(t, jose.ES256)})), CodeKeySetUnavailable)
}

func TestSaysTheKeySetIsUnavailableWhenItCannotBeFetched(t *testing.T) {
	f := newFixture(t, false)
	f.worker.mu.Lock()
	f.worker.down = true
	f.worker.mu.Unlock()
	expect(t, "down", f.code(f.sign(t, token{})), CodeKeySetUnavailable)
	f.worker.mu.Lock()
	f.worker.down = false
	f.worker.mu.Unlock()
	expect(t, "back", f.code(f.sign(t, token{})), "accepted")
}
