package assertion

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "gopkg.in/square/go-jose.v2"
	"gopkg.in/square/go-jose.v2/jwt"
)

const (
	issuer   = "https://app.example.com"
	audience = "https://origin.example.com"
)

// testKey is a signing key of the worker's kind, with its public JWK as the worker publishes it.
type testKey struct {
	alg     jose.SignatureAlgorithm
	private interface{}
	public  jose.JSONWebKey
}

func newKey(t *testing.T, alg jose.SignatureAlgorithm) *testKey {
	t.Helper()
	var private, public interface{}
	if alg == jose.ES256 {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		private, public = key, &key.PublicKey
	} else {
		pub, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		private, public = key, pub
	}
	kid := make([]byte, 4)
	_, _ = rand.Read(kid)
	jwk := jose.JSONWebKey{Key: public, KeyID: "test-" + hex.EncodeToString(kid), Algorithm: string(alg), Use: "sig"}
	return &testKey{alg: alg, private: private, public: jwk}
}

// signingWorker is the worker's side, for the tests: its public keys served as a JWK Set over real
// HTTP on 127.0.0.1 (fetches counted), and assertions signed with its keys.
type signingWorker struct {
	mu      sync.Mutex
	keys    []*testKey
	extra   []json.RawMessage // published before the keys: JWKs as written, readable or not
	hits    int
	down    bool
	held    chan struct{} // while set, every answer waits until it is closed (stall, release)
	arrived chan struct{} // closed by the first fetch after stall
	url     string
}

// stall holds every answer until release, as a slow worker would; arrived is closed once a fetch
// is waiting.
func (w *signingWorker) stall() (arrived <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.held, w.arrived = make(chan struct{}), make(chan struct{})
	return w.arrived
}

func (w *signingWorker) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held != nil {
		close(w.held)
		w.held = nil
	}
}

func newSigningWorker(t *testing.T) *signingWorker {
	w := &signingWorker{keys: []*testKey{newKey(t, jose.ES256), newKey(t, jose.EdDSA)}}
	server := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		w.mu.Lock()
		w.hits++
		held, arrived := w.held, w.arrived
		if held != nil {
			w.arrived = nil
		}
		w.mu.Unlock()
		if held != nil {
			if arrived != nil {
				close(arrived)
			}
			<-held
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.down {
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		set := struct {
			Keys []interface{} `json:"keys"`
		}{}
		for _, raw := range w.extra {
			set.Keys = append(set.Keys, raw)
		}
		for _, key := range w.keys {
			set.Keys = append(set.Keys, key.public)
		}
		_ = json.NewEncoder(rw).Encode(set)
	}))
	t.Cleanup(server.Close)
	t.Cleanup(w.release) // before the server closes: cleanups run last first
	w.url = server.URL + "/.well-known/jwks.json"
	return w
}

func (w *signingWorker) fetches() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hits
}

// claims is a JWT's payload, as the tests write it.
type claims = map[string]interface{}

// token says how an assertion differs from the worker's own: each field changes one thing.
type token struct {
	key    *testKey                // whose kid is in the header (default: the first key)
	signer *testKey                // who really signs (a forgery when not key)
	alg    jose.SignatureAlgorithm // default: the signer's
	typ    string                  // default Type; "-" leaves typ out
	claims claims                  // on top of iss, aud, sub, iat, exp and email; nil deletes
}

func (w *signingWorker) sign(t *testing.T, now time.Time, tok token) string {
	t.Helper()
	if tok.key == nil {
		tok.key = w.keys[0]
	}
	if tok.signer == nil {
		tok.signer = tok.key
	}
	if tok.alg == "" {
		tok.alg = tok.signer.alg
	}
	options := &jose.SignerOptions{}
	if tok.typ != "-" {
		typ := tok.typ
		if typ == "" {
			typ = Type
		}
		options = options.WithType(jose.ContentType(typ))
	}
	signWith := jose.JSONWebKey{Key: tok.signer.private, KeyID: tok.key.public.KeyID}
	signingKey := jose.SigningKey{Algorithm: tok.alg, Key: signWith}
	signer, err := jose.NewSigner(signingKey, options)
	if err != nil {
		t.Fatal(err)
	}
	payload := claims{"iss": issuer, "aud": audience, "sub": "1001", "email": "ada@example.com"}
	payload["iat"], payload["exp"] = now.Unix(), now.Unix()+300
	for name, value := range tok.claims {
		if value == nil {
			delete(payload, name)
		} else {
			payload[name] = value
		}
	}
	serialized, err := jwt.Signed(signer).Claims(payload).CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return serialized
}
