package dpop_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/dpoptest"
)

// BenchmarkDPoPVerify is what a proof check adds to a request at the
// gateway, beside tokens' BenchmarkVerify (run both at once: go test
// -bench Verify ./internal/tokens ./internal/dpop). "memory" is the check
// itself (parse, ES256 signature, claims, ath) with jti replay in memory;
// "sqlite" records each jti in SQLite, as a single replica does.
func BenchmarkDPoPVerify(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		name   string
		replay dpop.Replay
	}{{"memory", &memReplay{}}, {"sqlite", st}} {
		b.Run(tc.name, func(b *testing.B) {
			c := dpoptest.New(b)
			c.Now = func() time.Time { return t0 }
			ch := &dpop.Checker{Replay: tc.replay, Now: c.Now}
			const token = "eyJhbGciOiJFUzI1NiJ9.an-access-token.signature"
			proofs := make([]string, 512)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if i%len(proofs) == 0 {
					// Each proof is new (its own jti); signing them is the
					// client's work, not timed.
					b.StopTimer()
					for j := range proofs {
						proofs[j] = c.Proof(b, http.MethodPost, mcpURL, dpoptest.Options{Token: token})
					}
					b.StartTimer()
				}
				req := dpop.Request{Header: []string{proofs[i%len(proofs)]}, Method: http.MethodPost, URL: mcpURL, AccessToken: token}
				if _, err := ch.Check(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
