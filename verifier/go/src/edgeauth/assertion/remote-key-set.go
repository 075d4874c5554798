package assertion

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "gopkg.in/square/go-jose.v2"
)

// The worker's key set is kept 10 minutes and refetched for an unknown kid (key rotation) at most
// once per 30 seconds, counting failed attempts too, so that made-up kids cannot turn every request
// into a fetch, even while the key set is down. A fetch is given up after 5 seconds; a key set is a
// few hundred bytes, so more than 64 KiB is refused. When refetching fails, the last keys fetched
// keep verifying until an hour after that fetch: a key-set outage does not refuse every assertion
// at once.
const (
	keysMaxAge       = 10 * time.Minute
	keysCooldown     = 30 * time.Second
	keysFetchTimeout = 5 * time.Second
	keysMaxBytes     = 64 << 10
	keysMaxStale     = time.Hour
)

// remoteKeySet is the worker's /.well-known/jwks.json. Safe for concurrent use. A fetch runs
// outside the lock: while one is under way, other requests go on with the keys held, and wait for
// it only when there are none yet.
type remoteKeySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu          sync.Mutex
	keys        []jose.JSONWebKey
	fetchedAt   time.Time
	attemptedAt time.Time
	lastErr     error
	fetching    chan struct{} // closed when the fetch under way ends; nil when none is
}

// key finds the public key with this kid, refetching the set once if it is not there.
func (s *remoteKeySet) key(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	for _, refresh := range []bool{false, true} {
		keys, err := s.current(ctx, refresh)
		if err != nil {
			return nil, err
		}
		for i := range keys {
			if kid != "" && keys[i].KeyID == kid {
				return &keys[i], nil
			}
		}
	}
	return nil, refuse(CodeNoMatchingKey, "no key in the worker's set has this kid")
}

// held is the keys last fetched while they may still verify (keysMaxStale). Called with mu held.
func (s *remoteKeySet) held(now time.Time) []jose.JSONWebKey {
	if s.keys != nil && now.Sub(s.fetchedAt) < keysMaxStale {
		return s.keys
	}
	return nil
}

func (s *remoteKeySet) current(ctx context.Context, refresh bool) ([]jose.JSONWebKey, error) {
	for {
		s.mu.Lock()
		now := s.now()
		held := s.held(now)
		if held != nil && !refresh && now.Sub(s.fetchedAt) < keysMaxAge {
			s.mu.Unlock()
			return held, nil
		}
		cooling := !s.attemptedAt.IsZero() && now.Sub(s.attemptedAt) < keysCooldown
		if !cooling && s.fetching == nil {
			done := make(chan struct{})
			s.attemptedAt, s.fetching = now, done
			s.mu.Unlock()
			// Not the request's context: its client going away must not count as the key set failing
			// for everyone else (fetch applies its own timeout).
			return s.fetchOutsideLock(context.Background(), done)
		}
		waiting, lastErr := s.fetching, s.lastErr
		s.mu.Unlock()
		if held != nil {
			return held, nil
		}
		if waiting == nil {
			return nil, refuseBecause(CodeKeySetUnavailable, "could not fetch the worker's key set", lastErr)
		}
		// No keys at all yet: this request needs the fetch another one started.
		select {
		case <-waiting:
		case <-ctx.Done():
			return nil, refuseBecause(CodeKeySetUnavailable, "gave up waiting for the worker's key set", ctx.Err())
		}
	}
}

func (s *remoteKeySet) fetchOutsideLock(ctx context.Context, done chan struct{}) ([]jose.JSONWebKey, error) {
	keys, err := s.fetch(ctx)
	s.mu.Lock()
	if err == nil {
		s.keys, s.fetchedAt, s.lastErr = keys, s.now(), nil
	} else {
		s.lastErr = err
	}
	s.fetching = nil
	held := s.held(s.now())
	s.mu.Unlock()
	close(done)
	if held == nil {
		return nil, refuseBecause(CodeKeySetUnavailable, "could not fetch the worker's key set", err)
	}
	return held, nil
}

func (s *remoteKeySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, keysFetchTimeout)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	request.Header.Set("Accept", "application/json")
	response, err := s.client.Do(request)
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("key set answered %d", response.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(response.Body, keysMaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > keysMaxBytes {
		return nil, fmt.Errorf("key set larger than %d bytes", keysMaxBytes)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, err
	}
	keys := []jose.JSONWebKey{}
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		// A key this library cannot read, or a private one, verifies nothing here: skip it.
		if json.Unmarshal(raw, &key) == nil && key.Valid() && key.IsPublic() && (key.Use == "" || key.Use == "sig") {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("key set holds no usable public key")
	}
	return keys, nil
}
