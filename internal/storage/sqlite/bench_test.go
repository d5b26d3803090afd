package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/storagetest"
)

// BenchmarkAppendAudit measures the audit trail's cost per record and its
// allocations per record (storagetest.BenchmarkAppendAudit).
func BenchmarkAppendAudit(b *testing.B) {
	storagetest.BenchmarkAppendAudit(b, func(tb testing.TB) storage.Store {
		s, err := Open(context.Background(), filepath.Join(tb.TempDir(), "db.sqlite"))
		if err != nil {
			tb.Fatal(err)
		}
		return s
	})
}

// BenchmarkRedeemConcurrent measures the store's part of the token
// endpoint's worst moment in go run ./bench: 50 codes redeemed at once,
// each with a grant and a refresh token. It reports the latencies of the
// redemptions of every round (p50, p99) and the time per redemption.
func BenchmarkRedeemConcurrent(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "db.sqlite"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const flows = 50
	now := time.Now()
	var lat []time.Duration
	for round := 0; b.Loop(); round++ {
		b.StopTimer()
		for i := range flows {
			id := fmt.Sprintf("%d-%d", round, i)
			if err := s.CreateAuthCode(ctx, storage.AuthCode{Hash: "code-" + id, GrantID: "grant-" + id, ClientID: "c",
				Scopes: []string{"a", "b"}, ExpiresAt: now.Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		var wg sync.WaitGroup
		var mu sync.Mutex
		start := make(chan struct{})
		for i := range flows {
			id := fmt.Sprintf("%d-%d", round, i)
			wg.Go(func() {
				<-start
				t0 := time.Now()
				_, err := s.RedeemAuthCode(ctx, storage.Redemption{Hash: "code-" + id, Now: now,
					Issue: func(c storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
						return storage.Grant{ID: c.GrantID, ClientID: c.ClientID, Scopes: c.Scopes, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
							&storage.RefreshToken{Hash: "rt-" + id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil
					}})
				d := time.Since(t0)
				if err != nil {
					b.Error(err)
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*flows)/1e6, "ms/redemption")
}
