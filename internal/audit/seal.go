package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// SealKey is one key of the chain. The newest seals; older ones verify.
type SealKey struct {
	ID  string
	Key []byte
}

// DeriveSealKey derives the audit chain key from an encryption key
// (32 bytes, standard base64), so that the chain needs no key of its own
// and the audit key is never the same bytes as the sealing key.
func DeriveSealKey(id, encryptionKey string) (SealKey, error) {
	raw, err := base64.StdEncoding.DecodeString(encryptionKey)
	if err != nil || len(raw) != 32 {
		return SealKey{}, errors.New("audit: the encryption key must be 32 bytes of base64")
	}
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("drawbridge audit chain v1"))
	return SealKey{ID: id, Key: m.Sum(nil)}, nil
}

// sealHash computes a record's seal: HMAC(key, prev || seq || payload).
func sealHash(key []byte, r *storage.AuditRecord) []byte {
	return newSealer(SealKey{Key: key}, 1).sum(r)
}

// sealer seals the records of a batch, which AppendAudit seals one after
// another: one HMAC serves them all, reset before each record, and their
// seals go one after another into one buffer, sized for n records.
type sealer struct {
	id   string
	m    hash.Hash
	seq  [8]byte
	sums []byte
}

func newSealer(k SealKey, n int) *sealer {
	m := hmac.New(sha256.New, k.Key)
	return &sealer{id: k.ID, m: m, sums: make([]byte, 0, n*m.Size())}
}

// seal is the seal function AppendAudit calls.
func (s *sealer) seal(r *storage.AuditRecord) {
	r.KeyID, r.Hash = s.id, s.sum(r)
}

// sum is r's seal, capped at its end so that nothing appended to it can
// reach the next one. A store that runs its transaction again seals the
// records again; the buffer then grows, and the first seals stay as they
// were.
func (s *sealer) sum(r *storage.AuditRecord) []byte {
	s.m.Reset()
	binary.BigEndian.PutUint64(s.seq[:], uint64(r.Seq))
	s.m.Write(r.PrevHash)
	s.m.Write(s.seq[:])
	s.m.Write(r.Payload)
	start := len(s.sums)
	s.sums = s.m.Sum(s.sums)
	return s.sums[start:len(s.sums):len(s.sums)]
}

func findKey(keys []SealKey, id string) ([]byte, error) {
	for _, k := range keys {
		if k.ID == id {
			return k.Key, nil
		}
	}
	return nil, fmt.Errorf("no key %q", id)
}
