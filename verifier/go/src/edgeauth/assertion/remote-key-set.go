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
// once per 30 seconds, so that made-up kids cannot turn every request into a fetch (jose's remote
// key set in Node has the same bounds). A fetch is given up after 5 seconds; a key set is a few
// hundred bytes, so more than 64 KiB is refused.
const (
	keysMaxAge       = 10 * time.Minute
	keysCooldown     = 30 * time.Second
	keysFetchTimeout = 5 * time.Second
	keysMaxBytes     = 64 << 10
)

// remoteKeySet is the worker's /.well-known/jwks.json. Safe for concurrent use.
type remoteKeySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu        sync.Mutex
	keys      []jose.JSONWebKey
	fetchedAt time.Time
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

func (s *remoteKeySet) current(ctx context.Context, refresh bool) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys != nil {
		limit := keysMaxAge
		if refresh {
			limit = keysCooldown
		}
		if s.now().Sub(s.fetchedAt) < limit {
			return s.keys, nil
		}
	}
	keys, err := s.fetch(ctx)
	if err != nil {
		return nil, refuseBecause(CodeKeySetUnavailable, "could not fetch the worker's key set", err)
	}
	s.keys, s.fetchedAt = keys, s.now()
	return keys, nil
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
