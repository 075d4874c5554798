package assertion

import (
	"encoding/json"
	"errors"
	"time"

	"gopkg.in/square/go-jose.v2/jwt"
)

// checkedClaims applies the claim checks to a payload whose signature has been verified:
// iss, aud, sub, iat and exp present; iss and aud as expected; not expired; iat neither in the
// future nor older than MaxAge (each with ClockTolerance).
func (v *Verifier) checkedClaims(payload json.RawMessage) (map[string]interface{}, error) {
	var registered jwt.Claims
	var claims map[string]interface{}
	if json.Unmarshal(payload, &registered) != nil || json.Unmarshal(payload, &claims) != nil {
		return nil, refuse(CodeClaimValidationFailed, "malformed claims")
	}
	for _, name := range []string{"iss", "aud", "sub", "iat", "exp"} {
		if _, present := claims[name]; !present {
			return nil, refuse(CodeClaimValidationFailed, `missing required "`+name+`" claim`)
		}
	}
	if _, ok := claims["sub"].(string); !ok {
		return nil, refuse(CodeClaimValidationFailed, "sub is not a string")
	}
	// Whole seconds, as JWT times are and as jose counts them.
	now := v.now().Truncate(time.Second)
	expected := jwt.Expected{Issuer: v.options.Issuer, Audience: jwt.Audience{v.options.Audience}, Time: now}
	if err := registered.ValidateWithLeeway(expected, ClockTolerance); err != nil {
		if errors.Is(err, jwt.ErrExpired) {
			return nil, refuseBecause(CodeExpired, "expired", err)
		}
		return nil, refuseBecause(CodeClaimValidationFailed, err.Error(), err)
	}
	// go-jose lets an assertion live for exactly its exp plus the tolerance; jose (and the worker's
	// own checks) end it one second earlier. Same second, same answer as the Node verifier.
	if !now.Add(-ClockTolerance).Before(registered.Expiry.Time()) {
		return nil, refuse(CodeExpired, "expired")
	}
	if now.Sub(registered.IssuedAt.Time())-ClockTolerance > MaxAge {
		return nil, refuse(CodeExpired, `"iat" too far in the past`)
	}
	return claims, nil
}
