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
	f.clock = f.clock.Add(3601 * time.Second)
	expect(t, "nothing usable", f.code(f.sign(t, token{key: newKey(t, jose.ES256)})), CodeKeySetUnavailable)
}

func (w *signingWorker) setDown(down bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.down = down
}

func TestSaysTheKeySetIsUnavailableWhenItCannotBeFetchedAndTriesAgainAfter30Seconds(t *testing.T) {
	f := newFixture(t, false)
	f.worker.setDown(true)
	expect(t, "down", f.code(f.sign(t, token{})), CodeKeySetUnavailable)
	f.worker.setDown(false)
	f.clock = f.clock.Add(31 * time.Second)
	expect(t, "back", f.code(f.sign(t, token{})), "accepted")
}

func TestCountsAFailedFetchInTheCooldownSoForgedKidsCannotStartOneEach(t *testing.T) {
	f := newFixture(t, false)
	expect(t, "first", f.code(f.sign(t, token{})), "accepted")
	f.worker.setDown(true)
	f.clock = f.clock.Add(31 * time.Second)
	for i := 0; i < 20; i++ {
		expect(t, "stranger", f.code(f.sign(t, token{key: newKey(t, jose.ES256)})), CodeNoMatchingKey)
	}
	expect(t, "fetches", strconv.Itoa(f.worker.fetches()), "2")
	expect(t, "valid", f.code(f.sign(t, token{})), "accepted")
	f.clock = f.clock.Add(31 * time.Second)
	expect(t, "stranger later", f.code(f.sign(t, token{key: newKey(t, jose.ES256)})), CodeNoMatchingKey)
	expect(t, "fetches later", strconv.Itoa(f.worker.fetches()), "3")
}

func TestWithNoKeysYetAFailedFetchAnswersAtOnceUntilTheCooldownEnds(t *testing.T) {
	f := newFixture(t, false)
	f.worker.setDown(true)
	for i := 0; i < 10; i++ {
		expect(t, "down", f.code(f.sign(t, token{})), CodeKeySetUnavailable)
	}
	expect(t, "fetches", strconv.Itoa(f.worker.fetches()), "1")
	f.worker.setDown(false)
	f.clock = f.clock.Add(31 * time.Second)
	expect(t, "back", f.code(f.sign(t, token{})), "accepted")
	expect(t, "fetches when back", strconv.Itoa(f.worker.fetches()), "2")
}

func TestASlowKeySetStallsOnlyTheFetchNotTheAssertionsItCanAlreadyVerify(t *testing.T) {
	f := newFixture(t, false)
	expect(t, "first", f.code(f.sign(t, token{})), "accepted")
	valid, stranger := f.sign(t, token{}), f.sign(t, token{key: newKey(t, jose.ES256)})
	f.clock = f.clock.Add(31 * time.Second)
	arrived := f.worker.stall()
	fetching := make(chan string, 1)
	go func() { fetching <- f.code(stranger) }()
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the refetch for the unknown kid never arrived")
	}
	verifying := make(chan string, 1)
	go func() { verifying <- f.code(valid) }()
	select {
	case code := <-verifying:
		// Before the refetch is let go: a valid assertion never waits for it.
		expect(t, "valid during the refetch", code, "accepted")
	case <-time.After(2 * time.Second):
		t.Error("a valid assertion waited for the refetch of an unknown kid")
	}
	f.worker.release()
	expect(t, "stranger", <-fetching, CodeNoMatchingKey)
}

func TestKeepsTheLastKeysForAnHourWhileTheKeySetCannotBeFetched(t *testing.T) {
	f := newFixture(t, false)
	fetchedAt := f.clock
	expect(t, "first", f.code(f.sign(t, token{})), "accepted")
	f.worker.setDown(true)
	f.clock = f.clock.Add(601 * time.Second)
	expect(t, "after 10 minutes", f.code(f.sign(t, token{})), "accepted")
	expect(t, "fetches after 10 minutes", strconv.Itoa(f.worker.fetches()), "2")
	f.clock = f.clock.Add(10 * time.Second)
	expect(t, "within the cooldown", f.code(f.sign(t, token{})), "accepted")
	expect(t, "fetches within the cooldown", strconv.Itoa(f.worker.fetches()), "2")
	f.clock = f.clock.Add(31 * time.Second)
	expect(t, "after the cooldown", f.code(f.sign(t, token{})), "accepted")
	expect(t, "fetches after the cooldown", strconv.Itoa(f.worker.fetches()), "3")
	f.clock = fetchedAt.Add(3599 * time.Second)
	expect(t, "just under an hour", f.code(f.sign(t, token{})), "accepted")
	f.clock = fetchedAt.Add(3601 * time.Second)
	expect(t, "an hour on", f.code(f.sign(t, token{})), CodeKeySetUnavailable)
	f.worker.setDown(false)
	f.clock = f.clock.Add(31 * time.Second)
	expect(t, "back", f.code(f.sign(t, token{})), "accepted")
}
