package telemetry

import (
	"errors"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// instrumentedStore times every storage operation into the store
// histogram, labelled with the method's name in snake case
// (RotateRefreshToken is "rotate_refresh_token"). Its methods are
// generated, one per method of storage.Store, into store_gen.go: a method
// added to Store is timed as soon as the file is regenerated, and until
// then this package does not compile. Ping and Close are passed through
// untimed: a health check and a shutdown are not storage operations.
//
//go:generate go run ./internal/storegen -o store_gen.go
type instrumentedStore struct {
	s storage.Store
	m *Metrics
}

var _ storage.Store = (*instrumentedStore)(nil)

// InstrumentStore returns s with every operation timed into m.
func InstrumentStore(s storage.Store, m *Metrics) storage.Store {
	if m == nil {
		return s
	}
	return &instrumentedStore{s: s, m: m}
}

// observe treats "not found" and the other expected sentinels as success:
// they are answers, not failures of the store.
func (i *instrumentedStore) observe(op string, start time.Time, err error) {
	if err != nil && (errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrAlreadyExists) ||
		errors.Is(err, storage.ErrAlreadyUsed) || errors.Is(err, storage.ErrReused) || errors.Is(err, storage.ErrRevoked)) {
		err = nil
	}
	i.m.ObserveStore(op, start, err)
}
