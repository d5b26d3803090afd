package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// testConcurrentWriters runs a few writers over disjoint rows while a reader
// lists, for the race detector and for lock handling: every call must succeed.
func testConcurrentWriters(t *testing.T, s storage.Store) {
	ctx := t.Context()
	const writers, rounds = 4, 8
	errs := make([]error, writers+1)
	done := make(chan struct{})
	var wg, readers sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				if err := writeRows(ctx, s, fmt.Sprintf("w%d-%d", w, i), i%2 == 0); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	readers.Go(func() { errs[writers] = readUntil(ctx, s, done) })
	wg.Wait()
	close(done)
	readers.Wait()
	must(t, errors.Join(errs...))

	clients, err := s.ListClients(ctx, "", 0)
	must(t, err)
	grants, err := s.ListGrants(ctx, storage.GrantFilter{IncludeRevoked: true})
	must(t, err)
	revoked, err := s.RevokedGrantsSince(ctx, time.Time{})
	must(t, err)
	if n := writers * rounds; len(clients) != n || len(grants) != n || len(revoked) != n/2 {
		t.Errorf("after %d writes: %d clients, %d grants, %d revoked; want %d, %d, %d",
			n, len(clients), len(grants), len(revoked), n, n, n/2)
	}
}

// writeRows walks one authorization through the store, as the server would.
func writeRows(ctx context.Context, s storage.Store, id string, revoke bool) error {
	grantID := "grant-" + id
	req := newAuthRequest("request-" + id)
	code := newAuthCode("code-"+id, grantID)
	rt := newRefreshToken("rt-" + id)
	steps := []func() error{
		func() error { return s.CreateClient(ctx, newClient("client-"+id)) },
		func() error { return s.CreateAuthRequest(ctx, req) },
		func() error {
			return s.UpdateAuthRequest(ctx, req.ID, at(0), func(r storage.AuthRequest) (storage.AuthRequest, error) {
				r.UpstreamState = ""
				return r, nil
			})
		},
		func() error {
			_, err := s.UpsertConsent(ctx, storage.Consent{Subject: "user-" + id, ClientID: "client-" + id, Approved: map[string][]string{"https://mcp.example/a": {"read"}}})
			return err
		},
		func() error { return s.CreateAuthCode(ctx, code) },
		func() error {
			_, err := s.RedeemAuthCode(ctx, storage.Redemption{Hash: code.Hash, Now: at(0),
				Issue: func(storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
					return newGrant(grantID, "client-"+id, "user-"+id), &rt, nil
				}})
			return err
		},
		func() error {
			_, err := s.RotateRefreshToken(ctx, storage.Rotation{OldHash: rt.Hash, New: newRefreshToken("rt-next-" + id), Now: at(time.Minute)})
			return err
		},
		func() error { return s.PutUpstreamSession(ctx, newUpstreamSession("session-"+id)) },
		func() error { return s.DeleteAuthRequest(ctx, req.ID) },
	}
	if revoke {
		steps = append(steps, func() error { _, err := s.RevokeGrant(ctx, grantID, "user_logout", at(time.Hour)); return err })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
	}
	return nil
}

func readUntil(ctx context.Context, s storage.Store, done <-chan struct{}) error {
	for {
		select {
		case <-done:
			return nil
		default:
		}
		if _, err := s.ListGrants(ctx, storage.GrantFilter{Subject: "user-w0-0"}); err != nil {
			return err
		}
		if _, err := s.ListClients(ctx, "", 0); err != nil {
			return err
		}
	}
}
