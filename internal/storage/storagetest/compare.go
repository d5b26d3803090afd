package storagetest

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// check reports every field where got differs from want. Times are compared
// with Equal and must come back in UTC; slices must agree on nil-ness too,
// because stores return empty slices as nil.
func check(t *testing.T, what string, got, want any) {
	t.Helper()
	var diffs []string
	diff(&diffs, "", reflect.ValueOf(got), reflect.ValueOf(want))
	for _, d := range diffs {
		t.Errorf("%s%s", what, d)
	}
}

var timeType = reflect.TypeFor[time.Time]()

func diff(out *[]string, path string, got, want reflect.Value) {
	if got.Type() == timeType {
		diffTime(out, path, got.Interface().(time.Time), want.Interface().(time.Time))
		return
	}
	switch got.Kind() {
	case reflect.Struct:
		for i := range got.NumField() {
			diff(out, path+"."+got.Type().Field(i).Name, got.Field(i), want.Field(i))
		}
	case reflect.Pointer:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: got %v, want %v", path, got, want))
			}
			return
		}
		diff(out, path, got.Elem(), want.Elem())
	case reflect.Slice:
		diffSlice(out, path, got, want)
	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: got %#v, want %#v", path, got, want))
		}
	}
}

func diffTime(out *[]string, path string, got, want time.Time) {
	switch {
	case !got.Equal(want):
		*out = append(*out, fmt.Sprintf("%s: got %v, want %v", path, got, want))
	case !got.IsZero() && got.Location() != time.UTC:
		*out = append(*out, fmt.Sprintf("%s: got %v, want it in UTC", path, got))
	}
}

func diffSlice(out *[]string, path string, got, want reflect.Value) {
	switch {
	case got.IsNil() != want.IsNil():
		*out = append(*out, fmt.Sprintf("%s: got %#v, want %#v (nil and empty differ)", path, got, want))
	case got.Len() != want.Len():
		*out = append(*out, fmt.Sprintf("%s: got %d elements %#v, want %d %#v", path, got.Len(), got, want.Len(), want))
	default:
		for i := range got.Len() {
			diff(out, fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))
		}
	}
}

// sorted returns a sorted copy, for comparing lists whose order the
// interface does not fix.
func sorted[T any](v []T, key func(T) string) []T {
	v = slices.Clone(v)
	slices.SortFunc(v, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return v
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// revokeGrant revokes id and fails t unless the store reports that this
// call revoked it (want) or found it revoked already (!want).
func revokeGrant(t *testing.T, s storage.Store, id, reason string, now time.Time, want bool) {
	t.Helper()
	revoked, err := s.RevokeGrant(t.Context(), id, reason, now)
	must(t, err)
	if revoked != want {
		t.Fatalf("RevokeGrant(%s) revoked = %v, want %v", id, revoked, want)
	}
}
