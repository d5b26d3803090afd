package local

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// maxPasswordLen bounds the work one login attempt can ask for. Longer
// passwords are refused before any hashing, for known and unknown users alike.
const maxPasswordLen = 1024

// Limits for argon2id parameters read from the configuration. The hashes are
// written by an administrator, but a typo such as m=6553600 would make every
// login allocate gigabytes, so parameters outside these bounds are refused.
const (
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonTime      = 64
	minArgonSaltLen   = 8 // PHC string format: salts of at least 8 bytes
	maxArgonSaltLen   = 64
	minArgonKeyLen    = 16
	maxArgonKeyLen    = 64
)

// passwordHash is a parsed password hash.
type passwordHash interface {
	// verify reports whether password matches, taking time that depends
	// only on the hash's parameters, not on where a mismatch occurs.
	verify(password []byte) bool
	// dummy returns a hash of a random password with the same kind and cost,
	// used to spend the same work on usernames that do not exist.
	dummy() (passwordHash, error)
	// cores is how many cores verify keeps busy at once.
	cores() int
}

// parseHash recognises the two accepted formats. Errors describe the format
// problem only: a hash is not a secret like a password, but there is no reason
// to echo it into logs either.
func parseHash(s string) (passwordHash, error) {
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return parseBcrypt(s)
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2id(s)
	case strings.HasPrefix(s, "$argon2i$"), strings.HasPrefix(s, "$argon2d$"):
		return nil, errors.New("argon2i and argon2d hashes are not accepted; use argon2id (drawbridge hash-password)")
	case s == "":
		return nil, errors.New("password hash is empty")
	default:
		return nil, errors.New("not a bcrypt ($2a$, $2b$, $2y$) or argon2id ($argon2id$) hash")
	}
}

// bcryptHash is a modular-crypt bcrypt hash. $2a$, $2b$ and $2y$ differ only
// in how historic implementations handled long or non-ASCII passwords; they
// verify identically here.
type bcryptHash struct {
	encoded []byte
	cost    int
}

// bcryptLen is the length of a bcrypt hash: "$2b$" + 2 cost digits + "$" +
// 22 characters of salt + 31 of hash.
const bcryptLen = 60

func parseBcrypt(s string) (passwordHash, error) {
	if len(s) != bcryptLen {
		return nil, fmt.Errorf("bcrypt hash must be %d characters, got %d", bcryptLen, len(s))
	}
	// bcrypt.Cost checks the version and cost but not the salt and hash
	// characters; a truncated or mangled hash would otherwise only show up as
	// "wrong password" for that user forever.
	for _, c := range s[7:] {
		if !isBcryptBase64(c) {
			return nil, errors.New("bcrypt hash contains characters outside its base64 alphabet")
		}
	}
	cost, err := bcrypt.Cost([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("bcrypt hash: %w", err)
	}
	return bcryptHash{encoded: []byte(s), cost: cost}, nil
}

func isBcryptBase64(c rune) bool {
	return c == '.' || c == '/' || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9')
}

func (h bcryptHash) verify(password []byte) bool {
	return bcrypt.CompareHashAndPassword(h.encoded, password) == nil
}

func (bcryptHash) cores() int { return 1 }

func (h bcryptHash) dummy() (passwordHash, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), h.cost)
	if err != nil {
		return nil, err
	}
	return bcryptHash{encoded: b, cost: h.cost}, nil
}

// argon2idHash is an argon2id hash in the PHC string format
// ($argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>, base64 without
// padding), as written by the reference implementation and RFC 9106 tools.
type argon2idHash struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

func parseArgon2id(s string) (passwordHash, error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 {
		return nil, errors.New("argon2id hash must look like $argon2id$v=19$m=...,t=...,p=...$salt$hash")
	}
	if parts[2] != "v=19" {
		return nil, errors.New("argon2id hash: only version 19 (v=19) is accepted")
	}
	h := argon2idHash{}
	if err := h.parseParams(parts[3]); err != nil {
		return nil, fmt.Errorf("argon2id hash: %w", err)
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil {
		return nil, errors.New("argon2id hash: salt is not unpadded base64")
	}
	if h.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil {
		return nil, errors.New("argon2id hash: hash is not unpadded base64")
	}
	if n := len(h.salt); n < minArgonSaltLen || n > maxArgonSaltLen {
		return nil, fmt.Errorf("argon2id hash: salt must be %d to %d bytes, got %d", minArgonSaltLen, maxArgonSaltLen, n)
	}
	if n := len(h.key); n < minArgonKeyLen || n > maxArgonKeyLen {
		return nil, fmt.Errorf("argon2id hash: hash must be %d to %d bytes, got %d", minArgonKeyLen, maxArgonKeyLen, n)
	}
	return h, nil
}

// parseParams reads "m=..,t=..,p=.." in that order, as the PHC format fixes it.
func (h *argon2idHash) parseParams(s string) error {
	kv := strings.Split(s, ",")
	if len(kv) != 3 || !strings.HasPrefix(kv[0], "m=") || !strings.HasPrefix(kv[1], "t=") || !strings.HasPrefix(kv[2], "p=") {
		return errors.New("parameters must be m=<KiB>,t=<iterations>,p=<parallelism>")
	}
	m, errM := strconv.ParseUint(kv[0][2:], 10, 32)
	t, errT := strconv.ParseUint(kv[1][2:], 10, 32)
	p, errP := strconv.ParseUint(kv[2][2:], 10, 8)
	if err := errors.Join(errM, errT, errP); err != nil {
		return errors.New("parameters m, t and p must be decimal numbers (p at most 255)")
	}
	switch {
	case p < 1:
		return errors.New("p must be at least 1")
	case t < 1 || t > maxArgonTime:
		return fmt.Errorf("t must be 1 to %d, got %d", maxArgonTime, t)
	case m < 8*p: // RFC 9106, section 3.1: m >= 8*p
		return fmt.Errorf("m must be at least 8*p KiB, got %d", m)
	case m > maxArgonMemoryKiB:
		return fmt.Errorf("m must be at most %d KiB, got %d", maxArgonMemoryKiB, m)
	}
	h.memory, h.time, h.threads = uint32(m), uint32(t), uint8(p)
	return nil
}

func (h argon2idHash) verify(password []byte) bool {
	k := argon2.IDKey(password, h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(k, h.key) == 1
}

// dummy needs no hashing: verify derives a key with the same parameters either
// way, and a random stored key matches no password.
// cores: argon2 computes the lanes in parallel.
func (h argon2idHash) cores() int { return max(1, int(h.threads)) }

func (h argon2idHash) dummy() (passwordHash, error) {
	d := h
	d.salt = make([]byte, len(h.salt))
	d.key = make([]byte, len(h.key))
	_, _ = rand.Read(d.salt) // crypto/rand.Read never fails (Go 1.24+)
	_, _ = rand.Read(d.key)
	return d, nil
}

func (h argon2idHash) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.memory, h.time, h.threads,
		base64.RawStdEncoding.EncodeToString(h.salt), base64.RawStdEncoding.EncodeToString(h.key))
}

// argon2Params are the cost parameters HashPassword uses.
type argon2Params struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	saltLen int
	keyLen  uint32
}

// defaultArgon2 follows the OWASP Password Storage Cheat Sheet's first
// argon2id configuration (19 MiB, 2 iterations, 1 lane). RFC 9106's 64 MiB
// option is stronger per guess, but a gateway in a small container can have
// many logins in flight, and memory is what runs out first.
var defaultArgon2 = argon2Params{memory: 19 * 1024, time: 2, threads: 1, saltLen: 16, keyLen: 32}

// HashPassword hashes password with argon2id and returns it in the PHC string
// format that New accepts, for `drawbridge hash-password`. Each call uses a
// fresh random salt.
func HashPassword(password string) (string, error) {
	return hashPassword(password, defaultArgon2)
}

func hashPassword(password string, p argon2Params) (string, error) {
	if password == "" {
		return "", errors.New("local: password is empty")
	}
	if len(password) > maxPasswordLen {
		return "", fmt.Errorf("local: password is longer than %d bytes", maxPasswordLen)
	}
	h := argon2idHash{memory: p.memory, time: p.time, threads: p.threads, salt: make([]byte, p.saltLen)}
	_, _ = rand.Read(h.salt) // crypto/rand.Read never fails (Go 1.24+)
	h.key = argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, p.keyLen)
	return h.String(), nil
}
