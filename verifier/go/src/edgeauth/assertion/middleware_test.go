package assertion

import (
	"bytes"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// serve runs one request through the middleware; seen collects the identities the app was given.
func serve(f *fixture, assertions []string, seen *[]*Identity) *httptest.ResponseRecorder {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		identity, _ := IdentityFrom(r.Context())
		*seen = append(*seen, identity)
		w.WriteHeader(http.StatusNoContent)
	})
	request := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, assertion := range assertions {
		request.Header.Add(Header, assertion)
	}
	recorder := httptest.NewRecorder()
	f.verifier.Middleware(app).ServeHTTP(recorder, request)
	return recorder
}

func captureLog(t *testing.T) *bytes.Buffer {
	var buffer bytes.Buffer
	log.SetOutput(&buffer)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	return &buffer
}

func TestMiddlewarePassesAVerifiedRequestWithItsIdentity(t *testing.T) {
	f := newFixture(t, false)
	var seen []*Identity
	response := serve(f, []string{f.sign(t, token{})}, &seen)
	expect(t, "status", response.Code, http.StatusNoContent)
	if len(seen) != 1 || seen[0].Sub != "1001" || seen[0].Email != "ada@example.com" {
		t.Fatalf("the app was given %+v", seen)
	}
}

func TestMiddlewareRefusesTheRestWith401AndABodyThatSaysNothingAboutWhy(t *testing.T) {
	f := newFixture(t, false)
	logged := captureLog(t)
	good := f.sign(t, token{})
	var seen []*Identity
	for name, assertions := range map[string][]string{
		"missing":    nil,
		"duplicated": {good, good},
		"forged":     {f.sign(t, token{signer: newKey(t, "ES256")})},
		"workload":   {f.sign(t, token{claims: claims{"workload": "ci-main"}})},
	} {
		response := serve(f, assertions, &seen)
		expect(t, name, response.Code, http.StatusUnauthorized)
		expect(t, name+" body", response.Body.String(), `{"error":"unauthorized"}`+"\n")
	}
	if len(seen) != 0 {
		t.Errorf("the app was called %d times", len(seen))
	}
	for _, code := range []string{CodeMissing, CodeSignature, CodeWorkload} {
		if !strings.Contains(logged.String(), "X-Auth-Assertion refused: "+code) {
			t.Errorf("no %s in the log: %s", code, logged)
		}
	}
}

func TestMiddlewareAnswers503WhenTheWorkerKeysCannotBeFetched(t *testing.T) {
	f := newFixture(t, false)
	captureLog(t)
	f.worker.mu.Lock()
	f.worker.down = true
	f.worker.mu.Unlock()
	var seen []*Identity
	response := serve(f, []string{f.sign(t, token{})}, &seen)
	expect(t, "status", response.Code, http.StatusServiceUnavailable)
	expect(t, "Retry-After", response.Header().Get("Retry-After"), "30")
	expect(t, "calls", len(seen), 0)
}
