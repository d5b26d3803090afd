package local

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// fastArgon2 keeps tests quick; production hashes use defaultArgon2.
var fastArgon2 = argon2Params{memory: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32}

func mustBcrypt(t *testing.T, password string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustArgon2id(t *testing.T, password string) string {
	t.Helper()
	h, err := hashPassword(password, fastArgon2)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestVerify(t *testing.T) {
	t.Parallel()
	bc := mustBcrypt(t, "correct horse")
	tests := []struct {
		name     string
		hash     string
		password string
		want     bool
	}{
		// The reference implementation's test vector (phc-winner-argon2,
		// src/test.c): password "password", salt "somesalt", t=2, m=64 MiB, p=1.
		{"argon2id reference vector", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "password", true},
		{"argon2id reference vector, wrong password", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "Password", false},
		{"argon2id", mustArgon2id(t, "correct horse"), "correct horse", true},
		{"argon2id wrong", mustArgon2id(t, "correct horse"), "correct horse ", false},
		{"argon2id empty password", mustArgon2id(t, "correct horse"), "", false},
		{"bcrypt 2a", bc, "correct horse", true},
		{"bcrypt 2b", "$2b$" + bc[4:], "correct horse", true},
		{"bcrypt 2y", "$2y$" + bc[4:], "correct horse", true},
		{"bcrypt wrong", bc, "Correct horse", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseHash(tt.hash)
			if err != nil {
				t.Fatalf("parseHash: %v", err)
			}
			if got := h.verify([]byte(tt.password)); got != tt.want {
				t.Errorf("verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseHashRejects(t *testing.T) {
	t.Parallel()
	bc := mustBcrypt(t, "pw")
	ok := mustArgon2id(t, "pw") // $argon2id$v=19$m=64,t=1,p=1$salt$key
	parts := strings.Split(ok, "$")
	salt, key := parts[4], parts[5]
	tests := []struct {
		name, hash, wantErr string
	}{
		{"empty", "", "empty"},
		{"plain text", "hunter2", "not a bcrypt"},
		{"md5 crypt", "$1$abc$def", "not a bcrypt"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key, "argon2id"},
		{"bcrypt truncated", bc[:59], "60 characters"},
		{"bcrypt bad alphabet", bc[:40] + "!" + bc[41:], "alphabet"},
		{"bcrypt bad cost", bc[:4] + "99" + bc[6:], "cost"},
		{"argon2id missing version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key, "must look like"},
		{"argon2id version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, "version 19"},
		{"argon2id params out of order", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key, "parameters must be"},
		{"argon2id params not numbers", "$argon2id$v=19$m=x,t=1,p=1$" + salt + "$" + key, "decimal"},
		{"argon2id p zero", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key, "p must be"},
		{"argon2id t zero", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key, "t must be"},
		{"argon2id m below 8p", "$argon2id$v=19$m=15,t=1,p=2$" + salt + "$" + key, "8*p"},
		{"argon2id m too big", "$argon2id$v=19$m=6553600,t=1,p=1$" + salt + "$" + key, "at most"},
		{"argon2id padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key, "salt"},
		{"argon2id short salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key, "salt must be"},
		{"argon2id short hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c2hvcnQ", "hash must be"},
		{"argon2id missing hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt, "must look like"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseHash(tt.hash)
			if err == nil {
				t.Fatalf("parseHash(%q) succeeded, want error containing %q", tt.hash, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("s3cret!")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("HashPassword = %q, want the default argon2id parameters", h)
	}
	if strings.Contains(h, "s3cret!") {
		t.Error("hash contains the password")
	}
	parsed, err := parseHash(h)
	if err != nil {
		t.Fatalf("HashPassword output does not parse: %v", err)
	}
	if !parsed.verify([]byte("s3cret!")) || parsed.verify([]byte("s3cret")) {
		t.Error("HashPassword output does not verify as expected")
	}
	if h2, _ := HashPassword("s3cret!"); h2 == h {
		t.Error("two hashes of one password are equal; the salt is not random")
	}
	for _, pw := range []string{"", strings.Repeat("x", maxPasswordLen+1)} {
		if _, err := HashPassword(pw); err == nil {
			t.Errorf("HashPassword(%d bytes) succeeded", len(pw))
		} else if pw != "" && strings.Contains(err.Error(), pw) {
			t.Error("error contains the password")
		}
	}
}

func TestDummyMatchesCost(t *testing.T) {
	t.Parallel()
	for _, hash := range []string{mustBcrypt(t, "pw"), mustArgon2id(t, "pw")} {
		h, err := parseHash(hash)
		if err != nil {
			t.Fatal(err)
		}
		d, err := h.dummy()
		if err != nil {
			t.Fatal(err)
		}
		switch h := h.(type) {
		case bcryptHash:
			if d.(bcryptHash).cost != h.cost {
				t.Errorf("bcrypt dummy cost %d, want %d", d.(bcryptHash).cost, h.cost)
			}
		case argon2idHash:
			da := d.(argon2idHash)
			if da.memory != h.memory || da.time != h.time || da.threads != h.threads || len(da.key) != len(h.key) {
				t.Errorf("argon2id dummy parameters %+v differ from %+v", da, h)
			}
		}
		if d.verify([]byte("pw")) {
			t.Error("dummy hash matches the original password")
		}
	}
}
