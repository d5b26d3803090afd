package tokens_test

import (
	"testing"
	"time"
)

// BenchmarkMint is the cost of one access token at the token endpoint,
// a fresh jti each time as in production.
func BenchmarkMint(b *testing.B) {
	f := newFixture(b)
	c := f.claims()
	c.AuthTime = f.now.Add(-time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.keys.Mint(c); err != nil {
			b.Fatal(err)
		}
	}
}
