// Package assertion verifies the X-Auth-Assertion header that edge-auth-worker adds to every
// authenticated request, with go-jose v2: the same checks as the Node verifier
// (verifier/verify-assertion.mjs). Copy this directory into your origin, or build against it.
//
// Why: the X-Auth-User-* headers are only trustworthy when the origin can be reached through the
// worker alone. If it can be reached any other way, verify the assertion on every request.
package assertion

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	jose "gopkg.in/square/go-jose.v2"
	"gopkg.in/square/go-jose.v2/jwt"
)

const (
	// Header is the request header the worker sends the assertion in.
	Header = "X-Auth-Assertion"
	// Type is the assertion's JWT "typ": no other token the worker signs (its session tokens) has it.
	Type = "auth-assertion+jwt"
	// MaxLength: longer is not the worker's (an ES256 assertion is about 500 bytes).
	MaxLength = 4096
	// ClockTolerance is the skew allowed between the worker and this origin (exp, iat, nbf).
	ClockTolerance = 30 * time.Second
	// MaxAge: the worker's assertions live 5 minutes; an older iat is refused whatever exp says.
	MaxAge = 5 * time.Minute
)

// Options say which worker's assertions to accept.
type Options struct {
	JWKSURL  string // the worker's key set: PUBLIC_URL + "/.well-known/jwks.json"
	Issuer   string // the worker's public origin (PUBLIC_URL), e.g. "https://app.example.com"
	Audience string // ORIGIN_AUDIENCE (default: your ORIGIN_URL's origin)
	// Workloads also accepts a workload's assertion (a CI job, a service account:
	// TRUSTED_WORKLOADS). Off by default, so code written for people never takes a machine for one.
	Workloads bool
	// HTTPClient fetches the key set; default: http.DefaultClient (each fetch times out after 5 s).
	HTTPClient *http.Client
}

// Identity is who a verified assertion is for. Email is always set for a person; Workload (its
// TRUSTED_WORKLOADS name) only for a workload, whose Email is set only when it was verified.
type Identity struct {
	Sub      string                 `json:"sub"`
	Email    string                 `json:"email,omitempty"`
	HD       string                 `json:"hd,omitempty"`
	Groups   []string               `json:"groups,omitempty"`
	Workload string                 `json:"workload,omitempty"`
	Claims   map[string]interface{} `json:"-"`
}

// Verifier checks assertions for one worker; make one per process (it caches the worker's keys).
type Verifier struct {
	options Options
	keys    *remoteKeySet
	now     func() time.Time
}

// NewVerifier checks the options, listing every problem at once.
func NewVerifier(options Options) (*Verifier, error) {
	var problems []string
	for _, option := range []struct{ name, value string }{
		{"JWKSURL", options.JWKSURL}, {"Issuer", options.Issuer}, {"Audience", options.Audience},
	} {
		if option.value == "" {
			problems = append(problems, option.name+" is required")
		}
	}
	web := strings.HasPrefix(options.JWKSURL, "https://") || strings.HasPrefix(options.JWKSURL, "http://")
	if options.JWKSURL != "" && !web {
		problems = append(problems, "JWKSURL must be an http(s) URL")
	}
	if len(problems) > 0 {
		return nil, &Error{Code: "ERR_OPTIONS", Message: strings.Join(problems, "; ")}
	}
	client := options.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	v := &Verifier{options: options, now: time.Now}
	v.keys = &remoteKeySet{url: options.JWKSURL, client: client, now: func() time.Time { return v.now() }}
	return v, nil
}

// Verify checks one X-Auth-Assertion value. A refusal is an *Error with a Code.
func (v *Verifier) Verify(ctx context.Context, assertion string) (*Identity, error) {
	if assertion == "" || len(assertion) > MaxLength {
		return nil, refuse(CodeMissing, "no X-Auth-Assertion header")
	}
	claims, err := v.verifiedClaims(ctx, assertion)
	if err != nil {
		return nil, err
	}
	sub, _ := claims["sub"].(string)
	email, hasEmail := claims["email"].(string)
	if workload, present := claims["workload"]; present {
		if !v.options.Workloads {
			return nil, refuse(CodeWorkload, "a workload's assertion (Options.Workloads accepts them)")
		}
		name, ok := workload.(string)
		if !ok {
			return nil, refuse(CodeClaimValidationFailed, "workload is not a string")
		}
		return &Identity{Sub: sub, Email: email, Workload: name, Claims: claims}, nil
	}
	if !hasEmail {
		return nil, refuse(CodeClaimValidationFailed, "assertion without e-mail")
	}
	hd, _ := claims["hd"].(string)
	return &Identity{Sub: sub, Email: email, HD: hd, Groups: stringsOf(claims["groups"]), Claims: claims}, nil
}

func (v *Verifier) verifiedClaims(ctx context.Context, assertion string) (map[string]interface{}, error) {
	token, err := jwt.ParseSigned(assertion)
	if err != nil || len(token.Headers) != 1 {
		return nil, refuseBecause(CodeInvalid, "not a compact JWS", err)
	}
	header := token.Headers[0]
	if header.Algorithm != string(jose.ES256) && header.Algorithm != string(jose.EdDSA) {
		return nil, refuse(CodeAlgorithmNotAllowed, "algorithm not allowed")
	}
	key, err := v.keys.key(ctx, header.KeyID)
	if err != nil {
		return nil, err
	}
	if algorithmOf(key) != header.Algorithm {
		return nil, refuse(CodeAlgorithmNotAllowed, "algorithm does not match the key")
	}
	var payload json.RawMessage
	if err := token.Claims(key, &payload); err != nil {
		return nil, refuseBecause(CodeSignature, "signature verification failed", err)
	}
	if typ, _ := header.ExtraHeaders[jose.HeaderType].(string); normalizedType(typ) != normalizedType(Type) {
		return nil, refuse(CodeClaimValidationFailed, `unexpected "typ" JWT header value`)
	}
	return v.checkedClaims(payload)
}

// algorithmOf is the one algorithm a key may verify with (RFC 8725, section 3.1), from the key
// itself, and from its "alg" when it has one.
func algorithmOf(key *jose.JSONWebKey) string {
	var algorithm string
	switch public := key.Key.(type) {
	case *ecdsa.PublicKey:
		if public.Curve == elliptic.P256() {
			algorithm = string(jose.ES256)
		}
	case ed25519.PublicKey:
		algorithm = string(jose.EdDSA)
	}
	if key.Algorithm != "" && key.Algorithm != algorithm {
		return ""
	}
	return algorithm
}

// normalizedType reads "typ" as a media type (RFC 7515, section 4.1.9): "application/" may be left
// out, and case does not matter. A missing typ matches nothing.
func normalizedType(typ string) string {
	lowered := strings.ToLower(typ)
	if typ == "" || strings.Contains(lowered, "/") {
		return lowered
	}
	return "application/" + lowered
}

func stringsOf(value interface{}) []string {
	list, _ := value.([]interface{})
	out := make([]string, 0, len(list))
	for _, item := range list {
		text, ok := item.(string)
		if !ok {
			return nil
		}
		out = append(out, text)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
