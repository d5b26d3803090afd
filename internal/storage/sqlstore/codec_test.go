package sqlstore

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func TestTimeEncoding(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		name  string
		in    time.Time
		at    int64
		stamp any
		utc   time.Time
	}{
		{"zero", time.Time{}, math.MinInt64, nil, time.Time{}},
		{"an instant", t0, t0.UnixNano(), t0.UnixNano(), t0.UTC()},
		{"before 1678", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), math.MinInt64, int64(math.MinInt64), minTime},
		{"after 2262", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64, int64(math.MaxInt64), maxTime},
	} {
		if got := At(tc.in); got != tc.at {
			t.Errorf("%s: At = %d, want %d", tc.name, got, tc.at)
		}
		if got := Stamp(tc.in); got != tc.stamp {
			t.Errorf("%s: Stamp = %v, want %v", tc.name, got, tc.stamp)
		}
		if got := utc(tc.in); got != tc.utc {
			t.Errorf("%s: utc = %v, want %v", tc.name, got, tc.utc)
		}
	}
	now := time.Now()
	if got := utc(now); got != now.UTC().Round(0) {
		t.Errorf("utc(time.Now()) = %v, want the instant in UTC without a monotonic reading", got)
	}
}

func TestScanners(t *testing.T) {
	var tm time.Time
	var b []byte
	var id storage.Identity
	var opt *storage.Identity
	var approvals map[string][]string
	src := []byte{1, 2}
	for _, tc := range []struct {
		name    string
		scan    func(any) error
		src     any
		got     func() any
		want    any
		wantErr bool
	}{
		{"time", timeCol{&tm}.Scan, int64(1e9), func() any { return tm }, time.Unix(1, 0).UTC(), false},
		{"NULL time", timeCol{&tm}.Scan, nil, func() any { return tm }, time.Time{}, false},
		{"time as text", timeCol{&tm}.Scan, "1", nil, nil, true},
		{"bytes", blobCol{&b}.Scan, src, func() any { return b }, []byte{1, 2}, false},
		{"empty bytes", blobCol{&b}.Scan, []byte{}, func() any { return b }, []byte(nil), false},
		{"NULL bytes", blobCol{&b}.Scan, nil, func() any { return b }, []byte(nil), false},
		{"bytes as a number", blobCol{&b}.Scan, int64(1), nil, nil, true},
		{"identity as text", identityCol{&id}.Scan, `{"sub":"alice","groups":[]}`, func() any { return id },
			storage.Identity{Subject: "alice"}, false},
		{"identity as bytes", identityCol{&id}.Scan, []byte(`{"sub":"bob","groups":["g"]}`), func() any { return id },
			storage.Identity{Subject: "bob", Groups: []string{"g"}}, false},
		{"identity not JSON", identityCol{&id}.Scan, "{", nil, nil, true},
		{"NULL identity", identityCol{&id}.Scan, nil, nil, nil, true},
		{"optional identity", optIdentityCol{&opt}.Scan, `{"sub":"carol"}`, func() any { return *opt },
			storage.Identity{Subject: "carol"}, false},
		{"no optional identity", optIdentityCol{&opt}.Scan, nil, func() any { return opt }, (*storage.Identity)(nil), false},
		{"approvals", approvedCol{&approvals}.Scan, `{"https://r":["a","a","b"],"https://s":[]}`,
			func() any { return approvals }, map[string][]string{"https://r": {"a", "b"}, "https://s": nil}, false},
		{"no approvals", approvedCol{&approvals}.Scan, `{}`, func() any { return approvals }, map[string][]string(nil), false},
	} {
		err := tc.scan(tc.src)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: Scan error %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if err == nil && !reflect.DeepEqual(tc.got(), tc.want) {
			t.Errorf("%s: scanned %#v, want %#v", tc.name, tc.got(), tc.want)
		}
	}
	// The driver may reuse its buffer after Scan: blobCol copies.
	if err := (blobCol{&b}).Scan(src); err != nil {
		t.Fatal(err)
	}
	src[0] = 9
	if b[0] != 1 {
		t.Error("blobCol kept the driver's buffer")
	}
}

func TestEncoders(t *testing.T) {
	if got := identity(storage.Identity{Subject: "alice"}); got != `{"sub":"alice"}` {
		t.Errorf("identity = %s", got)
	}
	if got := optIdentity(nil); got != nil {
		t.Errorf("optIdentity(nil) = %v", got)
	}
	if got := approved(nil); got != "{}" {
		t.Errorf("approved(nil) = %s", got)
	}
	if got := blob([]byte{}); got != nil {
		t.Errorf("blob(empty) = %v", got)
	}
}
