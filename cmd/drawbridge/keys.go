package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

var keysCmd = &command{
	name:    "keys",
	summary: "list signing keys, make a new one current, or re-encrypt with the first encryption key",
	about: `Manages the keys in the store named by the configuration: the ES256 keys that sign access
tokens, and their sealing with encryption_keys.`,
	examples: []string{
		"drawbridge keys list --config drawbridge.yaml",
		"drawbridge keys rotate --config drawbridge.yaml",
	},
	subs: []*command{
		{
			name:     "list",
			summary:  "list the signing keys; the current one is marked",
			about:    "Lists the signing keys with their algorithm and creation time, marking the current one.",
			examples: []string{"drawbridge keys list --config drawbridge.yaml"},
			flags:    func(fs *flag.FlagSet) action { return keysAction(fs, listKeys) },
		},
		{
			name:    "rotate",
			summary: "make a new signing key current",
			about: `Makes a new signing key current. Every replica signs with it within a key sync; the previous
keys stay published in the JWKS until the tokens they signed have expired, so nothing
breaks. Rotation also happens by itself every tokens.key_rotation.`,
			examples: []string{"drawbridge keys rotate --config drawbridge.yaml"},
			flags:    func(fs *flag.FlagSet) action { return storeAction(fs, rotateKey) },
		},
		{
			name:    "reseal",
			summary: "re-encrypt the signing keys and the vault with the first encryption key",
			about: `Re-encrypts the signing keys and the identity provider's tokens in the vault with the
first key of encryption_keys, so that the keys after it can leave the configuration. Put the
new key first, run this, then remove the old one.`,
			examples: []string{"drawbridge keys reseal --config drawbridge.yaml"},
			flags: func(fs *flag.FlagSet) action {
				return keysAction(fs, func(ctx context.Context, st storage.Store, kr *tokens.Keyring, current string, stdout io.Writer) error {
					return reseal(ctx, st, kr, current, stdout)
				})
			},
		},
	},
}

// keysAction opens the store and the configuration's keyring; current is
// the id of the first encryption key.
func keysAction(fs *flag.FlagSet, fn func(ctx context.Context, st storage.Store, kr *tokens.Keyring, current string, stdout io.Writer) error) action {
	return storeAction(fs, func(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
		kr, err := keyring(cfg)
		if err != nil {
			return err
		}
		return fn(ctx, st, kr, cfg.EncryptionKeys[0].ID, stdout)
	})
}

// keyring is the configuration's encryption keys, the first one current.
func keyring(cfg *config.Config) (*tokens.Keyring, error) {
	var ring []tokens.RingKey
	for _, k := range cfg.EncryptionKeys {
		ring = append(ring, tokens.RingKey{ID: k.ID, Key: k.Key})
	}
	return tokens.NewKeyring(ring)
}

// rotateKey makes a new signing key current through the admin action, so
// that the rotation is in the audit trail as the API's is.
func rotateKey(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
	kr, err := keyring(cfg)
	if err != nil {
		return err
	}
	keys, err := tokens.LoadKeys(ctx, st, kr, clock)
	if err != nil {
		return err
	}
	return withAdminKeys(cfg, st, keys, func(a *admin.API, who admin.Actor) error {
		kid, err := a.RotateKeys(ctx, who)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new signing key %s is current; the previous ones stay published until their tokens expire\n", kid)
		return nil
	})
}

func listKeys(ctx context.Context, st storage.Store, kr *tokens.Keyring, _ string, stdout io.Writer) error {
	keys, err := tokens.LoadKeys(ctx, st, kr, clock)
	if err != nil {
		return err
	}
	recs, err := st.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range recs {
		mark := ""
		if k.ID == keys.Current() {
			mark = " (current)"
		}
		fmt.Fprintf(stdout, "%s %s created %s%s\n", k.ID, k.Algorithm, k.CreatedAt.Format(time.RFC3339), mark)
	}
	return nil
}

// reseal re-encrypts the signing keys and the upstream tokens in the vault
// with the first encryption key, so that older keys can leave the
// configuration.
func reseal(ctx context.Context, st storage.Store, kr *tokens.Keyring, current string, stdout io.Writer) error {
	n, total, err := tokens.ResealKeys(ctx, st, kr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-sealed %d of %d signing keys with encryption key %s\n", n, total, current)
	n, total, err = vault.New(vault.Options{Store: st, Keyring: kr}).Reseal(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-sealed %d of %d upstream token sessions with encryption key %s\n", n, total, current)
	return nil
}
