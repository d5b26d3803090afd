package tokens

import (
	"bytes"
	"strings"
	"testing"
)

func TestKeyringSealOpen(t *testing.T) {
	oldKey := RingKey{ID: "old", Key: GenerateKey()}
	old, err := NewKeyring([]RingKey{oldKey})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Seal([]byte("secret"), []byte("row-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("plaintext visible in sealed data")
	}
	// A rotated ring (new key first) still opens data sealed with the old key.
	rotated, err := NewKeyring([]RingKey{{ID: "new", Key: GenerateKey()}, oldKey})
	if err != nil {
		t.Fatal(err)
	}
	got, err := rotated.Open(sealed, []byte("row-1"))
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := rotated.Open(sealed, []byte("row-2")); err == nil {
		t.Error("sealed data opened under another AAD")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := rotated.Open(sealed, []byte("row-1")); err == nil {
		t.Error("tampered data opened")
	}
	other, _ := NewKeyring([]RingKey{{ID: "other", Key: GenerateKey()}})
	fresh, _ := rotated.Seal([]byte("x"), nil)
	if _, err := other.Open(fresh, nil); err == nil || !strings.Contains(err.Error(), `"new"`) {
		t.Errorf("want an error naming the missing key, got %v", err)
	}
	for _, bad := range [][]byte{nil, {1}, {2, 0}, {1, 200, 'a'}} {
		if _, err := rotated.Open(bad, nil); err == nil {
			t.Errorf("Open(%v) succeeded", bad)
		}
	}
}

func TestNewKeyringRejectsBadKeys(t *testing.T) {
	for _, keys := range [][]RingKey{nil, {{ID: "a", Key: "c2hvcnQ="}}, {{ID: "", Key: GenerateKey()}}, {{ID: "a", Key: "%%%"}}} {
		if _, err := NewKeyring(keys); err == nil {
			t.Errorf("NewKeyring(%v) succeeded", keys)
		}
	}
}
