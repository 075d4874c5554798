// A minimal origin behind edge-auth-worker that trusts nobody: every request must carry a valid
// X-Auth-Assertion, and the answer is the verified identity as JSON. Run, from verifier/go:
//
//	WORKER_URL=https://app.example.com AUDIENCE=https://origin.example.com PORT=3000 \
//	  GO111MODULE=off GOPATH=/usr/share/gocode:$PWD go run edgeauth/example-origin
//
// WORKER_URL is the worker's public origin (PUBLIC_URL), AUDIENCE its ORIGIN_AUDIENCE. PORT=0 picks
// a free port; either way the first line printed is "listening on http://HOST:PORT".
// ACCEPT_WORKLOADS=1 also lets machine callers (TRUSTED_WORKLOADS) through.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"edgeauth/assertion"
)

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// whoami is the app: it only ever runs with a verified identity (the middleware saw to that).
func whoami(w http.ResponseWriter, r *http.Request) {
	identity, _ := assertion.IdentityFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "private, no-store")
	_ = json.NewEncoder(w).Encode(identity)
}

func main() {
	workerURL := strings.TrimRight(env("WORKER_URL", "http://localhost:8787"), "/")
	host, port := env("HOST", "127.0.0.1"), env("PORT", "3000")
	verifier, err := assertion.NewVerifier(assertion.Options{
		JWKSURL:   workerURL + "/.well-known/jwks.json",
		Issuer:    workerURL,
		Audience:  env("AUDIENCE", "http://127.0.0.1:"+port),
		Workloads: os.Getenv("ACCEPT_WORKLOADS") == "1",
	})
	if err != nil {
		log.Fatal(err)
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", listener.Addr())
	server := &http.Server{Handler: verifier.Middleware(http.HandlerFunc(whoami)), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(server.Serve(listener))
}
