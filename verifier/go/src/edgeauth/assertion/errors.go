package assertion

// Why an assertion was refused, as stable codes: the same as the Node verifier's
// (verifier/verify-assertion.mjs), which are jose's. Switch on Code, never on the message.
const (
	CodeMissing               = "ERR_ASSERTION_MISSING"
	CodeWorkload              = "ERR_ASSERTION_WORKLOAD" // a workload's, and Options.Workloads is false
	CodeInvalid               = "ERR_JWS_INVALID"
	CodeAlgorithmNotAllowed   = "ERR_JOSE_ALG_NOT_ALLOWED"
	CodeNoMatchingKey         = "ERR_JWKS_NO_MATCHING_KEY"
	CodeSignature             = "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
	CodeExpired               = "ERR_JWT_EXPIRED"
	CodeClaimValidationFailed = "ERR_JWT_CLAIM_VALIDATION_FAILED"
	// CodeKeySetUnavailable: the worker's key set could not be fetched; not the caller's fault.
	CodeKeySetUnavailable = "ERR_JWKS_UNAVAILABLE"
)

// Error is a refused assertion. Its message never holds the token.
type Error struct {
	Code    string
	Message string
	cause   error
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap gives the library error behind this one, if any.
func (e *Error) Unwrap() error { return e.cause }

func refuse(code, message string) *Error { return &Error{Code: code, Message: message} }

func refuseBecause(code, message string, cause error) *Error {
	return &Error{Code: code, Message: message, cause: cause}
}
