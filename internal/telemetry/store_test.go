package telemetry

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/storagetest"
)

func openSQLite(t *testing.T) storage.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "drawbridge.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestInstrumentedStoreConformance: the decorator passes every call and
// every answer through unchanged.
func TestInstrumentedStoreConformance(t *testing.T) {
	storagetest.RunTests(t, func(t *testing.T) storage.Store {
		return InstrumentStore(openSQLite(t), NewMetrics(nil))
	})
}

// TestInstrumentedStoreTimesEveryOperation: each method of storage.Store,
// but Ping and Close, records one sample under its own name in snake case,
// so a method added to Store cannot go untimed.
func TestInstrumentedStoreTimesEveryOperation(t *testing.T) {
	inner := openSQLite(t)
	defer inner.Close()
	storeType := reflect.TypeFor[storage.Store]()
	for j := range storeType.NumMethod() {
		method := storeType.Method(j)
		if method.Name == "Close" {
			continue // would close inner; below
		}
		m := NewMetrics(nil)
		callWithZeros(t, InstrumentStore(inner, m), method)
		ops := storeOperations(t, m)
		switch {
		case method.Name == "Ping":
			if len(ops) != 0 {
				t.Errorf("Ping recorded %v, want nothing", ops)
			}
		case len(ops) != 1 || strings.ReplaceAll(ops[0], "_", "") != strings.ToLower(method.Name):
			t.Errorf("%s recorded operations %v, want one named after it", method.Name, ops)
		}
	}
	m := NewMetrics(nil)
	if err := InstrumentStore(openSQLite(t), m).Close(); err != nil {
		t.Fatal(err)
	}
	if ops := storeOperations(t, m); len(ops) != 0 {
		t.Errorf("Close recorded %v, want nothing", ops)
	}
}

// callWithZeros calls method on s with a live context, functions that
// return zero values, and zero values for everything else. What the store
// answers does not matter: an error is timed too.
func callWithZeros(t *testing.T, s storage.Store, method reflect.Method) {
	args := make([]reflect.Value, method.Type.NumIn())
	for k := range args {
		typ := method.Type.In(k)
		switch {
		case typ == reflect.TypeFor[context.Context]():
			args[k] = reflect.ValueOf(t.Context())
		case typ.Kind() == reflect.Func:
			args[k] = reflect.MakeFunc(typ, func([]reflect.Value) []reflect.Value {
				out := make([]reflect.Value, typ.NumOut())
				for o := range out {
					out[o] = reflect.Zero(typ.Out(o))
				}
				return out
			})
		default:
			args[k] = reflect.Zero(typ)
		}
	}
	reflect.ValueOf(s).MethodByName(method.Name).Call(args)
}

// storeOperations lists the operation labels of the store histogram.
func storeOperations(t *testing.T, m *Metrics) []string {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, f := range fams {
		if f.GetName() != "drawbridge_store_operation_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "operation" {
					ops = append(ops, l.GetValue())
				}
			}
		}
	}
	return ops
}
