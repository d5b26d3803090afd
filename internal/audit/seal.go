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
	m := hmac.New(sha256.New, key)
	writeChain(m, r)
	return m.Sum(nil)
}

func writeChain(m hash.Hash, r *storage.AuditRecord) {
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], uint64(r.Seq))
	m.Write(r.PrevHash)
	m.Write(seq[:])
	m.Write(r.Payload)
}

// sealer returns the seal function AppendAudit calls.
// One HMAC serves the whole batch (AppendAudit seals its records one
// after another), reset before each record.
func sealer(k SealKey) func(*storage.AuditRecord) {
	m := hmac.New(sha256.New, k.Key)
	return func(r *storage.AuditRecord) {
		r.KeyID = k.ID
		m.Reset()
		writeChain(m, r)
		r.Hash = m.Sum(nil)
	}
}

func findKey(keys []SealKey, id string) ([]byte, error) {
	for _, k := range keys {
		if k.ID == id {
			return k.Key, nil
		}
	}
	return nil, fmt.Errorf("no key %q", id)
}
