package postgres

import (
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/storagetest"
)

// BenchmarkAppendAudit: see storagetest.BenchmarkAppendAudit.
func BenchmarkAppendAudit(b *testing.B) {
	storagetest.BenchmarkAppendAudit(b, func(tb testing.TB) storage.Store { return open(tb, newDatabase(tb)) })
}
