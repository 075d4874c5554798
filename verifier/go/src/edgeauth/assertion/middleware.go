package assertion

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"strconv"
)

// RetryAfterSeconds is what a caller is told to wait when the worker's key set could not be fetched.
const RetryAfterSeconds = 30

type identityKey struct{}

// Middleware lets a request through only with a valid X-Auth-Assertion, its Identity in the
// request's context (IdentityFrom). Otherwise: 401, or 503 when the worker's keys could not be
// fetched. The reason goes to the log only; the body says nothing about why.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assertion := ""
		// Two assertions are no assertion.
		if values := r.Header.Values(Header); len(values) == 1 {
			assertion = values[0]
		}
		identity, err := v.Verify(r.Context(), assertion)
		if err != nil {
			refuseRequest(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, identity)))
	})
}

// IdentityFrom is the Identity Middleware verified for this request's context.
func IdentityFrom(ctx context.Context) (*Identity, bool) {
	identity, ok := ctx.Value(identityKey{}).(*Identity)
	return identity, ok
}

func refuseRequest(w http.ResponseWriter, err error) {
	code := "ERR_UNKNOWN"
	var refused *Error
	if errors.As(err, &refused) {
		code = refused.Code
	}
	log.Printf("X-Auth-Assertion refused: %s", code)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	status, message := http.StatusUnauthorized, "unauthorized"
	if code == CodeKeySetUnavailable {
		status, message = http.StatusServiceUnavailable, "cannot verify the request now"
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": message})
}
