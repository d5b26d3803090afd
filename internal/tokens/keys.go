package tokens

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Algorithm is the only signing algorithm Drawbridge uses or accepts.
const Algorithm = jose.ES256

// Keys holds the signing keys in memory: the current private key and every
// public key still published. Reload picks up keys another replica created.
type Keys struct {
	store storage.Store
	ring  *Keyring
	now   func() time.Time

	mu      sync.RWMutex
	current *signingKey
	public  map[string]*ecdsa.PublicKey
	jwks    []byte
}

// LoadKeys loads the keys from storage and creates the first one if there is
// none that can sign, so a new installation needs no key setup.
func LoadKeys(ctx context.Context, store storage.Store, ring *Keyring, now func() time.Time) (*Keys, error) {
	k := &Keys{store: store, ring: ring, now: now}
	if err := k.Reload(ctx); err != nil {
		return nil, err
	}
	if k.Current() == "" {
		if _, err := k.Generate(ctx); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Generate creates, stores and starts using a new signing key.
func (k *Keys) Generate(ctx context.Context) (string, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	kid := NewID()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	sealed, err := k.ring.Seal(der, keyAAD(kid))
	if err != nil {
		return "", err
	}
	jwk, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: string(Algorithm), Use: "sig"})
	if err != nil {
		return "", err
	}
	rec := storage.SigningKey{ID: kid, Algorithm: string(Algorithm), PrivateSealed: sealed, PublicJWK: jwk, CreatedAt: k.now()}
	if err := k.store.CreateSigningKey(ctx, rec); err != nil {
		return "", fmt.Errorf("tokens: storing signing key: %w", err)
	}
	return kid, k.Reload(ctx)
}

func keyAAD(kid string) []byte { return []byte("drawbridge signing-key " + kid) }

// Reload reads every key from storage. The newest key that may still sign
// becomes current; keys past ExpiresAt are no longer published.
func (k *Keys) Reload(ctx context.Context) error {
	recs, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("tokens: loading signing keys: %w", err)
	}
	now := k.now()
	public := map[string]*ecdsa.PublicKey{}
	var set jose.JSONWebKeySet
	var newest *storage.SigningKey
	for i := range recs {
		r := &recs[i]
		if r.Algorithm != string(Algorithm) || (!r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt)) {
			continue
		}
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(r.PublicJWK, &jwk); err != nil {
			return fmt.Errorf("tokens: signing key %s has a bad public key: %w", r.ID, err)
		}
		pub, ok := jwk.Key.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("tokens: signing key %s is not an ECDSA key", r.ID)
		}
		public[r.ID] = pub
		set.Keys = append(set.Keys, jwk)
		canSign := r.NotAfter.IsZero() || now.Before(r.NotAfter)
		// Ties break by id so every replica picks the same key.
		if canSign && (newest == nil || r.CreatedAt.After(newest.CreatedAt) ||
			(r.CreatedAt.Equal(newest.CreatedAt) && r.ID > newest.ID)) {
			newest = r
		}
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return err
	}
	var current *signingKey
	if newest != nil {
		if current, err = k.open(newest); err != nil {
			return err
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.public, k.jwks = public, jwks
	if current != nil {
		k.current = current
	}
	return nil
}

func (k *Keys) open(r *storage.SigningKey) (*signingKey, error) {
	if c := k.currentKey(); c != nil && c.id == r.ID {
		return c, nil
	}
	der, err := k.ring.Open(r.PrivateSealed, keyAAD(r.ID))
	if err != nil {
		return nil, fmt.Errorf("tokens: opening signing key %s (is the encryption key right?): %w", r.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("tokens: signing key %s: %w", r.ID, err)
	}
	priv, ok := parsed.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("tokens: signing key is not ECDSA")
	}
	return newSigningKey(r.ID, priv)
}

func (k *Keys) currentKey() *signingKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.current
}

// Current is the id of the key that signs new tokens.
func (k *Keys) Current() string {
	if c := k.currentKey(); c != nil {
		return c.id
	}
	return ""
}

// PublicKey returns a published public key by id.
func (k *Keys) PublicKey(kid string) (*ecdsa.PublicKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	p, ok := k.public[kid]
	return p, ok
}

// JWKS is the published key set as JSON (RFC 7517 §5).
func (k *Keys) JWKS() []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.jwks
}
