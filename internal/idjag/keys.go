package idjag

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/go-jose/go-jose/v4"
)

// MinRefetch is the least time between two fetches of one IdP's keys (and
// between two attempts at its discovery document). A signature naming a key
// Drawbridge does not hold makes it fetch the keys again, for the IdP may
// have rotated them; without a floor, a stream of forged assertions naming
// made-up keys would make Drawbridge hammer the IdP on the attacker's
// behalf. An IdP publishes a new key before it signs with it, so a real
// rotation is picked up at the first fetch allowed.
const MinRefetch = 30 * time.Second

// maxKeySet bounds a key set document.
const maxKeySet = 1 << 20

// remoteKeys is one IdP's signing keys, fetched from its jwks_uri.
type remoteKeys struct {
	uri    string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time // the last fetch attempt; zero: none yet
}

// verify checks the signature of tok with the key it names (or, when it
// names none, with each key held) and returns the payload. When no key
// held verifies it, the IdP may have rotated its keys: they are fetched
// again, at most once per MinRefetch.
func (k *remoteKeys) verify(ctx context.Context, tok *jose.JSONWebSignature) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fetched.IsZero() {
		if err := k.fetch(ctx); err != nil {
			return nil, err
		}
	}
	if payload, ok := k.try(tok); ok {
		return payload, nil
	}
	if k.now().Sub(k.fetched) < MinRefetch {
		return nil, errNoKey
	}
	if err := k.fetch(ctx); err != nil {
		return nil, err
	}
	if payload, ok := k.try(tok); ok {
		return payload, nil
	}
	return nil, errNoKey
}

var errNoKey = errors.New("no key of the identity provider verifies the signature")

// try verifies tok with the key it names, or with each key held when it
// names none.
func (k *remoteKeys) try(tok *jose.JSONWebSignature) ([]byte, bool) {
	kid := tok.Signatures[0].Header.KeyID
	for _, key := range k.keys {
		if kid != "" && key.KeyID != kid {
			continue
		}
		if payload, err := tok.Verify(key.Key); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// fetch replaces the keys with the IdP's current signing keys. A failed
// fetch keeps the keys held, and counts as an attempt.
func (k *remoteKeys) fetch(ctx context.Context) error {
	k.fetched = k.now()
	set, err := oauthclient.FetchKeySet(ctx, k.client, k.uri, maxKeySet)
	if err != nil {
		return fmt.Errorf("the identity provider's keys: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, key := range set.Keys {
		// Signing keys only, public only (RFC 7517 §4.2).
		if key.Valid() && key.IsPublic() && key.Use != "enc" {
			keys = append(keys, key)
		}
	}
	k.keys = keys
	return nil
}
