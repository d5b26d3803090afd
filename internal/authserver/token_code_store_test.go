package authserver

import (
	"maps"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
)

// TestCodeRedemptionStoreCalls: redeeming a code writes the store once.
// The code's consumption and the grant with its refresh token are one
// transaction, so that no crash can leave a used code without its grant,
// and so that concurrent redemptions queue for one commit each on a store
// with one writer (SQLite). Reads are allowed: they do not queue there.
// The store calls are counted through the telemetry wrapper, which sees
// every method of storage.Store.
func TestCodeRedemptionStoreCalls(t *testing.T) {
	m := telemetry.NewMetrics(nil)
	h := newHarness(t, func(o *Options) { o.Store = telemetry.InstrumentStore(o.Store, m) })
	tests := []struct {
		name   string
		client string
	}{
		{"a pre-registered client", publicApp},
		// Its first token request records the client's use (once an
		// hour); the second is the one counted.
		{"a dynamically registered client", dynPublic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asClient := func(ac *storage.AuthCode) { ac.ClientID = tt.client }
			h.redeem(asClient)
			before := storeCalls(t, m)
			h.redeem(asClient)
			calls := storeCalls(t, m)
			writes := map[string]uint64{}
			for op, n := range calls {
				if n -= before[op]; n > 0 && !readOp(op) {
					writes[op] = n
				}
			}
			if want := map[string]uint64{"redeem_auth_code": 1}; !maps.Equal(writes, want) {
				t.Errorf("store writes of one redemption: %v, want %v", writes, want)
			}
		})
	}
}

// readOp: the store's reads, by their telemetry names.
func readOp(op string) bool {
	for _, p := range []string{"get_", "list_", "find_", "revoked_grants_since", "sign_ins_ended_at"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// storeCalls counts the store's calls so far, by operation.
func storeCalls(t *testing.T, m *telemetry.Metrics) map[string]uint64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != "drawbridge_store_operation_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "operation" {
					calls[l.GetValue()] += s.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	if len(calls) == 0 {
		t.Fatal("no store operation counted")
	}
	return calls
}
