package postgres

import (
	"fmt"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage/storagetest"
)

// BenchmarkAppendAudit: see storagetest.BenchmarkAppendAudit.
func BenchmarkAppendAudit(b *testing.B) {
	for _, n := range []int{256, 64} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			s := open(b, newDatabase(b))
			defer s.Close()
			storagetest.BenchmarkAppendAudit(b, s, n)
		})
	}
}
