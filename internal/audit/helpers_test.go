package audit_test

import (
	"io"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

type ioWriter = io.Writer

func storageFilter() storage.AuditFilter { return storage.AuditFilter{} }
