package pinning

import (
	"testing"
)

// FuzzRead: Read never panics, and what it pins is stable: reading the
// canonical form again gives the same name, form and hash.
func FuzzRead(f *testing.F) {
	for _, s := range []string{baseTool, `{"name":"a","description":"\u00e9\ud83d\ude00<>&"}`, `{"name":"a","inputSchema":{"x":[1,1.0,1e400,-0,{"b":null}]}}`,
		`{"name":"a","name":"b"}`, `[]`, `{"name":"a"} x`, `{"Name":"a"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Read(raw)
		if err != nil {
			return
		}
		again, err := Read(d.Canonical)
		if err != nil {
			t.Fatalf("the canonical form %s of %q does not read: %v", d.Canonical, raw, err)
		}
		if again.Name != d.Name || again.Hash != d.Hash || string(again.Canonical) != string(d.Canonical) {
			t.Fatalf("canonical form not stable: %q -> %s -> %s", raw, d.Canonical, again.Canonical)
		}
	})
}
